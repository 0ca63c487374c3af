#!/usr/bin/env bash
# tests/e2e/websocket_chromium.sh — a real browser's WebSocket (headless
# Chromium) against bin/websocket.
#
# Starts bin/websocket on a free port with a temporary web root holding one
# small page (helpers that open sockets and record what they get), fast
# server pings (-i 0.3) and the ticker off; tests/e2e/websocket_chromium.mjs
# drives the page: replay, permessage-deflate agreed (Chromium always offers
# it), chat between two sockets, a 100 kB message compressed both ways, idle
# sockets kept alive by the browser's pongs, a refused handshake, a clean
# close, and 1001 when the server stops.
#
# Exit 0: pass. Exit 77: a tool is missing (a failure when CI=true: under CI
# nothing may skip). Exit 1: a check failed. The server is stopped on any exit.
set -u
. "$(dirname "$0")/lib.sh"

need_browser


# The page: wsOpen(query) opens a socket and records its messages and close.
mkdir "$tmp/web"
cat >"$tmp/web/ws_test.html" <<'HTML'
<!doctype html>
<meta charset="utf-8">
<title>rtlab websocket test</title>
<script>
window.sockets = {};
window.wsOpen = (name, query) => new Promise((resolve) => {
    const ws = new WebSocket(`ws://${location.host}/ws${query}`);
    const rec = { messages: [], opened: false, error: false, close: null };
    window.sockets[name] = { ws, rec };
    ws.onopen = () => { rec.opened = true; rec.extensions = ws.extensions; resolve(true); };
    ws.onmessage = (e) => rec.messages.push(e.data);
    ws.onerror = () => { rec.error = true; };
    ws.onclose = (e) => {
        rec.close = { code: e.code, reason: e.reason, wasClean: e.wasClean };
        resolve(false);
    };
});
window.wsRecord = (name) => window.sockets[name].rec;
</script>
HTML

start_server websocket -w "$tmp/web" -t 0 -i 0.3

# The page's script stops the server itself at the end (SIGTERM) to see 1001.
WS_PORT="$port" WS_PID="$pid" timeout -k 5 120 node tests/e2e/websocket_chromium.mjs
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log:"; tail -20 "$tmp/websocket.err"; fi
[ $rc -eq 0 ] && echo "result: Chromium's WebSocket connects, replays, chats, stays alive and closes cleanly"
exit $rc
