#!/bin/sh
# bench/summary.sh — write summary.md for a bench results folder (from its
# runs.csv and env.txt) to stdout.
#
# Usage: bench/summary.sh DIR LOAD_CLIENTS LOAD_RATE MAIN_RATE
# The column numbers below are those of loadgen's CSV header (bench/README.md).
set -u
dir=$1 load_clients=$2 load_rate=$3 main_rate=$4
csv="$dir/runs.csv"

echo "# rtlab bench results"
echo
sed 's/^/    /' "$dir/env.txt"
echo
if [ ! -s "$csv" ]; then
    echo "**No runs completed.**"
    exit 0
fi

echo "## $load_clients subscribers, $load_rate events/s (the table to read first)"
echo
echo "Latency is from the event's *scheduled* send time to its arrival at the subscriber."
echo "CPU and memory are the server's, from /proc. Read every row against \`baseline\`:"
echo "the same fan-out over raw TCP."
echo
echo "| technique | p50 ms | p99 ms | p99.9 ms | max ms | lost | dup | bytes/delivery | requests/delivery | server CPU µs/delivery | deliveries per server CPU-s | memory/subscriber B | subscribe p50 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F, -v c="$load_clients" -v r="$load_rate" 'NR > 1 && $3 == c && $5 == r {
    if ($2 != "") $1 = $2
    printf "| %s | %.3f | %.3f | %.3f | %.3f | %d | %d | %.0f | %.3f | %.2f | %.0f | %.0f | %.3f |\n",
        $1, $15/1000, $17/1000, $18/1000, $19/1000, $12, $13, $31, $32, $33, $34, $35, $23/1000 }' "$csv"
echo

echo "## Light load: one subscriber, $main_rate events/s"
echo
echo "One-way push latency when nothing else is going on, against the raw TCP"
echo "baseline of the same sweep (the design aims at ≤ 1.5 × baseline)."
echo
echo "| technique | p50 ms | p99 ms | p50 / baseline p50 |"
echo "|---|---:|---:|---:|"
awk -F, -v r="$main_rate" 'NR > 1 && $3 == 1 && $5 == r { if ($2 != "") $1 = $2; t[++n] = $1; p50[n] = $15; p99[n] = $17; if ($1 == "baseline") base = $15 }
    END { for (i = 1; i <= n; i++)
            printf "| %s | %.3f | %.3f | %s |\n", t[i], p50[i]/1000, p99[i]/1000, (base > 0 ? sprintf("%.2f", p50[i]/base) : "?") }' "$csv"
echo

echo "## Idle cost: memory per subscriber and connect cost ($main_rate events/s)"
echo
echo "| technique | clients | memory/subscriber B | connect p50 µs | subscribed p50 µs | subscribed p99 µs |"
echo "|---|---:|---:|---:|---:|---:|"
awk -F, -v r="$main_rate" 'NR > 1 && $5 == r && $3 >= 1000 {
    if ($2 != "") $1 = $2
    printf "| %s | %d | %.0f | %.0f | %.0f | %.0f |\n", $1, $3, $35, $21, $23, $24 }' "$csv"
echo

echo "## Every run"
echo
echo "*server waited* is how long the server was ready to run but waiting for a"
echo "CPU during the run (other programs, or the kernel's network work on that CPU),"
echo "against the CPU it used: when it is large, that run's latency measures the"
echo "machine more than the server."
echo
echo "| technique | clients | rate/s | subscribed | p50 ms | p99 ms | max ms | lost | bytes/delivery | requests/delivery | empty polls | server CPU µs/delivery | server CPU ms | server waited ms | loadgen busy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
awk -F, 'NR > 1 {
    if ($2 != "") $1 = $2
    printf "| %s | %d | %g | %d | %.3f | %.3f | %.3f | %d | %.0f | %.3f | %d | %.2f | %.0f | %.0f | %.0f%% |\n",
        $1, $3, $5, $4, $15/1000, $17/1000, $19/1000, $12, $31, $32, $29, $33, $39/1000, $38/1000, $37*100 }' "$csv"
echo

bad=$(awk -F, 'NR > 1 && ($12 > 0 || $13 > 0 || $4 < $3 || ($42 != "" && $42 >= 0 && $42 != $41)) { if ($2 != "") $1 = $2; printf "- **%s c=%d r=%g**: lost %d, duplicates %d, subscribed %d of %d", $1, $3, $5, $12, $13, $4, $3; if ($42 != "" && $42 >= 0 && $42 != $41) printf ", the server counted %d deliveries where loadgen got %d", $42, $41; printf "\n" }' "$csv")
echo "## Losses"
echo
if [ -n "$bad" ]; then
    echo "**Runs that lost or duplicated deliveries, or could not subscribe every client:**"
    echo
    echo "$bad"
else
    echo "None: every subscriber got every event exactly once, in every run (and where"
    echo "the server counts its deliveries, its count agreed with loadgen's)."
fi
echo

if [ -f "$dir/wrk-check.txt" ]; then
    echo "## loadgen against wrk (short polling, same server, connections and pinning)"
    echo
    sed 's/^/    /' "$dir/wrk-check.txt"
    echo
fi

echo "## Charts"
echo
for f in "$dir"/*.svg; do
    [ -f "$f" ] || continue
    b=$(basename "$f" .svg)
    echo "- [$b]($b.svg) ([png]($b.png))"
done
echo
echo "How to read each chart, and what every field means: bench/README.md."
