#!/bin/sh
# bench/deflate/run.sh — what permessage-deflate (RFC 7692) buys and costs
# on bin/websocket (`make bench DEFLATE=1`): bytes per event on the wire and
# server CPU per delivery, with and without compression, for a small event
# and for a larger, compressible JSON event.
#
#   label          loadgen flags           what each event is
#   plain-small    -s 16                   "seq=N t=NS pad=" (about 30 bytes)
#   deflate-small  -s 16 -z                the same, compression offered
#   plain-json     -s 2048 -J              a 2 KB JSON object of quotes
#   deflate-json   -s 2048 -J -z           the same, compression offered
#
# -z makes loadgen offer Chromium's `permessage-deflate;
# client_max_window_bits` and inflate what comes back compressed; the run
# fails loudly if the server did not agree. Each point runs DEFLATE_REPEATS
# times (3; QUICK=1: once), each with a fresh server; a run loadgen marks
# noisy is discarded and run again (at most DEFLATE_RETRIES times, 2), then
# kept, marked. The chart draws the median and the min-max spread.
#
# Usage: bench/deflate/run.sh     (QUICK=1: shorter, once each)
# Environment: BIN=bin; DEFLATE_OUT=DIR (default bench/results/latest/deflate;
#   a new bench/results/<time>/ and its latest link when there is none yet);
#   DEFLATE_CLIENTS (100), DEFLATE_RATE (200 events/s), DEFLATE_DURATION (3 s;
#   QUICK=1: 1 s), DEFLATE_REPEATS, DEFLATE_RETRIES, BENCH_NOISE_LIMIT (0.25).
#
# Writes runs.csv, runs.jsonl, discarded.txt, data/*.csv (median, _min,
# _max: bench/aggregate.awk), deflate.md (the table) and deflate.svg/png.
# Server on CPU 1, loadgen on CPU 0 (taskset). Every run has a timeout and
# every server is stopped before the next starts and on any exit.
set -u

cd "$(dirname "$0")/../.." || exit 1
BIN=${BIN:-bin}
QUICK=${QUICK:-}
[ "$QUICK" = "0" ] && QUICK=""
CLIENTS=${DEFLATE_CLIENTS:-100}
RATE=${DEFLATE_RATE:-200}
DURATION=${DEFLATE_DURATION:-3}
REPEATS=${DEFLATE_REPEATS:-3}
RETRIES=${DEFLATE_RETRIES:-2}
if [ -n "$QUICK" ]; then
    DURATION=${DEFLATE_DURATION:-1}
    REPEATS=${DEFLATE_REPEATS:-1}
    RETRIES=${DEFLATE_RETRIES:-1}
fi
NOISE_LIMIT=${BENCH_NOISE_LIMIT:-0.25}
SMALL=16
LARGE=2048

if [ -n "${DEFLATE_OUT:-}" ]; then
    OUT=$DEFLATE_OUT
elif [ -d bench/results/latest ]; then
    OUT=bench/results/latest/deflate
else
    stamp=$(date -u +%Y%m%dT%H%M%SZ)
    mkdir -p "bench/results/$stamp"
    ln -sfn "$stamp" bench/results/latest
    OUT=bench/results/latest/deflate
fi
rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/data"

for b in loadgen websocket; do
    [ -x "$BIN/$b" ] || { echo "deflate: $BIN/$b is missing: run make all first" >&2; exit 1; }
done

if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_PIN="taskset -c 1"; LG_PIN="taskset -c 0"
    PINNING="server on CPU 1, loadgen on CPU 0 (taskset)"
else
    SRV_PIN=""; LG_PIN=""
    PINNING="NOT PINNED: fewer than 2 CPUs or no taskset"
    echo "deflate: WARNING: $PINNING"
fi

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
    echo "pinning: $PINNING"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "runs: $CLIENTS subscribers × $RATE events/s × $DURATION s; $REPEATS repeats; up to $RETRIES re-runs of a noisy run (limit $NOISE_LIMIT of a CPU)"
} >"$OUT/env.txt"

# ---- one server at a time ----
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
trap 'stop_server' EXIT
trap 'stop_server; exit 130' INT TERM

. bench/lib.sh                 # start_server, csv_get, keep_row

# one_run LABEL K FLAGS...: one run into $log.*; 0 when it went well.
one_run() {
    label=$1 k=$2
    shift 2
    log="$OUT/logs/$label-k$k"
    rm -f "$log.csv"
    start_server "$log.server.log" "$BIN/websocket" || { echo "FAILED: websocket did not start"; stop_server; return 1; }
    # shellcheck disable=SC2086  # $LG_PIN is meant to split
    timeout -k 5 $((DURATION + 120)) $LG_PIN "$BIN/loadgen" -q -T websocket -L "$label" \
        -u "http://127.0.0.1:$PORT/" -c "$CLIENTS" -r "$RATE" -d "$DURATION" -P "$SPID" -N "$NOISE_LIMIT" \
        -C "$log.csv" "$@" >"$log.json" 2>"$log.loadgen.log"
    rc=$?
    stop_server
    if [ $rc -ne 0 ] || [ ! -s "$log.csv" ]; then
        echo "loadgen FAILED (exit $rc): $(tail -1 "$log.loadgen.log")"
        return 1
    fi
    return 0
}

POINTS="plain-small deflate-small plain-json deflate-json"
flags() {
    case $1 in
    plain-small) echo "-s $SMALL" ;;
    deflate-small) echo "-s $SMALL -z" ;;
    plain-json) echo "-s $LARGE -J" ;;
    deflate-json) echo "-s $LARGE -J -z" ;;
    esac
}

FAILED=0 DISCARDED=0
: >"$OUT/discarded.txt"
echo "deflate: 4 points × $REPEATS runs, $CLIENTS subscribers × $RATE events/s × $DURATION s; results in $OUT"
for k in $(seq 1 "$REPEATS"); do       # repeats interleaved: a busy minute hits every point alike
    for p in $POINTS; do
        try=0
        while :; do
            printf 'deflate: %s (%d/%d)%s ... ' "$p" "$k" "$REPEATS" "$([ $try -gt 0 ] && echo " retry $try")"
            # shellcheck disable=SC2046  # the flags are meant to split
            if ! one_run "$p" "$k" $(flags "$p"); then
                FAILED=$((FAILED + 1))
                break
            fi
            awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } {
                printf "%.0f B/event on the wire (%.0f B read), %.2f us CPU/delivery, lost %d", \
                    $c["frame_bytes_per_message"], $c["message_bytes_per_message"], \
                    $c["server_cpu_us_per_delivery"], $c["lost"]
                if ($c["deflate"] == "true") printf ", %d of %d agreed", $c["deflate_agreed"], $c["subscribed"]
                if ($c["noisy"] == "true") printf "  (NOISY: others took %.0f%% of a CPU)", ($c["other_cpu_share"] + $c["steal_share"]) * 100
                printf "\n" }' "$log.csv"
            if [ "$(csv_get "$log.csv" deflate)" = true ] &&
               [ "$(csv_get "$log.csv" deflate_agreed)" -lt "$(csv_get "$log.csv" subscribed)" ]; then
                echo "deflate: FAILED: the server did not agree to permessage-deflate on every connection"
                FAILED=$((FAILED + 1))
                break
            fi
            if [ "$(csv_get "$log.csv" noisy)" = true ] && [ $try -lt "$RETRIES" ]; then
                echo "$p run $k: other programs and steal took $(awk -v a="$(csv_get "$log.csv" other_cpu_share)" -v b="$(csv_get "$log.csv" steal_share)" 'BEGIN { printf "%.0f", (a + b) * 100 }')% of a CPU, load average $(csv_get "$log.csv" loadavg_1m)" >>"$OUT/discarded.txt"
                DISCARDED=$((DISCARDED + 1))
                try=$((try + 1))
                continue
            fi
            keep_row "$log.csv" "$OUT/runs.csv"
            cat "$log.json" >>"$OUT/runs.jsonl"
            break
        done
    done
done
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >>"$OUT/env.txt"
[ -s "$OUT/runs.csv" ] || { echo "deflate: no run succeeded" >&2; exit 1; }

# ---- the medians, then one row per payload for the chart ----
for p in $POINTS; do
    awk -F, -v label="$p" -v rate="$RATE" -f bench/aggregate.awk "$OUT/runs.csv" >"$OUT/data/$p.csv"
done
# chart.dat: payload, then for plain and deflate: bytes (median, min, max),
# CPU µs per delivery (median, min, max), bytes read after inflating.
chart_row() {
    for m in plain deflate; do
        f="$OUT/data/$m-$1.csv"
        [ -s "$f" ] || { printf ' NaN NaN NaN NaN NaN NaN NaN'; continue; }
        awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } NR == 2 {
            b = "frame_bytes_per_message"; u = "server_cpu_us_per_delivery"
            printf " %s %s %s %s %s %s %s", $c[b], $c[b "_min"], $c[b "_max"], $c[u], $c[u "_min"], $c[u "_max"], \
                $c["message_bytes_per_message"] }' "$f"
    done
}
{
    echo "# payload plain_bytes min max plain_cpu min max plain_read deflate_bytes min max deflate_cpu min max deflate_read"
    echo "\"small ($SMALL B)\"$(chart_row small)"
    echo "\"JSON ($LARGE B)\"$(chart_row json)"
} >"$OUT/data/chart.dat"

# ---- the table ----
{
    echo "# permessage-deflate on bin/websocket"
    echo
    echo "$CLIENTS subscribers × $RATE events/s × $DURATION s per run; median of the kept runs, [min–max]."
    echo "Bytes are one subscriber's frames per event as they crossed (\`frame_bytes_per_message\`), and the"
    echo "message loadgen read (after inflating); CPU is the server's per delivery. \"Δ server µs per event\" is"
    echo "(deflate − plain) server CPU over the run divided by the events published: compressing each event once,"
    echo "less what the kernel saves copying smaller frames to every subscriber."
    echo
    echo "| payload | compression | bytes/event on the wire | bytes read | server µs/delivery | Δ server µs per event | runs |"
    echo "|---|---|---|---|---|---|---|"
    for pl in small json; do
        for m in plain deflate; do
            awk -F, -v pl="$pl" -v m="$m" -v other="$OUT/data/plain-$pl.csv" '
                function cols(line, c,   n, a, i) { n = split(line, a, ","); for (i = 1; i <= n; i++) c[a[i]] = i }
                NR == 1 { cols($0, c); next }
                NR == 2 {
                    extra = "–"
                    if (m == "deflate" && (getline h < other) > 0 && (getline row < other) > 0) {
                        cols(h, o); split(row, v, ",")
                        extra = sprintf("%.1f", ($c["server_cpu_us_run"] - v[o["server_cpu_us_run"]]) / $c["events_sent"])
                    }
                    printf "| %s | %s | %.0f [%.0f–%.0f] | %.0f | %.2f [%.2f–%.2f] | %s | %d |\n", \
                        (pl == "small" ? "small" : "JSON"), (m == "plain" ? "off" : "permessage-deflate"), \
                        $c["frame_bytes_per_message"], $c["frame_bytes_per_message_min"], $c["frame_bytes_per_message_max"], \
                        $c["message_bytes_per_message"], \
                        $c["server_cpu_us_per_delivery"], $c["server_cpu_us_per_delivery_min"], $c["server_cpu_us_per_delivery_max"], \
                        extra, $c["repeats"] }' "$OUT/data/$m-$pl.csv"
        done
    done
    echo
    echo "Noisy runs kept: $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "noisy") c = i; next } $c == "true" { n++ } END { print n + 0 }' "$OUT/runs.csv") of $(($(wc -l <"$OUT/runs.csv") - 1)); runs discarded as noisy and re-run: $DISCARDED (discarded.txt says why)."
    echo "Lost deliveries: $(awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == "lost") c = i; next } { n += $c } END { print n + 0 }' "$OUT/runs.csv")."
    echo
    echo "The machine:"
    echo
    sed 's/^/    /' "$OUT/env.txt"
    echo
    echo "Every run: label, repeat, bytes/event, server µs/delivery, server waited µs, others' CPU share, load average"
    echo
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } {
        printf "    %-14s %6.0f B %7.2f us  waited %8.0f us  others %4.0f%%  load %5.2f%s\n", $c["label"], \
            $c["frame_bytes_per_message"], $c["server_cpu_us_per_delivery"], $c["server_wait_us_run"], \
            $c["other_cpu_share"] * 100, $c["loadavg_1m"], ($c["noisy"] == "true" ? "  noisy" : "") }' "$OUT/runs.csv"
} >"$OUT/deflate.md"

# ---- the chart ----
if command -v gnuplot >/dev/null 2>&1; then
    if gnuplot -e "dat='$OUT/data/chart.dat'; out='$OUT/deflate'; clients=$CLIENTS; rate=$RATE" \
        bench/deflate/deflate.gp 2>"$OUT/logs/gnuplot.log"; then
        echo "deflate: chart $OUT/deflate.svg (and .png)"
    else
        echo "deflate: chart FAILED: $(tail -3 "$OUT/logs/gnuplot.log")"
        FAILED=$((FAILED + 1))
    fi
else
    echo "deflate: ******** gnuplot is missing: no chart (scripts/deps.sh bench installs it) ********"
fi
sed -n '/^| payload/,/^$/p' "$OUT/deflate.md"
echo "deflate: $FAILED failed, $DISCARDED discarded as noisy; table $OUT/deflate.md"
[ $FAILED -eq 0 ]
