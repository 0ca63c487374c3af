#!/bin/sh
# bench/run.sh — the sweep behind `make bench`: techniques × clients × rates,
# one fresh server per run, then CSV, charts (gnuplot) and summary.md.
#
# Usage: bench/run.sh            (make bench; QUICK=1 for the one-minute run)
# Environment:
#   QUICK=1        the short sweep (about a minute)
#   BIN=bin        where the binaries are (make passes $(BIN))
#   BENCH_OUT=DIR  write there instead of bench/results/<time>/ + latest link
#   BENCH_TECHS, BENCH_CLIENTS, BENCH_DURATION  narrow the sweep (the smoke test does)
#   BENCH_REPEATS=N  runs per point (3; QUICK=1: 1); the charts draw the median
#                    and the min-max spread
#   BENCH_RETRIES=N  a run loadgen marks noisy (other programs took at least
#                    BENCH_NOISE_LIMIT of a CPU, default 0.25; 0 marks every run)
#                    is discarded and run again, at most N times (2; QUICK=1: 1);
#                    then kept, marked noisy
#   BENCH_STRICT=1   instead of keeping it: refuse, stop the sweep and say why
#
# The server runs on CPU 1 and loadgen on CPU 0 (taskset), so they do not
# fight over one core; every run's JSON records the CPUs each was allowed.
# Every loop is bounded and every run has a timeout: this script ends.
set -u

cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
QUICK=${QUICK:-}
[ "$QUICK" = "0" ] && QUICK=""
LIMITED=""          # client counts left out for want of file descriptors

# ---- the sweep ----
TECHS=${BENCH_TECHS:-"baseline polling longpoll sse websocket"}
PAYLOAD=64          # bytes per event
POLL_MS=100         # short-polling interval
if [ -n "$QUICK" ]; then
    CLIENTS=${BENCH_CLIENTS:-"1 100 1000"}
    SWEEP_RATES="10"         # events/s for the "against clients" sweep
    LOAD_CLIENTS=1000        # the "under load" runs: this many clients ...
    LOAD_RATES="200"         # ... at these rates
    DURATION=${BENCH_DURATION:-1}
else
    CLIENTS=${BENCH_CLIENTS:-"1 10 100 1000 10000"}
    SWEEP_RATES="10 100"
    LOAD_CLIENTS=1000
    LOAD_RATES="200"
    DURATION=${BENCH_DURATION:-4}
fi

REPEATS=${BENCH_REPEATS:-3}
[ -n "$QUICK" ] && REPEATS=${BENCH_REPEATS:-1}
RETRIES=${BENCH_RETRIES:-2}
[ -n "$QUICK" ] && RETRIES=${BENCH_RETRIES:-1}
NOISE_LIMIT=${BENCH_NOISE_LIMIT:-0.25}
STRICT=${BENCH_STRICT:-}

# ---- where results go ----
if [ -n "${BENCH_OUT:-}" ]; then
    OUT=$BENCH_OUT
    rm -rf "$OUT"
else
    OUT=bench/results/$(date -u +%Y%m%dT%H%M%SZ)
fi
mkdir -p "$OUT/data" "$OUT/logs"
if [ -z "${BENCH_OUT:-}" ]; then
    ln -sfn "$(basename "$OUT")" bench/results/latest
fi

# ---- pinning: server on CPU 1, loadgen on CPU 0 ----
NCPU=$(nproc 2>/dev/null || echo 1)
if [ "$NCPU" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_PIN="taskset -c 1"
    LG_PIN="taskset -c 0"
    PINNING="server on CPU 1, loadgen on CPU 0 (taskset)"
else
    SRV_PIN=""
    LG_PIN=""
    PINNING="NOT PINNED ($NCPU CPU(s) or no taskset): server and loadgen share the machine"
    echo "bench: WARNING: $PINNING"
fi

# Both sides need a descriptor per client: raise the soft limit to the hard
# one, and leave out client counts it cannot hold (loudly).
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
FD_LIMIT=$(ulimit -n)
if [ "$FD_LIMIT" != unlimited ]; then
    kept=""
    for c in $CLIENTS; do
        if [ $((c + 64)) -gt "$FD_LIMIT" ]; then
            echo "bench: ******** LIMIT: $c clients need $((c + 64)) file descriptors, RLIMIT_NOFILE allows $FD_LIMIT: c=$c left out (raise it: ulimit -Hn, /etc/security/limits.conf) ********"
            LIMITED="$LIMITED $c"
        else
            kept="$kept $c"
        fi
    done
    CLIENTS=$kept
    if [ $((LOAD_CLIENTS + 64)) -gt "$FD_LIMIT" ]; then
        LOAD_CLIENTS=$(echo $CLIENTS | awk '{ m = 1; for (i = 1; i <= NF; i++) if ($i > m && $i <= 1000) m = $i; print m }')
        echo "bench: ******** LIMIT: the load runs use $LOAD_CLIENTS clients instead of 1000 ********"
        LIMITED="$LIMITED (load runs: $LOAD_CLIENTS)"
    fi
fi

# ---- which techniques can run ----
RUNNABLE=""
SKIPPED=""
[ -x "$BIN/loadgen" ] || { echo "bench: $BIN/loadgen is missing: run make all first" >&2; exit 1; }
for t in $TECHS; do
    if [ -x "$BIN/$t" ]; then
        RUNNABLE="$RUNNABLE $t"
    else
        SKIPPED="$SKIPPED $t"
        echo "bench: ******** SKIPPING $t: $BIN/$t does not exist (not built yet?) ********"
    fi
done

# The list of runs, one "name technique clients rate" per line (the name is
# the run's label, and the binary's: $BIN/NAME).
PLAN="$OUT/plan.txt"
: >"$PLAN"
for t in $RUNNABLE; do
    for r in $SWEEP_RATES; do
        for c in $CLIENTS; do
            # 10 000 clients at more than 10 events/s is more than this
            # 2-core machine can deliver in a bench-sized run.
            [ "$c" -ge 10000 ] && [ "$r" -gt 10 ] && continue
            echo "$t $t $c $r" >>"$PLAN"
        done
    done
    for r in $LOAD_RATES; do
        echo "$t $t $LOAD_CLIENTS $r" >>"$PLAN"
    done
done
TOTAL=$(wc -l <"$PLAN")

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -sr)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $NCPU"
    echo "pinning: $PINNING"
    echo "cpu MHz now: $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on this machine makes every number noisier)"
    echo "repeats: $REPEATS per point (median drawn, min-max spread); a run is noisy when other programs and steal took more than $NOISE_LIMIT of a CPU; up to $RETRIES re-runs each${STRICT:+, then refused (BENCH_STRICT)}"
    echo "sweep: clients {$CLIENTS} × rates {$SWEEP_RATES}/s, plus $LOAD_CLIENTS clients × {$LOAD_RATES}/s; $DURATION s each; payload $PAYLOAD B; poll interval $POLL_MS ms"
    echo "techniques run:$RUNNABLE"
    echo "techniques skipped (binary missing):${SKIPPED:- none}"
    [ -n "$LIMITED" ] && echo "client counts left out (RLIMIT_NOFILE $FD_LIMIT):$LIMITED"
} >"$OUT/env.txt"

echo "bench: $TOTAL points × $REPEATS runs, $DURATION s each (QUICK=${QUICK:-0}); results in $OUT"

# ---- one run ----
SPID=""
stop_server() {
    [ -n "$SPID" ] || return 0
    kill -TERM "$SPID" 2>/dev/null
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -0 "$SPID" 2>/dev/null && kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""
}
trap 'stop_server; exit 130' INT TERM

. bench/lib.sh                 # start_server, csv_get, keep_row

# One line of what came out, from the run's CSV row.
say_row() {
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } {
        printf "p50 %.2f ms  p99 %.2f ms  max %.2f ms  lost %d", $c["lat_p50_us"]/1000, $c["lat_p99_us"]/1000, $c["lat_max_us"]/1000, $c["lost"]
        if ($c["lost"] > 0) printf "  <<<<<< LOST DELIVERIES"
        if ($c["subscribed"] < $c["clients"]) printf "  <<<<<< ONLY %d OF %d SUBSCRIBED", $c["subscribed"], $c["clients"]
        if ($c["loadgen_busy"] > 0.9) printf "  (loadgen busy %.0f%%)", $c["loadgen_busy"] * 100
        if ($c["noisy"] == "true") printf "  (NOISY: others took %.0f%% of a CPU)", ($c["other_cpu_share"] + $c["steal_share"]) * 100
        printf "\n" }' "$1"
}

# one_run NAME T C R K: one run into $log.*; 0 when loadgen and the server
# were fine. Appends nothing to the results yet.
one_run() {
    log="$OUT/logs/$1-c$3-r$4-k$5"
    rm -f "$log.csv" "$log.dist"
    if ! start_server "$log.server.log" "$BIN/$1" -b 8192; then
        echo "FAILED: $1 did not say where it listens (see $log.server.log)"
        stop_server
        return 1
    fi
    # shellcheck disable=SC2086  # $LG_PIN is meant to split
    timeout -k 5 $((DURATION + 120)) $LG_PIN "$BIN/loadgen" -q -T "$2" -L "$1" -u "http://127.0.0.1:$PORT/" \
        -c "$3" -r "$4" -d "$DURATION" -s $PAYLOAD -i $POLL_MS -P "$SPID" -N "$NOISE_LIMIT" \
        -C "$log.csv" -D "$log.dist" >"$log.json" 2>"$log.loadgen.log"
    rc=$?
    alive=1
    kill -0 "$SPID" 2>/dev/null || alive=0
    stop_server
    if [ $alive -eq 0 ]; then
        echo "SERVER DIED during the run (see $log.server.log); reproduce with:"
        echo "    $1 -p 0 -q -t 0 & $BIN/loadgen -T $2 -u http://127.0.0.1:PORT/ -c $3 -r $4 -d $DURATION -s $PAYLOAD -i $POLL_MS"
        return 1
    fi
    if [ $rc -ne 0 ] || [ ! -s "$log.csv" ]; then
        echo "loadgen FAILED (exit $rc): $(tail -1 "$log.loadgen.log")"
        return 1
    fi
    return 0
}

n=0
FAILED=0
DISCARDED=0
REFUSED=""
: >"$OUT/discarded.txt"
while read -r name t c r; do
    n=$((n + 1))
    dists=""
    k=1
    while [ $k -le "$REPEATS" ]; do
        try=0
        while :; do
            printf 'run %d/%d: %s c=%s r=%s%s ... ' "$n" "$TOTAL" "$name" "$c" "$r" \
                "$([ "$REPEATS" -gt 1 ] && echo " ($k/$REPEATS)")$([ $try -gt 0 ] && echo " retry $try")"
            if ! one_run "$name" "$t" "$c" "$r" "$k"; then
                FAILED=$((FAILED + 1))
                break
            fi
            say_row "$log.csv"
            noisy=$(csv_get "$log.csv" noisy)
            if [ "$noisy" = true ] && [ $try -lt "$RETRIES" ]; then
                share=$(awk -v a="$(csv_get "$log.csv" other_cpu_share)" -v b="$(csv_get "$log.csv" steal_share)" 'BEGIN { printf "%.0f", (a + b) * 100 }')
                echo "$name c=$c r=$r run $k: other programs and steal took $share% of a CPU (limit $(awk -v l="$NOISE_LIMIT" 'BEGIN { printf "%.0f", l * 100 }')%), load average $(csv_get "$log.csv" loadavg_1m)" >>"$OUT/discarded.txt"
                keep_row "$log.csv" "$OUT/discarded.csv"
                cat "$log.json" >>"$OUT/discarded.jsonl"
                DISCARDED=$((DISCARDED + 1))
                try=$((try + 1))
                continue
            fi
            if [ "$noisy" = true ] && [ -n "$STRICT" ]; then
                REFUSED="$name c=$c r=$r"
                break
            fi
            keep_row "$log.csv" "$OUT/runs.csv"
            cat "$log.json" >>"$OUT/runs.jsonl"
            [ "$c" = "$LOAD_CLIENTS" ] && dists="$dists $(csv_get "$log.csv" lat_p99_us):$log.dist"
            break
        done
        [ -n "$REFUSED" ] && break
        k=$((k + 1))
    done
    if [ -n "$REFUSED" ]; then
        echo "bench: ******** REFUSED: $REFUSED was still noisy after $RETRIES re-runs (see $OUT/discarded.txt):"
        echo "bench: ******** this machine is too busy to measure; stop what else runs, or leave out BENCH_STRICT ********"
        break
    fi
    # The distribution chart shows the repeat with the median p99.
    if [ -n "$dists" ]; then
        pick=$(echo $dists | tr ' ' '\n' | sort -t: -k1,1g | awk '{ a[NR] = $0 } END { print a[int((NR + 1) / 2)] }')
        cp "${pick#*:}" "$OUT/data/dist-$name-c$c-r$r.dat"
    fi
done <"$PLAN"

echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"

# ---- is loadgen a fair judge? (full run only: about 20 s) ----
if [ -z "$QUICK" ] && echo "$RUNNABLE" | grep -qw polling; then
    echo "bench: loadgen against wrk on the polling server ..."
    BIN="$BIN" bench/wrk_check.sh "$OUT/wrk-check.txt"
    tail -1 "$OUT/wrk-check.txt"
fi

# ---- data files for the charts: one per technique and rate, by clients ----
# Each point is the median of its repeats, with COLUMN_min / COLUMN_max.
if [ -f "$OUT/runs.csv" ]; then
    for t in $RUNNABLE; do
        for r in $SWEEP_RATES $LOAD_RATES; do
            awk -F, -v label="$t" -v rate="$r" -f bench/aggregate.awk "$OUT/runs.csv" >"$OUT/data/$t-r$r.csv"
            [ -s "$OUT/data/$t-r$r.csv" ] || rm -f "$OUT/data/$t-r$r.csv"
        done
    done
fi

# ---- charts ----
CHART_TECHS=$(echo $RUNNABLE)
MAIN_RATE=$(echo $SWEEP_RATES | cut -d' ' -f1)
HIGH_RATE=$(echo $SWEEP_RATES | awk '{print $NF}')
LOAD_RATE=$(echo $LOAD_RATES | awk '{print $1}')
# The memory chart leaves out small runs (noise); 1000 clients, or fewer when
# the sweep has no such run.
MEM_MIN_CLIENTS=$(echo $CLIENTS | awk '{ m = 0; for (i = 1; i <= NF; i++) if ($i > m) m = $i; print (m < 1000 ? m : 1000) }')
CHARTS=0
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "bench: ******** gnuplot is missing: no charts (scripts/deps.sh bench installs it) ********"
elif [ -f "$OUT/runs.csv" ]; then
    for gp in bench/plots/*.gp; do
        name=$(basename "$gp" .gp)
        [ "$name" = common ] && continue
        if gnuplot -e "dir='$OUT/data'; out='$OUT/$name'; techs='$CHART_TECHS'; rate=$MAIN_RATE; high_rate=$HIGH_RATE; load_clients=$LOAD_CLIENTS; load_rate=$LOAD_RATE; mem_min_clients=$MEM_MIN_CLIENTS; poll_ms=$POLL_MS; payload=$PAYLOAD" \
            bench/plots/common.gp "$gp" 2>"$OUT/logs/gnuplot-$name.log"; then
            CHARTS=$((CHARTS + 1))
        else
            echo "bench: chart $name FAILED: $(tail -3 "$OUT/logs/gnuplot-$name.log")"
        fi
    done
fi

# ---- summary.md ----
DISCARDED=$DISCARDED BENCH_NOISE_LIMIT=$NOISE_LIMIT sh bench/summary.sh "$OUT" "$LOAD_CLIENTS" "$LOAD_RATE" "$MAIN_RATE" >"$OUT/summary.md"

echo
echo "bench: $n points done ($FAILED runs failed, $DISCARDED discarded as noisy and re-run); $CHARTS charts"
noisy_kept=$([ -f "$OUT/runs.csv" ] && awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "noisy") c = i; next } $c == "true" { n++ } END { print n + 0 }' "$OUT/runs.csv" || echo 0)
[ "$noisy_kept" -gt 0 ] && echo "bench: ******** $noisy_kept kept runs are marked NOISY (still busy after $RETRIES re-runs): see summary.md ********"
[ -n "$SKIPPED" ] && echo "bench: ******** SKIPPED (binary missing):$SKIPPED ********"
[ -n "$LIMITED" ] && echo "bench: ******** LEFT OUT (file descriptor limit $FD_LIMIT): clients$LIMITED ********"
where=$OUT
[ -z "${BENCH_OUT:-}" ] && where="bench/results/latest (= $OUT)"
echo "bench: results in $where/"
echo "         summary.md   the tables to read first"
echo "         runs.jsonl   one JSON object per run; runs.csv the same, flat"
echo "         charts       $(cd "$OUT" && ls *.svg 2>/dev/null | sed 's/\.svg$//' | tr '\n' ' ')(each .svg and .png)"
[ -n "$REFUSED" ] && exit 2
[ $FAILED -eq 0 ]
