#!/bin/sh
# tests/e2e/bench_smoke.sh — `make bench QUICK=1`, smaller: the whole bench
# pipeline (servers, loadgen, CSV, gnuplot charts, summary.md) on a shorter
# sweep (clients 1 and 100, plus the 1000-client load run; 1 s per run, about
# 30–40 s in all), written to a folder of its own under tests/out/ (kept
# when the test fails) so it never touches bench/results/ nor another
# `make test` running at the same time. Passes when every chart exists as
# SVG and PNG, summary.md has its first table, and no run lost a delivery.
set -u
cd "$(dirname "$0")/../.."
BIN="${RTLAB_BIN:-bin}"
fail() { echo "FAIL: $*"; exit 1; }
command -v gnuplot >/dev/null 2>&1 || {
    echo "gnuplot is missing (scripts/deps.sh bench installs it)"
    [ "${CI:-}" = true ] && exit 1 || exit 77
}
mkdir -p tests/out
out=$(mktemp -d tests/out/bench-smoke.XXXXXX)
# No re-runs of noisy runs here: this checks the pipeline, not the numbers
# (the re-run and the refusal are checked below).
QUICK=1 BIN="$BIN" BENCH_OUT="$out" BENCH_CLIENTS="1 100" BENCH_DURATION=1 BENCH_RETRIES=0 \
    timeout -k 5 240 bench/run.sh || fail "bench/run.sh failed (exit $?)"

[ -s "$out/runs.jsonl" ] || fail "no runs.jsonl"
[ -s "$out/runs.csv" ] || fail "no runs.csv"
runs=$(($(wc -l <"$out/runs.csv") - 1))
planned=$(wc -l <"$out/plan.txt")
[ "$runs" -eq "$planned" ] || fail "$runs runs in runs.csv, $planned planned"
for chart in latency-vs-clients latency-vs-clients-busy latency-distribution overhead \
             cpu-per-delivery memory-per-connection connect-cost; do
    for ext in svg png; do
        [ -s "$out/$chart.$ext" ] || fail "chart $chart.$ext was not drawn"
    done
    grep -q "<title>" "$out/$chart.svg" 2>/dev/null || grep -q "<text" "$out/$chart.svg" || fail "$chart.svg has no text"
done
grep -q "^| technique | p50 ms" "$out/summary.md" || fail "summary.md has no results table"
# Columns by the names in loadgen's CSV header, never by position.
awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next }
         $c["lost"] > 0 { bad = 1; print "lost deliveries: " $0 } END { exit bad }' "$out/runs.csv" ||
    fail "a run lost deliveries"
sed -n 's/^techniques skipped.*: *//p' "$out/env.txt" | grep -qv none &&
    echo "NOTE: techniques skipped: $(sed -n 's/^techniques skipped[^:]*: *//p' "$out/env.txt")"
grep -q "^- runs discarded as noisy and re-run: " "$out/summary.md" || fail "summary.md does not say how many runs were discarded"
head -1 "$out/data/baseline-r10.csv" | grep -q "lat_p99_us_min,lat_p99_us_max" || fail "the chart data has no spread columns"
echo "ok: $runs runs, 7 charts × (svg, png), summary.md"
rm -rf "$out" "$out.log"

# A busy machine: with a noise limit of 0 every run counts as noisy, so the
# first run is discarded, re-run once, and then (BENCH_STRICT) refused.
out=$(mktemp -d tests/out/bench-noisy.XXXXXX)
QUICK=1 BIN="$BIN" BENCH_OUT="$out" BENCH_TECHS=baseline BENCH_CLIENTS=1 BENCH_DURATION=1 \
    BENCH_NOISE_LIMIT=0 BENCH_RETRIES=1 BENCH_STRICT=1 timeout -k 5 120 bench/run.sh >"$out.log" 2>&1
rc=$?
[ $rc -eq 2 ] || { cat "$out.log"; fail "a sweep on a 'busy' machine with BENCH_STRICT=1 exited $rc, want 2"; }
grep -q "REFUSED: baseline c=1 r=10 was still noisy after 1 re-runs" "$out.log" || { cat "$out.log"; fail "no clear refusal"; }
[ "$(wc -l <"$out/discarded.txt")" -eq 1 ] || fail "want exactly 1 discarded run, got $(wc -l <"$out/discarded.txt")"
grep -q '"noisy":true' "$out/discarded.jsonl" || fail "the discarded run is not marked noisy"
[ ! -s "$out/runs.csv" ] || fail "a refused run was kept"
echo "ok: a noisy run is discarded, re-run, and refused under BENCH_STRICT=1"
rm -rf "$out" "$out.log"
