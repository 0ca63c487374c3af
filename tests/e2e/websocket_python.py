"""tests/e2e/websocket_python.py — Python's `websockets` against bin/websocket.

Driven by websocket_python.sh, which starts the server with -b 8 -i 0.3 -t 0
and passes WS_PORT and WS_PID. What it proves, with a client we did not
write:
  1. the handshake: websockets checks the 101 and the accept key, and
     permessage-deflate (RFC 7692), which it offers by default, is agreed
     with server_no_context_takeover; a client that offers nothing gets no
     extension, and one that asks for a smaller server window than we
     compress with is declined (the handshake still succeeds);
  2. replay: ?since=0 after 10 events, with only 8 kept, gives a gap frame
     for 1..2, then events 3..10 in order;
  3. chat: a text message (non-ASCII) from one client reaches both clients
     as the next event {"id":N,"data":"..."};
  4. a ping from the client is answered; the server's own pings (every
     0.3 s of silence) are answered by the library, so an idle client stays;
  5. a 200 kB message (64-bit length form) arrives whole, compressed both
     ways, at a compressing and at a plain client; frames from the server
     really carry RSV1 (counted inside the library's decoder) and a plain
     client never gets one;
  6. a clean close: close code 1000 both ways;
  7. SIGTERM: a connected client is told 1001 (going away).
Prints "ok: ..." per check; exits 1 at the first failure. Every wait is bounded.
"""
import asyncio
import json
import os
import signal
import sys
import urllib.request

import websockets
from websockets.extensions import permessage_deflate

PORT = int(os.environ["WS_PORT"])
PID = int(os.environ["WS_PID"])
BASE = f"http://127.0.0.1:{PORT}"
URL = f"ws://127.0.0.1:{PORT}/ws"


def ok(message):
    print(f"ok: {message}", flush=True)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


# Count the compressed (RSV1) data frames the library inflates for us.
compressed_frames = 0
_decode = permessage_deflate.PerMessageDeflate.decode


def counting_decode(self, frame, **kwargs):
    global compressed_frames
    if frame.rsv1:
        compressed_frames += 1
    return _decode(self, frame, **kwargs)


permessage_deflate.PerMessageDeflate.decode = counting_decode


def deflate_of(ws):
    """The agreed permessage-deflate extension, or None."""
    for ext in ws.extensions:
        if ext.name == "permessage-deflate":
            return ext
    return None


def publish(data):
    req = urllib.request.Request(f"{BASE}/publish", data=data.encode(), method="POST")
    with urllib.request.urlopen(req, timeout=5) as res:
        return json.load(res)["id"]


def stats():
    with urllib.request.urlopen(f"{BASE}/stats", timeout=5) as res:
        return json.load(res)


async def recv_json(ws, what):
    try:
        text = await asyncio.wait_for(ws.recv(), 5)
    except asyncio.TimeoutError:
        fail(f"{what}: nothing arrived in 5 s")
    if not isinstance(text, str):
        fail(f"{what}: a binary frame")
    return json.loads(text)


async def main():
    for i in range(1, 11):
        if publish(f"before {i}") != i:
            fail("publish did not number events 1, 2, 3, ...")

    # 1, 2: handshake and replay with a gap.
    a = await asyncio.wait_for(websockets.connect(f"{URL}?since=0"), 5)
    answer = a.response_headers.get("Sec-WebSocket-Extensions")
    pmd = deflate_of(a)
    if not pmd or answer != "permessage-deflate; server_no_context_takeover":
        fail(f"permessage-deflate not agreed as expected: {answer!r}, {a.extensions}")
    if not pmd.remote_no_context_takeover:
        fail("the library did not take server_no_context_takeover")
    ok(f"handshake: 101, accept key checked by websockets {websockets.__version__}; "
       f"Sec-WebSocket-Extensions: {answer}")
    plain = await asyncio.wait_for(websockets.connect(f"{URL}?since=10", compression=None), 5)
    if plain.extensions or "Sec-WebSocket-Extensions" in plain.response_headers:
        fail(f"a client that offered nothing got an extension: {plain.response_headers}")
    small = permessage_deflate.ClientPerMessageDeflateFactory(server_max_window_bits=10)
    declined = await asyncio.wait_for(websockets.connect(URL, extensions=[small], compression=None), 5)
    if declined.extensions:
        fail(f"server_max_window_bits=10 was accepted: {declined.response_headers}")
    await declined.close()
    ok("no offer, no extension; server_max_window_bits=10 declined, the handshake still 101")
    gap = await recv_json(a, "gap frame")
    if gap != {"gap": True, "from": 1, "to": 2}:
        fail(f"expected the gap 1..2, got {gap}")
    for i in range(3, 11):
        ev = await recv_json(a, f"replayed event {i}")
        if ev != {"id": i, "data": f"before {i}"}:
            fail(f"replay: expected event {i}, got {ev}")
    ok("replay from since=0: gap 1..2, then events 3..10 in order")

    # 3: chat between two clients.
    b = await asyncio.wait_for(websockets.connect(f"{URL}?since=10"), 5)
    text = "héllo ☃ from python 😀"
    await a.send(text)
    for name, ws in (("sender", a), ("other", b)):
        ev = await recv_json(ws, f"chat at the {name}")
        if ev != {"id": 11, "data": text}:
            fail(f"chat: the {name} got {ev}")
    ok("a text message became event 11 at both clients")

    # 4: pings both ways.
    pong = await a.ping(b"are you there")
    await asyncio.wait_for(pong, 5)
    await asyncio.sleep(1.5)          # five server ping intervals of silence
    if stats()["subscribers"] != 3:          # a, b and the plain client
        fail(f"an idle client was dropped: {stats()}")
    pong = await b.ping()
    await asyncio.wait_for(pong, 5)
    ok("client ping answered; server pings answered by the library, idle clients kept")

    # 5: a big message, compressible, both ways.
    ev = await recv_json(plain, "chat at the plain client")
    if ev != {"id": 11, "data": text}:
        fail(f"chat: the plain client got {ev}")
    before = compressed_frames
    big = json.dumps([{"id": i, "name": f"user {i}", "online": i % 3 == 0} for i in range(4000)])
    await b.send(big)
    for name, ws in (("sender", b), ("other", a), ("plain client", plain)):
        ev = await recv_json(ws, f"big message at the {name}")
        if ev.get("id") != 12 or ev.get("data") != big:
            fail(f"the {len(big)}-byte message arrived changed at the {name}")
    if compressed_frames - before != 2:
        fail(f"{compressed_frames - before} compressed frames reached the two compressing clients, want 2")
    if deflate_of(plain) is not None:
        fail("the plain client has a decoder")
    ok(f"a {len(big)}-byte JSON message arrived whole, compressed both ways, and plain at the plain client")
    await plain.close()

    # 6: a clean close.
    await asyncio.wait_for(b.close(code=1000, reason="done"), 5)
    if b.close_code != 1000:
        fail(f"close: the server answered {b.close_code}")
    ok("clean close: 1000 echoed")

    # 7: the server goes away.
    os.kill(PID, signal.SIGTERM)
    try:
        await asyncio.wait_for(a.wait_closed(), 5)
    except asyncio.TimeoutError:
        fail("SIGTERM: the connection did not close in 5 s")
    if a.close_code != 1001:
        fail(f"SIGTERM: close code {a.close_code}, expected 1001")
    ok("SIGTERM: the client was told 1001 (going away)")


asyncio.run(main())
