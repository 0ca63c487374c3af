"""tests/e2e/websocket_python.py — Python's `websockets` against bin/websocket.

Driven by websocket_python.sh, which starts the server with -b 8 -i 0.3 -t 0
and passes WS_PORT and WS_PID. What it proves, with a client we did not
write:
  1. the handshake: websockets checks the 101, the accept key, and that no
     extension it offered (permessage-deflate) was accepted unasked;
  2. replay: ?since=0 after 10 events, with only 8 kept, gives a gap frame
     for 1..2, then events 3..10 in order;
  3. chat: a text message (non-ASCII) from one client reaches both clients
     as the next event {"id":N,"data":"..."};
  4. a ping from the client is answered; the server's own pings (every
     0.3 s of silence) are answered by the library, so an idle client stays;
  5. a 200 kB message (64-bit length form) arrives whole;
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

PORT = int(os.environ["WS_PORT"])
PID = int(os.environ["WS_PID"])
BASE = f"http://127.0.0.1:{PORT}"
URL = f"ws://127.0.0.1:{PORT}/ws"


def ok(message):
    print(f"ok: {message}", flush=True)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    sys.exit(1)


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
    if a.extensions:
        fail(f"an extension was negotiated: {a.extensions}")
    ok(f"handshake: 101, accept key checked by websockets {websockets.__version__}")
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
    if stats()["subscribers"] != 2:
        fail(f"an idle client was dropped: {stats()}")
    pong = await b.ping()
    await asyncio.wait_for(pong, 5)
    ok("client ping answered; server pings answered by the library, idle clients kept")

    # 5: a big message.
    big = "x" * 200000
    await b.send(big)
    for name, ws in (("sender", b), ("other", a)):
        ev = await recv_json(ws, f"big message at the {name}")
        if ev.get("id") != 12 or ev.get("data") != big:
            fail(f"the 200 kB message arrived changed at the {name}")
    ok("a 200 kB message arrived whole")

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
