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
. "$(dirname "$0")/lib.sh"

need_browser


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
start_server sse -w "$tmp/web" -t 0 -r 1000

SSE_PORT="$port" SSE_LOG="$tmp/sse.err" timeout -k 5 120 node tests/e2e/sse_chromium.mjs
rc=$?
if [ $rc -ne 0 ]; then echo "--- server log:"; tail -20 "$tmp/sse.err"; fi
kill -0 "$pid" 2>/dev/null || { echo "FAIL: bin/sse died during the test"; rc=1; }
[ $rc -eq 0 ] && echo "result: Chromium's EventSource reconnects with Last-Event-ID and misses nothing"
exit $rc
