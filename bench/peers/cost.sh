#!/bin/sh
# bench/peers/cost.sh — what one delivery (fan-out) and one request (short
# polling) cost a server, counted rather than timed, so that a busy machine
# does not change the answer:
#   syscalls     strace -c -f: every system call the server made
#   instructions valgrind --tool=callgrind: user-space instructions (the
#                kernel's share is not in it; this VM has no hardware
#                counters for `perf stat`)
# for bin/websocket and bin/sse against Nchan's WebSocket and EventSource
# (fan-out: per delivery), and bin/polling against nginx's static answer and
# Nchan's interval poll (per request).
#
# Each figure is a difference of two runs against a fresh server, the same
# clients and a different amount of work (fan-out: 20 and 400 events to 100
# subscribers; polling: 20 clients polling back to back for 1 s and for
# 3 s), so that starting, connecting and subscribing cancel out and what is
# left is the marginal cost: (count_B - count_A) / (work_B - work_A).
#
# Usage: bench/peers/cost.sh [OUT]   (default bench/results/peers/cost)
# Writes OUT/cost.md and OUT/cost.tsv; BIN=bin. About 5 minutes.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
OUT=${1:-bench/results/peers/cost}
rm -rf "$OUT"
mkdir -p "$OUT/logs"
TMP=$(mktemp -d /tmp/rtlab-cost.XXXXXX)
SPID=""
cleanup() {
    [ -n "$SPID" ] && kill -TERM "$SPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
for tool in strace valgrind nginx curl; do
    command -v $tool >/dev/null 2>&1 || { echo "cost: $tool is missing" >&2; exit 1; }
done

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start TOOL SERVER TECH LOG: start SERVER (ours, nginx, nchan) for TECH under
# TOOL (strace, callgrind); sets SPID (what to stop), PORT.
start() {
    tool=$1 server=$2 tech=$3 log=$4
    case $tool in
    strace) wrap="strace -c -f -o $log.strace" ;;
    callgrind) wrap="valgrind --tool=callgrind --callgrind-out-file=$log.callgrind --trace-children=no" ;;
    esac
    PORT=$(free_port)
    case $server in
    ours)
        # shellcheck disable=SC2086
        taskset -c 1 $wrap "$BIN/$tech" -p "$PORT" -a 127.0.0.1 -q -t 0 -b 8192 >"$log.out" 2>"$log.err" &
        SPID=$! ;;
    nginx|nchan)
        d="$TMP/$server-$tool-$$-$(date +%s%N)"
        mkdir -p "$d"
        if [ "$server" = nchan ]; then
            bench/peers/nchan_conf.sh "$d" "$PORT" >"$d/nginx.conf"
        else
            # run.sh's static nginx peer, in one process
            cat >"$d/nginx.conf" <<EOF
worker_processes 1;
daemon off;
pid $d/nginx.pid;
error_log $d/error.log warn;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 100000000;
    client_body_temp_path $d/body; proxy_temp_path $d/proxy; fastcgi_temp_path $d/fastcgi;
    uwsgi_temp_path $d/uwsgi; scgi_temp_path $d/scgi;
    server {
        listen 127.0.0.1:$PORT;
        default_type application/json;
        location = /poll    { return 200 '{"next":0,"events":[]}'; }
        location = /publish { return 200 '{"id":1}'; }
    }
}
EOF
        fi
        # One process (no master) so that callgrind sees the worker's work.
        sed -i 's/^daemon off;/daemon off;\nmaster_process off;/' "$d/nginx.conf"
        # shellcheck disable=SC2086
        taskset -c 1 $wrap nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$log.out" 2>"$log.err" &
        SPID=$! ;;
    esac
    probe=/stats
    [ "$server" = nginx ] && probe=/poll
    [ "$server" = nchan ] && probe=/pub
    i=0
    while ! curl -s -o /dev/null "http://127.0.0.1:$PORT$probe" && [ $i -lt 200 ]; do sleep 0.1; i=$((i + 1)); done
}

# Stop the server. Under strace, the server is strace's child: end it, and
# strace writes its summary as its tracee exits (a SIGTERM to strace itself
# would detach and write nothing). valgrind runs the server in its own process.
stop() {
    target=$SPID
    [ "$tool" = strace ] && target=$(pgrep -P "$SPID" | head -1)
    kill -TERM "${target:-$SPID}" 2>/dev/null
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 300 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""
}

# count TOOL LOG: the run's total syscalls, or user-space instructions.
count() {
    case $1 in
    strace) awk '$NF == "total" { print ($4 ~ /^[0-9]+$/) ? $4 : $3 }' "$2.strace" ;;
    callgrind) sed -n 's/^summary: *\([0-9]*\).*/\1/p; s/^totals: *\([0-9]*\).*/\1/p' "$2.callgrind" | head -1 ;;
    esac
}

# work JSON TECH: deliveries (fan-out) or requests (polling) loadgen saw.
work() {
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); print(d["requests"] if sys.argv[2] == "polling" else d["unique_deliveries"])' "$1" "$2"
}

# measure TOOL SERVER TECH: the marginal count per unit of work.
measure() {
    tool=$1 server=$2 tech=$3
    dialect=""
    [ "$server" = nchan ] && dialect="-w nchan"
    for run in A B; do
        log="$OUT/logs/$server-$tech-$tool-$run"
        start "$tool" "$server" "$tech" "$log"
        if [ "$tech" = polling ]; then
            d=1; [ $run = B ] && d=3
            args="-c 20 -r 0 -d $d -i 0"
        else
            r=20; d=1; [ $run = B ] && r=200 && d=2
            args="-c 100 -r $r -d $d -g 10"
        fi
        # shellcheck disable=SC2086
        timeout 300 taskset -c 0 "$BIN/loadgen" -q -T "$tech" $dialect -u "http://127.0.0.1:$PORT/" $args -s 64 \
            >"$log.json" 2>"$log.loadgen.log"
        stop
        eval "count_$run=\$(count $tool $log)"
        eval "work_$run=\$(work $log.json $tech)"
    done
    # shellcheck disable=SC2154
    awk -v t="$tool" -v s="$server" -v k="$tech" -v ca="$count_A" -v cb="$count_B" -v wa="$work_A" -v wb="$work_B" \
        'BEGIN { printf "%s\t%s\t%s\t%.2f\t%d\t%d\n", k, s, t, (wb > wa ? (cb - ca) / (wb - wa) : -1), wb - wa, cb - ca }' \
        | tee -a "$OUT/cost.tsv"
    # The syscalls of run B, for the table of which ones.
    [ "$tool" = strace ] && awk 'NR > 2 && $NF != "total" && $0 !~ /^-/ { c = ($4 ~ /^[0-9]+$/) ? $4 : $3; print c, $NF }' \
        "$OUT/logs/$server-$tech-$tool-B.strace" | sort -rn | head -5 | tr '\n' ';' >"$OUT/logs/$server-$tech-top.txt"
}

printf 'technique\tserver\ttool\tper_unit\twork\tcount\n' >"$OUT/cost.tsv"
echo "cost: $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
for tool in strace callgrind; do
    for pair in "websocket ours" "websocket nchan" "sse ours" "sse nchan" "polling ours" "polling nginx" "polling nchan"; do
        set -- $pair
        measure "$tool" "$2" "$1"
    done
done

# ---- cost.md ----
{
    echo "# What one delivery or one request costs a server, counted"
    echo
    echo "$(date -u '+%Y-%m-%d %H:%M UTC'); load average $(cut -d' ' -f1-3 /proc/loadavg); $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2)"
    echo
    echo "Marginal counts: (run B − run A) ÷ (work B − work A), server on CPU 1, loadgen on CPU 0."
    echo "Fan-out: 100 subscribers, 20 then 400 events (per delivery). Polling: 20 clients back to"
    echo "back for 1 s then 3 s (per request). Instructions are user space only (callgrind)."
    echo
    echo "| technique | server | syscalls per unit | user-space instructions per unit | top syscalls (run B) |"
    echo "|---|---|---:|---:|---|"
    awk -F'\t' 'NR > 1 { v[$1 "\t" $2 "\t" $3] = $4; if (!(($1 "\t" $2) in seen)) { seen[$1 "\t" $2] = 1; order[++n] = $1 "\t" $2 } }
        END { for (i = 1; i <= n; i++) { split(order[i], a, "\t"); printf "%s\t%s\t%s\t%s\n", a[1], a[2], v[order[i] "\tstrace"], v[order[i] "\tcallgrind"] } }' \
        "$OUT/cost.tsv" | while IFS="$(printf '\t')" read -r tech server sys ins; do
        echo "| $tech | $server | $sys | $ins | $(cat "$OUT/logs/$server-$tech-top.txt" 2>/dev/null) |"
    done
} >"$OUT/cost.md"
cat "$OUT/cost.md"
