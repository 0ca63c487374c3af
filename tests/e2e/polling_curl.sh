#!/bin/sh
# tests/e2e/polling_curl.sh — polling and long polling driven by curl, a real
# HTTP client we did not write: publish, poll, long-poll woken by a publish,
# keep-alive reuse across two URLs, and the CORS header the demo relies on.
set -u
. "$(dirname "$0")/lib.sh"
need_curl

start_server polling -q -t 0
base="http://127.0.0.1:$port"
out=$(curl -sS --max-time 5 -d 'hello from curl' "$base/publish") || fail "publish"
[ "$out" = '{"id":1}' ] || fail "publish answered $out"
out=$(curl -sS --max-time 5 "$base/poll?since=0") || fail "poll"
[ "$out" = '{"next":1,"events":[{"id":1,"data":"hello from curl"}]}' ] || fail "poll answered $out"
echo "ok: polling publish + poll"

# curl reuses one connection for both URLs (keep-alive) and says so.
curl -sS -v --max-time 5 "$base/poll?since=1" "$base/stats" >"$tmp/ka" 2>&1 || fail "keep-alive pair"
grep -q "Re-using existing connection" "$tmp/ka" || fail "connection was not reused"
grep -qi "^< Access-Control-Allow-Origin: \*" "$tmp/ka" || fail "no CORS header"
echo "ok: keep-alive reuse and CORS"

start_server longpoll -q -t 0
base="http://127.0.0.1:$port"
curl -sS --max-time 10 "$base/poll?since=0&timeout=9" >"$tmp/lp" &
waiter=$!
wait_stat "$port" subscribers 1      # the poll has parked: only a publish can answer it now
curl -sS --max-time 5 -d 'wake' "$base/publish" >/dev/null || fail "publish to longpoll"
wait $waiter || fail "long poll failed"
[ "$(cat "$tmp/lp")" = '{"next":1,"events":[{"id":1,"data":"wake"}]}' ] || fail "long poll answered $(cat "$tmp/lp")"
echo "ok: long poll woken by a publish"

echo "result: polling and longpoll work with curl"
