#!/usr/bin/env bash
# tests/e2e/sse_chromium.sh — EventSource in a real headless Chromium against
# bin/sse: live events, then the server drops the stream twice and the
# browser reconnects by itself with Last-Event-ID, missing nothing.
#
# Starts bin/sse on a free port with a temporary web root that holds one
# small page (an EventSource recording what it gets), a short retry: (-r)
# and the ticker off; tests/e2e/sse_chromium.mjs drives the page.
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
[ -x "$bin/sse" ] || { echo "FAIL: $bin/sse is not built"; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-sse-chromium.XXXXXX")
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

# The page: an EventSource that records every message, gap, open and error.
mkdir "$tmp/web"
cat >"$tmp/web/sse_test.html" <<'HTML'
<!doctype html>
<meta charset="utf-8">
<title>rtlab sse reconnection test</title>
<script>
window.sseTest = { opens: 0, errors: 0, ids: [], data: [], gaps: [] };
const source = new EventSource('/events');
source.onopen = () => { window.sseTest.opens++; };
source.onerror = () => { window.sseTest.errors++; };
source.onmessage = (e) => { window.sseTest.ids.push(Number(e.lastEventId)); window.sseTest.data.push(e.data); };
source.addEventListener('gap', (e) => { window.sseTest.gaps.push(e.data); });
</script>
HTML

# Not -q: the log line "resumes after Last-Event-ID N" is part of the proof.
"$bin/sse" -p 0 -a 127.0.0.1 -w "$tmp/web" -t 0 -r 1000 >"$tmp/out" 2>"$tmp/err" &
pid=$!
port=""
for _ in $(seq 100); do   # at most 5 s
    port=$(sed -n 's#^listening on http://[^/]*:\([0-9]*\)/$#\1#p' "$tmp/out" 2>/dev/null)
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || { echo "FAIL: bin/sse did not start"; cat "$tmp/err"; exit 1; }

SSE_PORT="$port" SSE_LOG="$tmp/err" timeout -k 5 120 node tests/e2e/sse_chromium.mjs
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log:"; tail -20 "$tmp/err"; fi
kill -0 "$pid" 2>/dev/null || { echo "FAIL: bin/sse died during the test"; rc=1; }
[ $rc -eq 0 ] && echo "result: Chromium's EventSource reconnects with Last-Event-ID and misses nothing"
exit $rc
