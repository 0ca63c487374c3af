#!/bin/sh
# lessons/tools/check-request.sh — grade lesson 01's raw requests.
#
# Usage: check-request.sh path/to/request.sh
# Runs the student's request.sh, sends exactly the bytes it prints to a real
# bin/polling (the project's own, on 127.0.0.1, a free port, no ticker) over
# one raw TCP connection, reads until the server closes it (at most 5 s) and
# checks the two answers. One "  ok"/"  FAIL" line per behaviour; exit 1 on
# any FAIL, 2 when the server could not be started.
set -u
cd "$(dirname "$0")/../.."
script=$1
# The server that hears your bytes is the project's own bin/polling, built
# here from the project's parser (with B and BIN said outright: the grader's
# own BIN, in the environment, has no rule for it). In a handout tree
# core/http.c is the lesson's starter too; then the server is the lesson's
# build, with the parser you wrote ($BIN/polling, built by lessons/grade.sh).
if grep -q 'TODO(student)' core/http.c 2>/dev/null && [ -n "${BIN:-}" ]; then
    srv_bin=$BIN/polling
    [ -x "$srv_bin" ] || { echo "  FAIL  $srv_bin was not built (make lesson N=01 builds it)"; exit 2; }
else
    srv_bin=bin/polling
    make --no-print-directory SAN= B=build/release BIN=bin bin/polling >/dev/null 2>"${TMPDIR:-/tmp}/rtlab-polling-build.$$" || {
        echo "  FAIL  could not build bin/polling: $(grep -m1 -E 'error|No rule' "${TMPDIR:-/tmp}/rtlab-polling-build.$$")"
        rm -f "${TMPDIR:-/tmp}/rtlab-polling-build.$$"
        exit 2
    }
    rm -f "${TMPDIR:-/tmp}/rtlab-polling-build.$$"
fi
command -v python3 >/dev/null || { echo "  FAIL  python3 is needed to send raw bytes (scripts/deps.sh test)"; exit 2; }

tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
"$srv_bin" -p 0 -t 0 -q >"$tmp/server.out" 2>&1 &
pid=$!
port=""
for _ in $(seq 50); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
if [ -z "$port" ]; then
    echo "  FAIL  $srv_bin did not start; it said: $(head -3 "$tmp/server.out" | tr '\n' ' ')"
    exit 2
fi

timeout 5 sh "$script" >"$tmp/request.bin" 2>"$tmp/request.err"
python3 - "$port" "$tmp/request.bin" <<'PY'
import socket, sys, time

port, path = int(sys.argv[1]), sys.argv[2]
sent = open(path, "rb").read()
results = []

def check(ok, text, hint=""):
    results.append(ok)
    print(("  ok    " if ok else "  FAIL  ") + text)
    if not ok and hint:
        print("        " + hint)
    return ok

if not check(len(sent) > 0, "request.sh prints the bytes of your requests",
             "it printed nothing yet: write the printf lines"):
    sys.exit(1)

def bare_lf_line(data):
    """The first line of the requests that ends in a bare LF, or None. Heads
    are read the server's way: lines up to an empty one, then a body of
    Content-Length bytes."""
    pos = 0
    while pos < len(data):
        length = 0
        while True:
            nl = data.find(b"\n", pos)
            if nl < 0:
                return None
            line, pos = data[pos:nl + 1], nl + 1
            if not line.endswith(b"\r\n"):
                return line
            if line == b"\r\n":
                break
            name, _, value = line[:-2].partition(b":")
            if name.strip().lower() == b"content-length" and value.strip().isdigit():
                length = int(value.strip())
        pos += length
    return None

lf = bare_lf_line(sent)
check(lf is None,
      "every line of your requests ends in CRLF (\\r\\n), as RFC 9112 §2.2 asks of a sender",
      "this line ends in a bare \\n: %s (printf needs \\r\\n; our server forgives it, others do not)"
      % repr(lf)[1:] if lf is not None else "")

s = socket.create_connection(("127.0.0.1", port), timeout=5)
s.sendall(sent)
got, closed, deadline = b"", False, time.time() + 5
while time.time() < deadline:
    try:
        part = s.recv(65536)
    except socket.timeout:
        break
    if not part:
        closed = True
        break
    got += part
s.close()

def answers(data):
    """Split the bytes into (status, head, body) answers using Content-Length."""
    out = []
    while data:
        end = data.find(b"\r\n\r\n")
        if end < 0:
            break
        head = data[:end].decode("latin-1")
        lines = head.split("\r\n")
        try:
            status = int(lines[0].split(" ")[1])
        except (IndexError, ValueError):
            break
        length = 0
        for line in lines[1:]:
            name, _, value = line.partition(":")
            if name.strip().lower() == "content-length":
                length = int(value.strip())
        body = data[end + 4:end + 4 + length]
        out.append((status, head, body.decode("utf-8", "replace")))
        data = data[end + 4 + length:]
    return out

said = answers(got)
first = said[0] if said else None
check(first is not None and first[0] == 200 and '"id":' in first[2],
      "the first answer is 200 {\"id\":N}: the server took your POST /publish",
      "the server answered: " + (repr(first[1].splitlines()[0] + " " + first[2]) if first else repr(got[:200]))
      + " (check the request line, Host, Content-Length and the empty line)")
second = said[1] if len(said) > 1 else None
check(second is not None and second[0] == 200 and '"events":[' in second[2],
      "a second answer follows on the same connection: your GET /poll was read after the body",
      "answers seen: %d; a Content-Length that is not the body's exact size swallows or leaves bytes" % len(said))
check(second is not None and '"data":"hello, rtlab"' in second[2],
      "the poll answer holds the event with exactly the data \"hello, rtlab\"",
      "the poll said: " + (second[2].strip() if second else "(nothing)"))
check(closed and len(said) == 2,
      "the server closed the connection right after the second answer (Connection: close)",
      "it kept the connection open (or answered %d times): ask it to close" % len(said) if not closed
      else "it closed after %d answer(s), not 2" % len(said))
sys.exit(0 if all(results) else 1)
PY
