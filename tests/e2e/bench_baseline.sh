#!/bin/sh
# tests/e2e/bench_baseline.sh — loadgen counts deliveries exactly: against
# the raw-TCP baseline, 100 clients × 200 events must give exactly 20 000
# deliveries, every one unique, none lost and none duplicated; then the same
# for each of the four servers that is built (a smaller run), so a wrong
# count in any technique's parser fails here and not silently in a chart.
# For the servers, loadgen's count must also equal the server's own
# (the "deliveries" of its /stats, which loadgen reads before and after).
set -u
. "$(dirname "$0")/bench_lib.sh"

start baseline
"$BIN/loadgen" -q -T baseline -u "tcp://127.0.0.1:$port" -c 100 -r 200 -d 1 -s 64 -P "$spid" \
    >"$tmp/run.json" || fail "loadgen exited $?"
cat "$tmp/run.json"
[ "$(field "$tmp/run.json" subscribed)" = 100 ] || fail "not all 100 clients subscribed"
[ "$(field "$tmp/run.json" events_sent)" = 200 ] || fail "not 200 events sent"
[ "$(field "$tmp/run.json" deliveries)" = 20000 ] || fail "deliveries is not 100 × 200 = 20000"
[ "$(field "$tmp/run.json" unique_deliveries)" = 20000 ] || fail "unique deliveries is not 20000"
[ "$(field "$tmp/run.json" lost)" = 0 ] || fail "lost deliveries"
[ "$(field "$tmp/run.json" duplicates)" = 0 ] || fail "duplicate deliveries"
grep -q '"ok":true' "$tmp/run.json" || fail "run not ok"
echo "ok: baseline 100 × 200 = 20000 deliveries, none lost or duplicated"

for t in polling longpoll sse websocket; do
    if [ ! -x "$BIN/$t" ]; then
        echo "note: $BIN/$t not built; not checked"
        continue
    fi
    start "$t"
    "$BIN/loadgen" -q -T "$t" -u "http://127.0.0.1:$port/" -c 20 -r 50 -d 1 -s 64 -i 20 -P "$spid" \
        >"$tmp/$t.json" || fail "$t: loadgen exited $?"
    d=$(field "$tmp/$t.json" unique_deliveries)
    [ "$d" = 1000 ] || { cat "$tmp/$t.json"; fail "$t: $d unique deliveries, want 20 × 50 = 1000"; }
    [ "$(field "$tmp/$t.json" duplicates)" = 0 ] || fail "$t: duplicates"
    sd=$(field "$tmp/$t.json" server_deliveries)
    [ "$sd" = 1000 ] || fail "$t: the server counted $sd deliveries, loadgen 1000"
    echo "ok: $t 20 × 50 = 1000 deliveries, none lost or duplicated; the server counted 1000 too"
done
