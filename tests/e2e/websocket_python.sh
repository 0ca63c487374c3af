#!/usr/bin/env bash
# tests/e2e/websocket_python.sh — a standard WebSocket client, Python's
# `websockets` (Debian's python3-websockets), against bin/websocket.
#
# Starts bin/websocket on a free port with a small feed (-b 8, so a replay
# from the start has a gap), fast server pings (-i 0.3) and the ticker off;
# tests/e2e/websocket_python.py connects, replays, chats, pings, sends a big
# message, closes cleanly, and finally sees the server go away with 1001.
#
# It must be Debian's /usr/bin/python3: the python3 first on PATH may be
# another installation that lacks the package.
#
# Exit 0: pass. Exit 77: a tool is missing (a failure when CI=true: under CI
# nothing may skip). Exit 1: a check failed. The server is stopped on any exit.
set -u

cd "$(dirname "$0")/../.."
bin="${RTLAB_BIN:-bin}"
python=/usr/bin/python3

skip() {
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $* (CI=true: the real-client test may not skip)"
        exit 1
    fi
    echo "SKIP: $* — install with: scripts/deps.sh test"
    exit 77
}

[ -x "$python" ] || skip "$python is missing"
"$python" -c 'import websockets' 2>/dev/null || skip "python3-websockets is missing"
[ -x "$bin/websocket" ] || { echo "FAIL: $bin/websocket is not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-ws-python.XXXXXX")
pid=""
cleanup() {
    if [ -n "$pid" ]; then
        kill -TERM "$pid" 2>/dev/null
        for _ in $(seq 30); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
    fi
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

"$bin/websocket" -p 0 -a 127.0.0.1 -t 0 -b 8 -i 0.3 >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=""
for _ in $(seq 100); do   # at most 5 s
    port=$(sed -n 's#^listening on http://[^/]*:\([0-9]*\)/$#\1#p' "$tmp/out" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: $bin/websocket did not start"; cat "$tmp/err"; exit 1; }

# The client stops the server itself at the end (SIGTERM) to see close 1001.
WS_PORT="$port" WS_PID="$pid" timeout -k 5 60 "$python" tests/e2e/websocket_python.py
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log:"; tail -20 "$tmp/err"; fi
if [ $rc -eq 0 ]; then
    # SIGTERM must have made the server exit, and with status 0.
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        echo "FAIL: bin/websocket still running 5 s after SIGTERM"; rc=1
    else
        wait "$pid"; status=$?; pid=""
        [ $status -eq 0 ] || { echo "FAIL: bin/websocket exited with $status after SIGTERM"; rc=1; }
    fi
fi
[ $rc -eq 0 ] && echo "result: python3 websockets connects, replays, chats, pings and closes cleanly"
exit $rc
