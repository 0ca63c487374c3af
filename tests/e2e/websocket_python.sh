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
. "$(dirname "$0")/lib.sh"

need_python_websockets


start_server websocket -t 0 -b 8 -i 0.3

# The client stops the server itself at the end (SIGTERM) to see close 1001.
WS_PORT="$port" WS_PID="$pid" timeout -k 5 60 "$python" tests/e2e/websocket_python.py
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log:"; tail -20 "$tmp/websocket.err"; fi
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
