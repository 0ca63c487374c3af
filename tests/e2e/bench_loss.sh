#!/bin/sh
# tests/e2e/bench_loss.sh — a run that loses deliveries says so.
#
# The baseline may queue only 4 KiB for a subscriber (-o 4096). loadgen
# (its subscribers and its publisher alike) is frozen for 1.5 s with SIGSTOP;
# when it wakes, its open-loop publisher sends at once the ~6000 1-KiB
# events that fell due meanwhile, the baseline fans out megabytes to each
# subscriber faster than they read, passes its cap and drops them. loadgen
# reconnects them (the baseline keeps no history, so what was published
# meanwhile is gone): the JSON must report those deliveries as lost, with
# "ok":false and a LOST warning, and count the disconnects. A generator that
# only counted what arrived would call this run perfect.
set -u
. "$(dirname "$0")/bench_lib.sh"

"$BIN/baseline" -p 0 -q -o 4096 >"$tmp/baseline.out" 2>&1 &
spid=$!
pids="$pids $spid"
for _ in $(seq 1 100); do
    port=$(sed -n '1s|^listening on tcp://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/baseline.out")
    [ -n "$port" ] && break
    sleep 0.05
done
[ -n "$port" ] || fail "baseline did not start"

"$BIN/loadgen" -q -T baseline -u "tcp://127.0.0.1:$port" -c 4 -r 4000 -d 3 -s 1024 \
    >"$tmp/run.json" 2>"$tmp/run.err" &
lg=$!
pids="$pids $lg"
sleep 0.8
kill -STOP $lg
sleep 1.5
kill -CONT $lg
wait $lg || fail "loadgen exited $?"
cat "$tmp/run.json"
cat "$tmp/run.err"
lost=$(field "$tmp/run.json" lost)
at_least "$lost" 1 || fail "no deliveries reported lost"
grep -q '"ok":false' "$tmp/run.json" || fail "a run with losses is not marked ok:false"
grep -q "WARNING: LOST" "$tmp/run.err" || fail "no LOST warning on stderr"
at_least "$(field "$tmp/run.json" disconnects)" 1 || fail "the dropped subscribers were not counted"
echo "ok: $lost lost deliveries reported, loudly"
