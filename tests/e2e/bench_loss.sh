#!/bin/sh
# tests/e2e/bench_loss.sh — loadgen counts what goes wrong, exactly.
#
# The baseline is told to lose every 10th event (-L 10: sent to no one)
# and to send every 25th twice (-D 25). Its event count includes loadgen's
# warm-up event, so event e is loadgen's seq e-1. For 10 clients × 200
# events we know exactly how many deliveries must be reported lost and how
# many duplicated; the run must also say "ok":false with a LOST warning.
# A generator that only counted what arrived would call this run perfect.
set -u
. "$(dirname "$0")/bench_lib.sh"

"$BIN/baseline" -p 0 -q -L 10 -D 25 >"$tmp/baseline.out" 2>&1 &
spid=$!
pids="$pids $spid"
for _ in $(seq 1 100); do
    port=$(sed -n '1s|^listening on tcp://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/baseline.out")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "baseline did not start"

clients=10 events=200
# The exact answer: events 2..201 carry seq 1..200.
want_lost=$(awk -v n=$events -v c=$clients 'BEGIN { for (e = 2; e <= n + 1; e++) if (e % 10 == 0) k++; print k * c }')
want_dup=$(awk -v n=$events -v c=$clients 'BEGIN { for (e = 2; e <= n + 1; e++) if (e % 10 != 0 && e % 25 == 0) k++; print k * c }')

"$BIN/loadgen" -q -T baseline -u "tcp://127.0.0.1:$port" -c $clients -r 400 -d 0.5 -s 64 -g 1 \
    >"$tmp/run.json" 2>"$tmp/run.err" || fail "loadgen exited $?"
cat "$tmp/run.json" "$tmp/run.err"
lost=$(field "$tmp/run.json" lost)
dup=$(field "$tmp/run.json" duplicates)
[ "$(field "$tmp/run.json" events_sent)" = $events ] || fail "not $events events sent"
[ "$lost" = "$want_lost" ] || fail "lost is $lost, want $want_lost"
[ "$dup" = "$want_dup" ] || fail "duplicates is $dup, want $want_dup"
[ "$(field "$tmp/run.json" unique_deliveries)" = $((clients * events - want_lost)) ] ||
    fail "unique deliveries is not $((clients * events - want_lost))"
grep -q '"ok":false' "$tmp/run.json" || fail "a run with losses is not marked ok:false"
grep -q "WARNING: LOST $want_lost of $((clients * events)) deliveries" "$tmp/run.err" ||
    fail "no LOST warning on stderr"
grep -q "WARNING: $want_dup DUPLICATE deliveries" "$tmp/run.err" || fail "no DUPLICATE warning on stderr"
echo "ok: exactly $lost lost and $dup duplicated deliveries reported, loudly"
