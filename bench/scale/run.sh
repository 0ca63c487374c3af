#!/bin/sh
# bench/scale/run.sh — hold many idle subscribers at once (target 100 000) on
# SSE, WebSocket and long polling, and measure what each one costs
# (`make bench SCALE=1`).
#
# For each technique: a fresh server on CPU 1, then loadgen (CPU 0) opens
# CLIENTS subscribers over many 127.x.y.z source addresses, publishes ONE
# event, and waits until every subscriber has it. Reported separately:
#   - user-space memory per connection: the server's RSS delta ÷ subscribers
#     (loadgen's server_mem_per_conn_bytes);
#   - kernel memory: /proc/net/sockstat's TCP "mem" (pages of socket
#     buffers) and /proc/meminfo's Slab (socket, file and epoll objects),
#     before and with everyone subscribed; both ends of every connection live
#     in this one kernel, so the per-connection figure covers two sockets;
#   - connection rate: subscribers ÷ time until all were connected (sampled
#     every 100 ms from /proc/net/sockstat), and loadgen's connect and
#     subscribe percentiles;
#   - time to deliver one event to all: the latency max of that one event
#     (p50 beside it).
#
# Limits: each process needs one descriptor per connection. The script
# raises the soft RLIMIT_NOFILE to the hard one; when the hard limit is
# below CLIENTS it says so loudly and runs with as many as fit. It does not
# change system-wide sysctls (other work shares the machine): loadgen
# spreads its source addresses over 127.0.0.0/8, so ip_local_port_range is
# not what runs out.
#
# Usage: bench/scale/run.sh   (QUICK=1: 1 000 subscribers; SCALE_CLIENTS=N;
#                              SCALE_TECHS="sse websocket longpoll"; BIN=bin)
# Writes bench/results/scale/: runs.jsonl, scale.md, conns-*.dat, scale.svg/png.
set -u

cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
QUICK=${QUICK:-}
[ "$QUICK" = "0" ] && QUICK=""
TECHS=${SCALE_TECHS:-"sse websocket longpoll"}
if [ -n "$QUICK" ]; then WANT=${SCALE_CLIENTS:-1000}; else WANT=${SCALE_CLIENTS:-100000}; fi
OUT=${SCALE_OUT:-bench/results/scale}
rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/data"

for t in $TECHS loadgen; do
    [ -x "$BIN/$t" ] || { echo "scale: $BIN/$t is missing: run make all first" >&2; exit 1; }
done

# ---- limits ----
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
HARD=$(ulimit -Hn)
LIMIT_NOTE=""
CLIENTS=$WANT
if [ "$HARD" != unlimited ] && [ "$HARD" -lt $((WANT + 100)) ]; then
    CLIENTS=$((HARD - 100))
    LIMIT_NOTE="LIMIT: RLIMIT_NOFILE's hard limit is $HARD here, and raising it needs CAP_SYS_RESOURCE, which this process does not have (see /proc/self/status CapEff); one server process can hold at most $HARD descriptors, so this run holds $CLIENTS subscribers, not $WANT. On a machine where root may raise it: ulimit -Hn 1048576 (and fs.nr_open) first."
    echo "scale: ******** $LIMIT_NOTE ********"
fi

if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_PIN="taskset -c 1"; LG_PIN="taskset -c 0"; PINNING="server on CPU 1, loadgen on CPU 0"
else
    SRV_PIN=""; LG_PIN=""; PINNING="NOT PINNED"
fi

SPID=""; SAMPLER=""
stop_all() {
    [ -n "$SAMPLER" ] && { kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; }
    if [ -n "$SPID" ]; then
        kill -TERM "$SPID" 2>/dev/null
        i=0
        while kill -0 "$SPID" 2>/dev/null && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$SPID" 2>/dev/null
        wait "$SPID" 2>/dev/null
    fi
    SPID=""; SAMPLER=""
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

# sockstat FIELD: TCP's inuse or mem (pages) now.
sockstat() { awk -v f="$1" '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == f) print $(i + 1) }' /proc/net/sockstat; }
slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -sr); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc); memory $(awk '$1 == "MemTotal:" { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo)"
    echo "pinning: $PINNING"
    echo "subscribers: $CLIENTS (wanted $WANT); RLIMIT_NOFILE hard $HARD"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    [ -n "$LIMIT_NOTE" ] && echo "$LIMIT_NOTE"
} >"$OUT/env.txt"

FAILED=0
for t in $TECHS; do
    printf 'scale: %-9s %d subscribers ... ' "$t" "$CLIENTS"
    $SRV_PIN "$BIN/$t" -p 0 -a 127.0.0.1 -q -t 0 >"$OUT/logs/$t.server.out" 2>"$OUT/logs/$t.server.log" &
    SPID=$!
    PORT=""; i=0
    while [ -z "$PORT" ] && [ $i -lt 50 ]; do
        PORT=$(sed -n '1s|^listening on [a-z]*://[0-9.]*:\([0-9]*\)/.*|\1|p' "$OUT/logs/$t.server.out")
        [ -n "$PORT" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$PORT" ] || { echo "FAILED: the server did not start"; FAILED=$((FAILED + 1)); stop_all; continue; }
    base_inuse=$(sockstat inuse); base_mem=$(sockstat mem); base_slab=$(slab_kb)

    # Sample every 50 ms: ms since start, connections (TCP sockets in use
    # beyond the start, ÷ 2 ends), socket-buffer pages, slab KiB. Bounded: 15 min.
    python3 -c '
import sys, time
base = int(sys.argv[1])
def tcp(f):
    for line in open("/proc/net/sockstat"):
        if line.startswith("TCP:"):
            w = line.split()
            return int(w[w.index(f) + 1])
def slab():
    for line in open("/proc/meminfo"):
        if line.startswith("Slab:"):
            return int(line.split()[1])
start = time.monotonic()
for _ in range(18000):
    print(int((time.monotonic() - start) * 1000), (tcp("inuse") - base) // 2, tcp("mem"), slab(), flush=True)
    time.sleep(0.05)
' "$base_inuse" >"$OUT/data/conns-$t.dat" &
    SAMPLER=$!
    i=0
    while [ ! -s "$OUT/data/conns-$t.dat" ] && [ $i -lt 100 ]; do sleep 0.1; i=$((i + 1)); done

    timeout -k 5 600 $LG_PIN "$BIN/loadgen" -q -T "$t" -u "http://127.0.0.1:$PORT/" -c "$CLIENTS" -r 1 -d 1 \
        -s 64 -g 60 -P "$SPID" -L scale -o "$OUT/runs.jsonl" >"$OUT/logs/$t.json" 2>"$OUT/logs/$t.loadgen.log"
    rc=$?
    kill "$SAMPLER" 2>/dev/null; wait "$SAMPLER" 2>/dev/null; SAMPLER=""
    alive=1; kill -0 "$SPID" 2>/dev/null || alive=0
    stop_all
    if [ $rc -ne 0 ] || [ $alive -eq 0 ]; then
        echo "FAILED (loadgen exit $rc, server alive $alive): $(tail -1 "$OUT/logs/$t.loadgen.log")"
        FAILED=$((FAILED + 1)); continue
    fi
    echo "$base_inuse $base_mem $base_slab" >"$OUT/data/base-$t.txt"
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1]))
print("subscribed %d  user %d B/conn  one event to all: p50 %.1f ms, max %.1f ms  lost %d%s" % (d["subscribed"], d["server_mem_per_conn_bytes"], d["latency_us"]["p50"]/1e3, d["latency_us"]["max"]/1e3, d["lost"], "" if d["ok"] else "  <<< " + d["warnings"]))' "$OUT/logs/$t.json"
done

python3 bench/scale/report.py "$OUT" >"$OUT/scale.md"
CHARTS=0
if command -v gnuplot >/dev/null 2>&1; then
    if gnuplot -e "dir='$OUT/data'; out='$OUT/scale'; techs='$TECHS'" bench/scale/scale.gp 2>"$OUT/logs/gnuplot.log"; then
        CHARTS=1
    else
        echo "scale: chart FAILED: $(tail -2 "$OUT/logs/gnuplot.log")"
    fi
fi
echo
cat "$OUT/scale.md"
echo
echo "scale: results in $OUT/ (scale.md, runs.jsonl, $CHARTS chart)"
[ -n "$LIMIT_NOTE" ] && echo "scale: ******** $LIMIT_NOTE ********"
[ $FAILED -eq 0 ]
