#!/usr/bin/env bash
# tests/e2e/websocket_chromium.sh — a real browser's WebSocket (headless
# Chromium) against bin/websocket.
#
# Starts bin/websocket on a free port with a temporary web root holding one
# small page (helpers that open sockets and record what they get), fast
# server pings (-i 0.3) and the ticker off; tests/e2e/websocket_chromium.mjs
# drives the page: replay, chat between two sockets, a 100 kB message, idle
# sockets kept alive by the browser's pongs, a refused handshake, a clean
# close, and 1001 when the server stops.
#
# Exit 0: pass. Exit 77: a tool is missing (a failure when CI=true: under CI
# nothing may skip). Exit 1: a check failed. The server is stopped on any exit.
set -u

cd "$(dirname "$0")/../.."
bin="${RTLAB_BIN:-bin}"

skip() {
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $* (CI=true: the browser test may not skip)"
        exit 1
    fi
    echo "SKIP: $* — install with: scripts/deps.sh test"
    exit 77
}

command -v node >/dev/null 2>&1 || skip "node is missing"
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is missing"
[ -f node_modules/playwright-core/package.json ] || skip "playwright-core is missing from ./node_modules"
[ -x "$bin/websocket" ] || { echo "FAIL: $bin/websocket is not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-ws-chromium.XXXXXX")
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
    ws.onopen = () => { rec.opened = true; resolve(true); };
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

"$bin/websocket" -p 0 -a 127.0.0.1 -w "$tmp/web" -t 0 -i 0.3 >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=""
for _ in $(seq 100); do   # at most 5 s
    port=$(sed -n 's#^listening on http://[^/]*:\([0-9]*\)/$#\1#p' "$tmp/out" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: $bin/websocket did not start"; cat "$tmp/err"; exit 1; }

# The page's script stops the server itself at the end (SIGTERM) to see 1001.
WS_PORT="$port" WS_PID="$pid" timeout -k 5 120 node tests/e2e/websocket_chromium.mjs
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log:"; tail -20 "$tmp/err"; fi
[ $rc -eq 0 ] && echo "result: Chromium's WebSocket connects, replays, chats, stays alive and closes cleanly"
exit $rc
