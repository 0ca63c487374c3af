#!/bin/sh
# bench/summary.sh — write summary.md for a bench results folder (from its
# runs.csv, the per-point medians in data/*.csv, discarded.txt and env.txt)
# to stdout.
#
# Usage: [DISCARDED=N] bench/summary.sh DIR LOAD_CLIENTS LOAD_RATE MAIN_RATE
# Columns are read by the names in loadgen's CSV header (bench/README.md):
# every awk program below starts with HEAD, which maps names to positions.
set -u
dir=$1 load_clients=$2 load_rate=$3 main_rate=$4
csv="$dir/runs.csv"
HEAD='NR == 1 || FNR == 1 { delete c; for (i = 1; i <= NF; i++) c[$i] = i; next }'

echo "# rtlab bench results"
echo
sed 's/^/    /' "$dir/env.txt"
echo
if [ ! -s "$csv" ]; then
    echo "**No runs completed.**"
    exit 0
fi

# The per-point medians of one rate, every technique (data/TECH-rRATE.csv).
medians() { ls "$dir"/data/*-r"$1".csv 2>/dev/null; }

echo "## $load_clients subscribers, $load_rate events/s (the table to read first)"
echo
echo "Latency is from the event's *scheduled* send time to its arrival at the subscriber."
echo "CPU and memory are the server's, from /proc. Read every row against \`baseline\`:"
echo "the same fan-out over raw TCP. Each figure is the median of the point's runs;"
echo "p99 also shows the spread (min–max) when there were several."
echo
echo "| technique | runs | p50 ms | p99 ms | p99 min–max ms | p99.9 ms | max ms | lost | dup | bytes/delivery | requests/delivery | server CPU µs/delivery | deliveries per server CPU-s | memory/subscriber B | subscribe p50 ms |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
# shellcheck disable=SC2046
[ -n "$(medians "$load_rate")" ] && awk -F, -v n="$load_clients" "$HEAD"'
    $c["clients"] == n {
    printf "| %s | %d | %.3f | %.3f | %.3f–%.3f | %.3f | %.3f | %d | %d | %.0f | %.3f | %.2f | %.0f | %.0f | %.3f |\n",
        $c["label"], $c["repeats"], $c["lat_p50_us"]/1000, $c["lat_p99_us"]/1000, $c["lat_p99_us_min"]/1000,
        $c["lat_p99_us_max"]/1000, $c["lat_p999_us"]/1000, $c["lat_max_us"]/1000, $c["lost"], $c["duplicates"],
        $c["bytes_per_delivery"], $c["requests_per_delivery"], $c["server_cpu_us_per_delivery"],
        $c["deliveries_per_server_cpu_s"], $c["server_mem_per_conn_bytes"], $c["subscribe_p50_us"]/1000 }' \
    $(medians "$load_rate")
echo

echo "## Light load: one subscriber, $main_rate events/s"
echo
echo "One-way push latency when nothing else is going on, against the raw TCP"
echo "baseline of the same sweep (the design aims at ≤ 1.5 × baseline)."
echo
echo "| technique | p50 ms | p99 ms | p50 / baseline p50 |"
echo "|---|---:|---:|---:|"
# shellcheck disable=SC2046
[ -n "$(medians "$main_rate")" ] && awk -F, "$HEAD"'
    $c["clients"] == 1 { t[++n] = $c["label"]; p50[n] = $c["lat_p50_us"]; p99[n] = $c["lat_p99_us"]; if ($c["label"] == "baseline") base = $c["lat_p50_us"] }
    END { for (i = 1; i <= n; i++)
            printf "| %s | %.3f | %.3f | %s |\n", t[i], p50[i]/1000, p99[i]/1000, (base > 0 ? sprintf("%.2f", p50[i]/base) : "?") }' \
    $(medians "$main_rate")
echo

echo "## Idle cost: memory per subscriber and connect cost ($main_rate events/s)"
echo
echo "| technique | clients | memory/subscriber B | connect p50 µs | subscribed p50 µs | subscribed p99 µs |"
echo "|---|---:|---:|---:|---:|---:|"
# shellcheck disable=SC2046
[ -n "$(medians "$main_rate")" ] && awk -F, "$HEAD"'
    $c["clients"] >= 1000 {
    printf "| %s | %d | %.0f | %.0f | %.0f | %.0f |\n", $c["label"], $c["clients"], $c["server_mem_per_conn_bytes"],
        $c["connect_p50_us"], $c["subscribe_p50_us"], $c["subscribe_p99_us"] }' $(medians "$main_rate")
echo

echo "## The machine while it measured"
echo
runs=$(($(wc -l <"$csv") - 1))
noisy=$(awk -F, "$HEAD"' $c["noisy"] == "true" { n++ } END { print n + 0 }' "$csv")
echo "Every run records the load average before and after it, the CPU that other"
echo "programs took while it ran (/proc/stat's busy time minus the server's and"
echo "loadgen's own) and the hypervisor's steal. A run where those took ${BENCH_NOISE_LIMIT:-0.25}"
echo "of a CPU or more is *noisy*: it was discarded and run again (bounded), and kept,"
echo "marked, only when the re-runs were noisy too."
echo
echo "- runs kept: **$runs**, of them marked noisy: **$noisy**"
echo "- runs discarded as noisy and re-run: **${DISCARDED:-0}**"
awk -F, "$HEAD"' {
    n++; o += $c["other_cpu_share"]; s += $c["steal_share"]
    if ($c["other_cpu_share"] > om) om = $c["other_cpu_share"]
    if (n == 1 || $c["loadavg_1m_before"] < lmin) lmin = $c["loadavg_1m_before"]
    if ($c["loadavg_1m"] > lmax) lmax = $c["loadavg_1m"]
    model = $c["cpu_model"]; mhz = $c["cpu_mhz"] }
    END { printf "- other programs took on average %.0f%% of a CPU during a run (worst %.0f%%); steal %.1f%%\n", o / n * 100, om * 100, s / n * 100
          printf "- load average (1 min) from %.2f to %.2f\n", lmin, lmax
          printf "- CPU: %s at %s MHz\n", model, mhz }' "$csv"
if [ -s "$dir/discarded.txt" ]; then
    echo
    echo "Discarded runs and why:"
    echo
    sed 's/^/- /' "$dir/discarded.txt"
fi
echo

echo "## Every run"
echo
echo "*server waited* is how long the server was ready to run but waiting for a"
echo "CPU during the run (other programs, or the kernel's network work on that CPU),"
echo "against the CPU it used; *others* is the share of a CPU that other programs took."
echo "When they are large, that run's latency measures the machine more than the server."
echo
echo "| technique | clients | rate/s | subscribed | p50 ms | p99 ms | max ms | lost | bytes/delivery | requests/delivery | empty polls | server CPU µs/delivery | server CPU ms | server waited ms | others | loadgen busy | noisy |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
awk -F, "$HEAD"' {
    printf "| %s | %d | %g | %d | %.3f | %.3f | %.3f | %d | %.0f | %.3f | %d | %.2f | %.0f | %.0f | %.0f%% | %.0f%% | %s |\n",
        $c["label"], $c["clients"], $c["rate"], $c["subscribed"], $c["lat_p50_us"]/1000, $c["lat_p99_us"]/1000,
        $c["lat_max_us"]/1000, $c["lost"], $c["bytes_per_delivery"], $c["requests_per_delivery"], $c["empty_polls"],
        $c["server_cpu_us_per_delivery"], $c["server_cpu_us_run"]/1000, $c["server_wait_us_run"]/1000,
        $c["other_cpu_share"] * 100, $c["loadgen_busy"] * 100, ($c["noisy"] == "true" ? "**yes**" : "") }' "$csv"
echo

bad=$(awk -F, "$HEAD"' $c["lost"] > 0 || $c["duplicates"] > 0 || $c["subscribed"] < $c["clients"] ||
        ($c["server_deliveries"] >= 0 && $c["server_deliveries"] != $c["deliveries"]) {
    printf "- **%s c=%d r=%g**: lost %d, duplicates %d, subscribed %d of %d", $c["label"], $c["clients"], $c["rate"],
        $c["lost"], $c["duplicates"], $c["subscribed"], $c["clients"]
    if ($c["server_deliveries"] >= 0 && $c["server_deliveries"] != $c["deliveries"])
        printf ", the server counted %d deliveries where loadgen got %d", $c["server_deliveries"], $c["deliveries"]
    printf "\n" }' "$csv")
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
echo "Each chart draws the median of every point's runs, with its min–max spread as bars."
echo "How to read each chart, and what every field means: bench/README.md."
