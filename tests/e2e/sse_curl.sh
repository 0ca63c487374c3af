#!/bin/sh
# tests/e2e/sse_curl.sh — the SSE stream as curl, a real HTTP client we did
# not write, sees it: `curl -N` prints the raw event stream as it arrives.
#
# Checks: the head (text/event-stream, no-cache, X-Accel-Buffering: no, no
# Content-Length); the body byte for byte: retry: and the starting id first,
# the replay after
# Last-Event-ID, an event published while the stream is open, multi-line
# data as several data: lines, keep-alive comments (-K 200); ?since=N.
#
# Exit 0: pass. Exit 77: curl is missing (a failure when CI=true).
set -u
. "$(dirname "$0")/lib.sh"
need_curl
start_server sse -q -t 0 -K 200 -r 1500
base="http://127.0.0.1:$port"

publish() { curl -sS --max-time 5 --data-binary "$1" "$base/publish" >/dev/null || fail "publish $1"; }
publish "first"
publish "second"

# The stream, resumed after id 1; while it is open, one more event (two
# lines of data). --max-time ends curl (exit 28): the stream itself never
# ends.
curl -sS -N --max-time 2 -D "$tmp/head" -H 'Last-Event-ID: 1' "$base/events" >"$tmp/body" 2>"$tmp/err" &
reader=$!
wait_stat "$port" subscribers 1 1    # the stream is open (and replayed) before the live event
publish "$(printf 'third\nline two')"
wait $reader
rc=$?
[ $rc -eq 28 ] || fail "curl ended with $rc, not at its --max-time (28): $(cat "$tmp/err")"

tr -d '\r' <"$tmp/head" >"$tmp/head.lf"
grep -qx 'HTTP/1.1 200 OK' "$tmp/head.lf" || fail "status: $(head -1 "$tmp/head.lf")"
grep -qx 'Content-Type: text/event-stream' "$tmp/head.lf" || fail "no text/event-stream"
grep -qx 'Cache-Control: no-cache' "$tmp/head.lf" || fail "no Cache-Control: no-cache"
grep -qx 'X-Accel-Buffering: no' "$tmp/head.lf" || fail "no X-Accel-Buffering: no"
grep -qi '^Content-Length' "$tmp/head.lf" && fail "a stream has no Content-Length"
echo "ok: stream head"

# The body: retry, the replay (id 2 only), the live event, then keep-alives.
printf 'retry: 1500\nid: 1\n\nid: 2\ndata: second\n\nid: 3\ndata: third\ndata: line two\n\n' >"$tmp/want"
grep -v '^: keep-alive$' "$tmp/body" >"$tmp/events"
cmp -s "$tmp/want" "$tmp/events" || {
    echo "--- want"; cat "$tmp/want"; echo "--- got"; cat "$tmp/body"
    fail "the stream is not what the format says"
}
echo "ok: retry, replay after Last-Event-ID, live event, multi-line data — byte for byte"
ka=$(grep -c '^: keep-alive$' "$tmp/body")
[ "$ka" -ge 3 ] || fail "only $ka keep-alive comments in 2 s at -K 200"
echo "ok: $ka keep-alive comments"

# ?since=N does what Last-Event-ID does, for a client that keeps its own cursor.
curl -sS -N --max-time 0.5 "$base/events?since=2" >"$tmp/since" 2>/dev/null
grep -v '^: keep-alive$' "$tmp/since" >"$tmp/since.events"
printf 'retry: 1500\nid: 2\n\nid: 3\ndata: third\ndata: line two\n\n' | cmp -s - "$tmp/since.events" ||
    fail "?since=2 gave: $(cat "$tmp/since")"
echo "ok: ?since=2"

echo "result: curl -N sees the raw event stream"
