"""tests/e2e/redis_feed.py — many instances, one feed in a real redis-server.

Driven by redis_feed.sh (which checks the tools and passes RTLAB_BIN). It
starts Debian's redis-server itself on a free loopback port, in a private
directory, with an append-only file (fsync always) so that a killed Redis
can come back with its data; and two instances of bin/sse, bin/longpoll,
bin/websocket and bin/polling, each with -R. What it proves:
  1. ids are shared: events published on different instances get one
     increasing sequence;
  2. an event published on A reaches a subscriber of B, live;
     pipelined publishes are not served one Redis round trip each: eight
     POSTs in one write go to Redis together (at most a few script calls,
     not eight), answered in order with consecutive ids, and a request that
     cannot go to Redis (invalid UTF-8: 400) keeps its place in the order;
  3. a client that saw cursor C on A resumes on B and gets every later event
     exactly once, in order: SSE Last-Event-ID, long-poll since, ws ?since,
     short-poll since;
     and a cursor fresh from A that B's mirror does not hold yet (B's reads
     from Redis held back by a proxy: a lag made deterministic) waits for
     B's mirror instead of being answered as after a restart (a short poll
     gets 200 "nothing new", not 400; SSE resumes after it, no repeat);
     a cursor ahead of the stream itself is still answered 400;
  4. Redis killed (SIGKILL): publish answers 503 with a JSON body and
     Retry-After on every instance; the processes live; subscribers stay
     connected;
  5. Redis back with its data: publishing works again, and an instance that
     was away while others published (it was stopped, SIGSTOP) catches up
     from the stream: its old subscriber gets every event it missed, once;
  6. Redis back empty (a new stream): the instances see a new epoch; while
     it settles publishing is 503; then ids continue above the old ones, so
     an old cursor resumes right on an instance that still has the old
     events, and a fresh instance answers it with an explicit gap;
  7. a conflict: an instance away (stopped) through an empty restart, while
     a fresh one made the new stream from id 1, finds its ids reused: it
     counts the conflict, empties its feed and closes its subscribers (an
     explicit end, never a silent wrong resume), then mirrors the new stream.
Every wait polls a state within a deadline; nothing sleeps and hopes.
Prints "ok: ..." per check; exits 1 at the first failure.
"""
import asyncio
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request

BIN = os.environ.get("RTLAB_BIN", "bin")
TMP = tempfile.mkdtemp(prefix="rtlab-redis.")
procs = []


def ok(message):
    print(f"ok: {message}", flush=True)


def fail(message):
    print(f"FAIL: {message}", flush=True)
    for p in procs:
        if getattr(p, "err_path", None):
            try:
                with open(p.err_path) as f:
                    tail = f.read()[-1500:]
                print(f"--- {p.name} stderr:\n{tail}", flush=True)
            except OSError:
                pass
    cleanup()
    sys.exit(1)


def cleanup():
    for p in procs:
        if p.poll() is None:
            try:
                os.kill(p.pid, signal.SIGCONT)
                p.kill()
                p.wait(5)
            except (OSError, subprocess.TimeoutExpired):
                pass
    if not os.environ.get("RTLAB_KEEP"):
        shutil.rmtree(TMP, ignore_errors=True)


def wait_for(what, check, seconds=8.0):
    """Poll check() until it returns a true value; fail after `seconds`."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    fail(f"{what}: not within {seconds} s")


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


REDIS_PORT = free_port()
REDIS_URL = f"redis://127.0.0.1:{REDIS_PORT}/test"


def start_redis(directory):
    os.makedirs(directory, exist_ok=True)
    p = subprocess.Popen(
        ["redis-server", "--port", str(REDIS_PORT), "--bind", "127.0.0.1", "--save", "",
         "--appendonly", "yes", "--appendfsync", "always", "--dir", directory],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    procs.append(p)

    def answers():
        try:
            with socket.create_connection(("127.0.0.1", REDIS_PORT), 0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False
    wait_for("redis-server answering PING", answers)
    return p


class Server:
    def __init__(self, tech, *args, url=REDIS_URL):
        self.name = f"{tech}-{len(procs)}"
        self.err_path = os.path.join(TMP, self.name + ".err")
        self.p = subprocess.Popen([f"{BIN}/{tech}", "-p", "0", "-a", "127.0.0.1", "-t", "0",
                                   "-b", "64", "-q", "-R", url, *args],
                                  stdout=subprocess.PIPE, stderr=open(self.err_path, "w"), text=True)
        self.p.name, self.p.err_path = self.name, self.err_path
        procs.append(self.p)
        line = self.p.stdout.readline()
        if not line.startswith("listening on http://"):
            fail(f"{self.name} did not start: {line!r}")
        self.port = int(line.rsplit(":", 1)[1].strip().strip("/"))
        self.base = f"http://127.0.0.1:{self.port}"

    def stats(self):
        try:
            with urllib.request.urlopen(self.base + "/stats", timeout=3) as res:
                return json.load(res)
        except (OSError, ValueError):
            return None

    def redis_state(self):
        st = self.stats()
        return st["redis"] if st else None

    def wait_live(self, what):
        return wait_for(f"{self.name} {what}: redis live",
                        lambda: (self.redis_state() or {}).get("state") == "live" and self.redis_state())

    def wait_newest(self, id_):
        """Wait until this instance's mirror holds id_: a cursor from another
        instance may run ahead of ours by the stream's read lag (core/README.md)."""
        wait_for(f"{self.name} has id {id_}", lambda: (self.stats() or {}).get("newest_id", 0) >= id_)

    def publish(self, data):
        """(status, body, headers) of POST /publish."""
        req = urllib.request.Request(self.base + "/publish", data=data.encode(), method="POST")
        try:
            with urllib.request.urlopen(req, timeout=5) as res:
                return res.status, json.load(res), res.headers
        except urllib.error.HTTPError as e:
            return e.code, json.loads(e.read() or b"{}"), e.headers

    def publish_ok(self, data):
        status, body, _ = self.publish(data)
        if status != 200:
            fail(f"{self.name}: publish answered {status} {body}")
        return body["id"]

    def alive(self):
        return self.p.poll() is None


class SseStream:
    """A raw-socket SSE client: events as (id, event type, data)."""

    def __init__(self, server, last_event_id=None, wait_head=True):
        self.sock = socket.create_connection(("127.0.0.1", server.port), 5)
        head = "GET /events HTTP/1.1\r\nHost: x\r\nAccept: text/event-stream\r\n"
        if last_event_id is not None:
            head += f"Last-Event-ID: {last_event_id}\r\n"
        self.sock.sendall((head + "\r\n").encode())
        self.buf = b""
        self.events = []
        self.in_body = False
        if wait_head:
            self.head()

    def head(self):
        self._fill_until(lambda: self.in_body, "the stream's head")

    def _fill_until(self, done, what, seconds=5.0):
        deadline = time.monotonic() + seconds
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                fail(f"SSE: {what}: not within {seconds} s (have {self.events})")
            self.sock.settimeout(left)
            try:
                chunk = self.sock.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                fail(f"SSE: {what}: the stream closed")
            self.buf += chunk
            self._parse()

    def _parse(self):
        if not self.in_body:
            if b"\r\n\r\n" not in self.buf:
                return
            self.buf = self.buf.split(b"\r\n\r\n", 1)[1]
            self.in_body = True
        while b"\n\n" in self.buf:
            block, self.buf = self.buf.split(b"\n\n", 1)
            ev = {"id": None, "event": "message", "data": []}
            for line in block.decode().split("\n"):
                field, _, value = line.partition(": ")
                if field in ("id", "event"):
                    ev[field] = value
                elif field == "data":
                    ev["data"].append(value)
            if ev["data"]:
                self.events.append((int(ev["id"]), ev["event"], "\n".join(ev["data"])))

    def until_id(self, last, what):
        self._fill_until(lambda: any(e[0] >= last for e in self.events), what)
        got, self.events = self.events, []
        return got

    def still_open(self):
        self.sock.settimeout(0.05)
        try:
            return self.sock.recv(65536, socket.MSG_PEEK) != b""
        except socket.timeout:
            return True
        except OSError:
            return False


def cpu_seconds(pid):
    """User + system CPU time of a process so far (/proc/PID/stat)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


class HoldingProxy:
    """A TCP proxy to Redis whose Redis → instance direction can be held:
    while held, what Redis sends (XREAD answers) waits here, so the instance
    behind it lags the stream for as long as the test says."""

    def __init__(self):
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = self.listener.getsockname()[1]
        self.url = f"redis://127.0.0.1:{self.port}/test"
        self.open = threading.Event()
        self.open.set()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                client, _ = self.listener.accept()
                upstream = socket.create_connection(("127.0.0.1", REDIS_PORT), 2)
            except OSError:
                return
            threading.Thread(target=self._pump, args=(client, upstream, None), daemon=True).start()
            threading.Thread(target=self._pump, args=(upstream, client, self.open), daemon=True).start()

    @staticmethod
    def _pump(src, dst, gate):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                if gate is not None:
                    gate.wait(10)
                dst.sendall(data)
        except OSError:
            pass
        for sock in (src, dst):
            try:
                sock.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass

    def hold(self):
        self.open.clear()

    def release(self):
        self.open.set()


def lagging_mirror(a):
    """3b: a cursor fresh from A, ahead of a lagging B's mirror, waits for
    it; one ahead of the stream itself is still a restart (400)."""
    proxy = HoldingProxy()
    poll_b, sse_b = Server("polling", url=proxy.url), Server("sse", url=proxy.url)
    for s in (poll_b, sse_b):
        s.wait_live("behind the proxy")
    n = a.publish_ok("before the lag")
    poll_b.wait_newest(n)
    sse_b.wait_newest(n)
    proxy.hold()
    m = a.publish_ok("B has not read this yet")
    if poll_b.stats()["newest_id"] >= m or sse_b.stats()["newest_id"] >= m:
        fail("the proxy did not hold B's mirror back")
    answer = {}

    def poll():
        try:
            with urllib.request.urlopen(f"{poll_b.base}/poll?since={m}", timeout=8) as res:
                answer["poll"] = (res.status, json.load(res))
        except urllib.error.HTTPError as e:
            answer["poll"] = (e.code, json.load(e))
    asker = threading.Thread(target=poll)
    asker.start()
    stream = SseStream(sse_b, last_event_id=m, wait_head=False)
    # A publish pipelined behind the waiting poll must wait its turn too:
    # HTTP/1.1 answers come in the order asked (RFC 9112 §9.3.2).
    body = b"pipelined behind a waiting poll"
    # The publish is sent once the poll waits, so it arrives in a read of
    # its own, as a browser's or a proxy's next request would.
    wait_for("the first poll waits for B's mirror", lambda: poll_b.stats()["mirror_waiting"] == 1)
    piped = socket.create_connection(("127.0.0.1", poll_b.port), timeout=8)
    piped.sendall(f"GET /poll?since={m} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n".encode())
    wait_for("the pipelined poll waits too", lambda: poll_b.stats()["mirror_waiting"] == 2)
    piped.sendall(f"POST /publish HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {len(body)}\r\n\r\n".encode() + body)
    wait_for("both requests at B", lambda: poll_b.stats()["connections_open"] >= 3
             and sse_b.stats()["connections_open"] >= 2 and sse_b.stats()["mirror_waiting"] == 1)
    proxy.release()
    asker.join(10)
    seen = b""
    while seen.count(b"HTTP/1.1 ") < 2 or not seen.rstrip().endswith(b"}"):
        chunk = piped.recv(65536)
        if not chunk:
            break
        seen += chunk
    piped.close()
    if b'"next"' not in seen or b'{"id"' not in seen or seen.index(b'"next"') > seen.index(b'{"id"'):
        fail(f"a publish pipelined behind a poll waiting for the mirror was answered out of order: {seen!r}")
    piped_id = int(seen[seen.index(b'{"id":') + 6:].split(b"}")[0])
    status, body = answer.get("poll", (None, None))
    if status != 200 or body.get("events") != [] or body.get("next") != m:
        fail(f"short poll since={m} on a B that lags: {status} {body}, wanted 200, no events, next {m}")
    stream.head()
    k = a.publish_ok("after the lag")
    got = [e[0] for e in messages(stream.until_id(k, "SSE after the lag"))]
    if got != [piped_id, k]:
        fail(f"SSE Last-Event-ID {m} on a B that lags: got ids {got}, wanted [{piped_id}, {k}] (no repeat of {m})")
    ahead = k + 100
    try:
        with urllib.request.urlopen(f"{poll_b.base}/poll?since={ahead}", timeout=8) as res:
            fail(f"since={ahead}, ahead of the stream, answered {res.status}")
    except urllib.error.HTTPError as e:
        body = json.load(e)
        if e.code != 400 or body.get("newest") != k:
            fail(f"since={ahead}, ahead of the stream: {e.code} {body}, wanted 400 newest {k}")
    ok(f"a cursor ({m}) B's mirror did not hold yet waits for it: short poll 200 nothing new, "
       f"SSE resumes at {k} with no repeat; since={ahead} (ahead of the stream) is still 400")
    stream.sock.close()
    for s in (poll_b, sse_b):
        s.p.terminate()
        s.p.wait(5)


def messages(events):
    return [(i, d) for i, t, d in events if t == "message"]


def longpoll(server, since):
    with urllib.request.urlopen(f"{server.base}/poll?since={since}&timeout=5", timeout=8) as res:
        return json.load(res)


async def ws_replay(server, since, until):
    import websockets
    got = []
    async with websockets.connect(f"ws://127.0.0.1:{server.port}/ws?since={since}") as ws:
        while not got or got[-1] < until:
            frame = json.loads(await asyncio.wait_for(ws.recv(), 5))
            if "id" in frame:
                got.append(frame["id"])
    return got


def redis_evalsha_calls():
    """EVALSHA calls Redis has served (INFO commandstats), over a raw socket."""
    with socket.create_connection(("127.0.0.1", REDIS_PORT), 3) as s:
        s.sendall(b"INFO commandstats\r\n")
        data = b""
        while True:                                   # one bulk string: $LEN, then LEN bytes
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
            first, _, rest = data.partition(b"\r\n")
            if _ and len(rest) >= int(first[1:]) + 2:
                break
    for line in data.decode().split("\r\n"):
        if line.startswith("cmdstat_evalsha:"):
            return int(line.split("calls=", 1)[1].split(",", 1)[0])
    return 0


def pipelined(server, bodies):
    """POST each body to /publish over ONE connection, all in one write;
    returns [(status, json body)] in the order the answers came."""
    out = b"".join(b"POST /publish HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n%s" % (len(b), b)
                   for b in bodies)
    answers, buf = [], b""
    with socket.create_connection(("127.0.0.1", server.port), 5) as s:
        s.sendall(out)
        deadline = time.monotonic() + 8
        while len(answers) < len(bodies):
            while b"\r\n\r\n" in buf:
                head, rest = buf.split(b"\r\n\r\n", 1)
                length = int([h for h in head.split(b"\r\n") if h.lower().startswith(b"content-length:")][0]
                             .split(b":")[1])
                if len(rest) < length:
                    break
                answers.append((int(head.split(b" ")[1]), json.loads(rest[:length])))
                buf = rest[length:]
            if len(answers) == len(bodies):
                break
            if time.monotonic() > deadline:
                fail(f"pipelined publishes: {len(answers)} of {len(bodies)} answers within 8 s: {answers}")
            s.settimeout(max(0.05, deadline - time.monotonic()))
            try:
                chunk = s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                fail(f"pipelined publishes: the connection closed after {answers}")
            buf += chunk
    return answers


def main():
    for tool in ("redis-server",):
        if not shutil.which(tool):
            fail(f"{tool} is missing")
    redis = start_redis(os.path.join(TMP, "redis-a"))
    sse_a, sse_b = Server("sse"), Server("sse")
    lp_a, lp_b = Server("longpoll"), Server("longpoll")
    ws_a, ws_b = Server("websocket"), Server("websocket")
    poll_a, poll_b = Server("polling"), Server("polling")
    everyone = [sse_a, sse_b, lp_a, lp_b, ws_a, ws_b, poll_a, poll_b]
    for s in everyone:
        s.wait_live("at start")
    # A new stream settles first (no publish for 2.5 s): wait for the first 200.
    first = wait_for("the first publish after the stream settled",
                     lambda: sse_a.publish("first")[0] == 200 and sse_a.stats()["newest_id"], 6)

    # 1. one sequence for every instance.
    ids = [s.publish_ok(f"from {s.name}") for s in everyone]
    if ids != list(range(first + 1, first + 1 + len(everyone))):
        fail(f"ids from {len(everyone)} instances are not one sequence: {ids}")
    ok(f"{len(everyone)} instances of four servers share one id sequence: {ids}")

    # 2. published on A, live on B.
    sse_a.wait_newest(ids[-1])
    sse_b.wait_newest(ids[-1])
    live_b = SseStream(sse_b, last_event_id=ids[-1])
    live_a = SseStream(sse_a, last_event_id=ids[-1])
    n = sse_a.publish_ok("hello B")
    got = messages(live_b.until_id(n, "an event published on A, at B's subscriber"))
    if got != [(n, "hello B")]:
        fail(f"B's subscriber got {got}, wanted [({n}, 'hello B')]")
    live_a.until_id(n, "A's own subscriber")
    ok("an event published on instance A reaches a subscriber of instance B")

    # 2b. pipelined publishes go to Redis together, answered in order.
    calls = redis_evalsha_calls()
    bodies = [b"pipe %d" % i for i in range(8)] + [b"\xff not UTF-8"] + [b"pipe 8", b"pipe 9"]
    answers = pipelined(sse_a, bodies)
    calls = redis_evalsha_calls() - calls
    statuses = [a[0] for a in answers]
    if statuses != [200] * 8 + [400] + [200] * 2:
        fail(f"pipelined publishes answered {answers}, wanted 8 x 200, a 400, 2 x 200, in order")
    got_ids = [a[1]["id"] for i, a in enumerate(answers) if i != 8]
    if got_ids != list(range(n + 1, n + 11)):
        fail(f"pipelined publishes got ids {got_ids}, wanted {n + 1}..{n + 10} in order")
    if calls > 4:
        fail(f"10 pipelined publishes took {calls} script calls: served one round trip each")
    n = got_ids[-1]
    for live in (live_a, live_b):
        seen = [e[0] for e in messages(live.until_id(n, "the pipelined publishes, live"))]
        if seen != got_ids:
            fail(f"a live subscriber got {seen} for the pipelined publishes, wanted {got_ids}")
    ok(f"10 pipelined publishes (and a 400 among them) answered in order with ids {got_ids[0]}..{n} "
       f"in {calls} script calls; both instances' subscribers got each once, in order")

    # 3. a cursor seen on A, resumed on B: every later event exactly once.
    cursor = ids[1]
    for i in range(5):
        n = lp_a.publish_ok(f"burst {i}")
    want = list(range(cursor + 1, n + 1))
    for s in (sse_b, lp_b, ws_b, poll_b):
        s.wait_newest(n)
    sse_resume = [e[0] for e in messages(SseStream(sse_b, last_event_id=cursor).until_id(n, "SSE resume"))]
    if sse_resume != want:
        fail(f"SSE Last-Event-ID {cursor} on B: got {sse_resume}, wanted {want}")
    lp_resume = [e["id"] for e in longpoll(lp_b, cursor)["events"]]
    if lp_resume != want:
        fail(f"long-poll since={cursor} on B: got {lp_resume}, wanted {want}")
    ws_resume = asyncio.run(ws_replay(ws_b, cursor, n))
    if ws_resume != want:
        fail(f"ws ?since={cursor} on B: got {ws_resume}, wanted {want}")
    with urllib.request.urlopen(f"{poll_b.base}/poll?since={cursor}", timeout=5) as res:
        poll_resume = [e["id"] for e in json.load(res)["events"]]
    if poll_resume != want:
        fail(f"short poll since={cursor} on B: got {poll_resume}, wanted {want}")
    ok(f"a cursor seen on A resumes on B exactly once: SSE, long poll, ws and short poll all get "
       f"{cursor + 1}..{n}")
    live_b.until_id(n, "B's live subscriber during the burst")
    live_a.until_id(n, "A's live subscriber during the burst")
    lagging_mirror(poll_a)
    n = poll_a.stats()["newest_id"]
    for s in (live_a, live_b):
        s.until_id(n, "a live subscriber during the lag test")
    before_kill = n

    # 4. Redis killed: 503 everywhere, processes alive, subscribers connected.
    redis.kill()
    redis.wait(5)
    for s in everyone:
        wait_for(f"{s.name} sees Redis gone", lambda s=s: (s.redis_state() or {}).get("state") != "live")
    # No busy loop: three more failed reconnects (0.2 + 0.4 + 0.8 s of
    # backoff) cost next to no CPU.
    cpu_before, reconnects = cpu_seconds(sse_b.p.pid), sse_b.redis_state()["reconnects"]
    started = time.monotonic()
    wait_for("three more reconnect attempts", lambda: sse_b.redis_state()["reconnects"] >= reconnects + 3, 5)
    took, spent = time.monotonic() - started, cpu_seconds(sse_b.p.pid) - cpu_before
    if took < 0.3 or spent > 0.25:
        fail(f"three reconnect attempts took {took:.2f} s and {spent:.2f} s of CPU: no backoff")
    for s in everyone:
        status, body, headers = s.publish("into the void")
        if status != 503 or "error" not in body or headers.get("Retry-After") is None:
            fail(f"{s.name} with Redis dead: {status} {body} (Retry-After {headers.get('Retry-After')})")
    if not all(s.alive() for s in everyone):
        fail("an instance died with Redis")
    if not (live_a.still_open() and live_b.still_open()):
        fail("a subscriber was disconnected when Redis died")
    if sse_b.stats()["subscribers"] < 1:
        fail("B no longer counts its subscriber")
    ok(f"Redis killed: publish answers 503 with a JSON error and Retry-After; instances and subscribers "
       f"stay; three reconnects with backoff took {took:.1f} s and {spent * 1000:.0f} ms of CPU")

    # 5. Redis back with its data; A was away (stopped) while B published.
    os.kill(sse_a.p.pid, signal.SIGSTOP)
    redis = start_redis(os.path.join(TMP, "redis-a"))
    sse_b.wait_live("after Redis came back")
    back = [sse_b.publish_ok(f"after the outage {i}") for i in range(3)]
    if back != [before_kill + 1, before_kill + 2, before_kill + 3]:
        fail(f"after Redis came back with its data the ids went on as {back}, not from {before_kill + 1}")
    got_b = messages(live_b.until_id(back[-1], "B's old subscriber after the outage"))
    if [e[0] for e in got_b] != back:
        fail(f"B's subscriber got {got_b}")
    os.kill(sse_a.p.pid, signal.SIGCONT)
    sse_a.wait_live("after it was stopped")
    got_a = messages(live_a.until_id(back[-1], "A's old subscriber catching up"))
    if [e[0] for e in got_a] != back:
        fail(f"A's subscriber, connected through the outage, got {got_a}, wanted {back}")
    if sse_a.redis_state()["reconnects"] < 1:
        fail("A caught up without reconnecting?")
    ok("Redis back with its data: publishing works, ids go on, and A (away meanwhile) catches its "
       "subscriber up from the stream, each event once")
    for s in everyone:
        s.wait_live("after Redis came back")
    newest = back[-1]
    old_epoch = sse_b.redis_state()["epoch"]

    # 6. Redis back empty: a new epoch; ids continue above the old ones.
    redis.kill()
    redis.wait(5)
    redis = start_redis(os.path.join(TMP, "redis-empty"))
    for s in everyone:
        s.wait_live("after Redis came back empty")
    st = sse_b.redis_state()
    if st["epoch"] == old_epoch or st["epoch_changes"] != 1:
        fail(f"B did not see the new stream: {st}")
    status, body, headers = sse_b.publish("too soon")
    if status == 200 and st["settling"]:
        fail("publishing was allowed while the new stream settled")
    new_id = wait_for("a publish accepted on the new stream",
                      lambda: (lambda r: r[0] == 200 and r[1]["id"])(sse_b.publish("new stream")), 6)
    if new_id != newest + 1:
        fail(f"the new stream's first id is {new_id}: it must follow the old newest {newest}")
    sse_a.wait_newest(new_id)
    resumed = messages(SseStream(sse_a, last_event_id=newest - 1).until_id(new_id, "old cursor on A"))
    if [e[0] for e in resumed] != [newest, new_id]:
        fail(f"Last-Event-ID {newest - 1} on A after the new stream: {resumed}")
    fresh = Server("sse")
    fresh.wait_live("fresh, on the new stream")
    stream = SseStream(fresh, last_event_id=newest - 1)
    got = stream.until_id(new_id, "old cursor on a fresh instance")
    kinds = [(i, t) for i, t, _ in got]
    if kinds != [(newest, "gap"), (new_id, "message")]:
        fail(f"Last-Event-ID {newest - 1} on a fresh instance after the new stream: {got}")
    ok(f"Redis back empty: new epoch seen, 503 while it settles, ids go on at {new_id}; an old cursor "
       "resumes on an instance that kept the old events and is a gap on a fresh one")

    # 7. a conflict: X knew ids 1..5 of its stream; Redis restarts empty while
    #    X is stopped; a fresh Y makes the new stream from 1 and publishes.
    url = REDIS_URL + "-conflict"
    x = Server("sse", url=url)
    x.wait_live("alone on its own keys")
    wait_for("X's stream settled", lambda: x.publish("x0")[0] == 200, 6)
    known = [x.publish_ok(f"x{i}") for i in range(1, 5)][-1]
    x.wait_newest(known)
    x_sub = SseStream(x, last_event_id=known)
    os.kill(x.p.pid, signal.SIGSTOP)
    redis.kill()
    redis.wait(5)
    redis = start_redis(os.path.join(TMP, "redis-empty-again"))
    y = Server("sse", url=url)
    y.wait_live("fresh, making the new stream")
    reused = wait_for("Y's new stream settled",
                      lambda: (lambda r: r[0] == 200 and r[1]["id"])(y.publish("y1")), 6)
    if reused != 1:
        fail(f"Y's new stream should start at 1 (Y knew nothing), not {reused}")
    os.kill(x.p.pid, signal.SIGCONT)
    st = wait_for("X sees the conflict", lambda: (lambda r: r and r["epoch_conflicts"] == 1 and
                                                   r["state"] == "live" and r)(x.redis_state()))
    wait_for("X's subscriber closed", lambda: not x_sub.still_open(), 3)
    x.wait_newest(reused)
    if x.stats()["newest_id"] != reused or x.stats()["oldest_id"] > reused:
        fail(f"X does not mirror the new stream: {x.stats()}")
    ok(f"a conflict (ids 1..{known} reused by a new stream): counted, feed emptied, subscribers "
       f"closed, then the new stream mirrored ({st['epoch_changes']} epoch change)")
    for s in everyone:
        s.wait_live("after the last restart")
    if not all(s.alive() for s in everyone + [fresh, x, y]):
        fail("an instance died")

    # SIGTERM: every instance leaves cleanly, status 0 (under SAN=1 that
    # includes no leak and no sanitizer report).
    for s in everyone + [fresh, x, y]:
        s.p.terminate()
    for s in everyone + [fresh, x, y]:
        try:
            status = s.p.wait(5)
        except subprocess.TimeoutExpired:
            fail(f"{s.name} still running 5 s after SIGTERM")
        with open(s.err_path) as f:
            report = "Sanitizer" in f.read()
        if status != 0 or report:
            fail(f"{s.name} exited with status {status} after SIGTERM" + (" and a sanitizer report" if report else ""))
    ok("SIGTERM: every instance exits 0")
    cleanup()


if __name__ == "__main__":
    try:
        main()
    finally:
        cleanup()
