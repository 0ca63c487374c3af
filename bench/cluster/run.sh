#!/usr/bin/env bash
# bench/cluster/run.sh — what the broker costs and what it buys
# (`make bench CLUSTER=1`).
#
# 1. Cost. The same loadgen run (SSE and WebSocket; light: 100 subscribers ×
#    100 events/s; load: 1000 × 100/s) against
#      one      one process, the in-memory feed, loadgen straight to it;
#      redis1   one process with its feed in Redis (-R), straight to it:
#               what the broker adds, and nothing else;
#      redis2   two processes behind Redis (`make cluster`'s), loadgen
#               straight to them: the subscribers dealt out over both,
#               every event published on the first;
#      nginx2   the same two through nginx (the cluster's plain-HTTP door):
#               the shape of `make cluster`, and what the proxy costs.
#    Reported: latency p50/p99 (loadgen's, from each event's scheduled send
#    time), and deliveries per CPU-second counting every server process and
#    redis-server (nginx's CPU beside it, not in it), from /proc/PID/stat
#    before and after each run.
# 2. Reach. 100 000 idle SSE subscribers at once, across as many server
#    processes as the 20 000-descriptor limit needs (each holds at most
#    CROWD_PER subscribers), all on one feed in Redis, each crowd of
#    subscribers a process of its own (bench/cluster/crowd.c, source
#    addresses 127.(20+k).x.y). ONE event is published once every
#    subscriber is in; reported: the time until the last of them had it,
#    and user and kernel memory per connection (servers' RSS; /proc/meminfo
#    Slab and /proc/net/sockstat, both ends of each connection).
# 3. A second machine (as root): bench/cluster/net.sh, the instance and
#    Redis in two network namespaces over bench/net's impaired link.
#
# Usage: bench/cluster/run.sh   (QUICK=1: 10 000 subscribers, 2 s runs, once
#        each; CLUSTER_REPEATS=N runs per cost point, 3 by default: the
#        report gives the median and the min-max; CROWD_TOTAL=N,
#        CROWD_PER=N, BIN=bin)
# Writes bench/results/cluster/: runs.jsonl, cost.dat, crowd.json, cluster.md,
# cluster.svg/png, logs/. The machine may be busy: the run records the load.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
QUICK=${QUICK:-}
[ "$QUICK" = 0 ] && QUICK=""
python=/usr/bin/python3
OUT=${CLUSTER_OUT:-bench/results/cluster}
rm -rf "$OUT"
mkdir -p "$OUT/logs"
OUT=$(cd "$OUT" && pwd)   # absolute: redis-server changes directory
if [ -n "$QUICK" ]; then DUR=2; TOTAL=${CROWD_TOTAL:-10000}; PER=${CROWD_PER:-2500}; REPEATS=${CLUSTER_REPEATS:-1}
else DUR=5; TOTAL=${CROWD_TOTAL:-100000}; PER=${CROWD_PER:-19000}; REPEATS=${CLUSTER_REPEATS:-3}; fi
# Servers, redis-server and nginx on CPU 1, loadgen and the crowds on CPU 0,
# as the other benches do (CPU time is what is compared; pinning keeps the
# two sides from stealing each other's core).
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_PIN="taskset -c 1"; LG_PIN="taskset -c 0"; PINNING="servers, redis-server, nginx on CPU 1; loadgen and crowds on CPU 0"
else
    SRV_PIN=""; LG_PIN=""; PINNING="NOT PINNED"
fi
for b in sse websocket loadgen crowd; do
    [ -x "$BIN/$b" ] || { echo "bench-cluster: $BIN/$b is missing: make all" >&2; exit 1; }
done
for t in redis-server nginx; do command -v $t >/dev/null || { echo "bench-cluster: $t is missing: scripts/deps.sh cluster" >&2; exit 1; }; done
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

pids=()
stop_all() {
    for p in "${pids[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for p in "${pids[@]}"; do
        for _ in $(seq 50); do kill -0 "$p" 2>/dev/null || break; sleep 0.1; done
        kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null
    done
    pids=()
}
trap 'stop_all; exit 130' INT TERM
trap stop_all EXIT

free_port() { "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# cpu PID...: user+system seconds of these processes (all their threads).
cpu() { "$python" -c '
import os, sys
hz = os.sysconf("SC_CLK_TCK"); total = 0
for p in sys.argv[1:]:
    try:
        f = open("/proc/%s/stat" % p).read().rsplit(")", 1)[1].split()
        total += int(f[11]) + int(f[12])
    except OSError: pass
print("%.3f" % (total / hz))' "$@"; }
rss_kb() { local t=0 p; for p in "$@"; do t=$((t + $(awk '$1 == "VmRSS:" { print $2 }' "/proc/$p/status" 2>/dev/null || echo 0))); done; echo $t; }
slab_kb() { awk '$1 == "Slab:" { print $2 }' /proc/meminfo; }
sock_pages() { awk '$1 == "TCP:" { for (i = 2; i < NF; i++) if ($i == "mem") print $(i + 1) }' /proc/net/sockstat; }

start_redis() {
    RPORT=$(free_port)
    $SRV_PIN redis-server --port "$RPORT" --bind 127.0.0.1 --save '' --appendonly no --dir "$OUT/logs" \
        --logfile "$OUT/logs/redis.log" --daemonize no >/dev/null &
    RPID=$!; pids+=("$RPID")
    for _ in $(seq 100); do redis-cli -p "$RPORT" ping >/dev/null 2>&1 && return; sleep 0.05; done
    echo "bench-cluster: redis-server did not start" >&2; exit 1
}
# start_server TECH NAME [ARG...]: sets SPORT, SPID
start_server() {
    local tech=$1 name=$2; shift 2
    $SRV_PIN "$BIN/$tech" -p 0 -a 127.0.0.1 -q -t 0 "$@" >"$OUT/logs/$name.out" 2>"$OUT/logs/$name.log" &
    SPID=$!; pids+=("$SPID"); SPORT=""
    for _ in $(seq 100); do
        SPORT=$(sed -n '1s|^listening on http://[0-9.]*:\([0-9]*\)/.*|\1|p' "$OUT/logs/$name.out")
        [ -n "$SPORT" ] && break; sleep 0.05
    done
    [ -n "$SPORT" ] || { echo "bench-cluster: $name did not start" >&2; exit 1; }
}
# Wait until a -R server's feed is live and settled (publishing would be 503).
wait_settled() {
    for _ in $(seq 200); do
        curl -s "http://127.0.0.1:$1/stats" | "$python" -c 'import json,sys; r=json.load(sys.stdin).get("redis",{}); sys.exit(0 if r.get("state")=="live" and not r.get("settling") else 1)' && return
        sleep 0.05
    done
    echo "bench-cluster: the feed on :$1 never settled" >&2; exit 1
}

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work shares this machine: compare within one run)"
    echo "RLIMIT_NOFILE hard: $(ulimit -Hn); pinning: $PINNING (the 100 000: server k and crowd k on opposite CPUs)"
    echo "runs per cost point: $REPEATS ($DUR s each; the report gives the median and the min-max)"
} >"$OUT/env.txt"
cat "$OUT/env.txt"

# ==== 1. cost: one process, one behind Redis, two behind Redis, the two via nginx ====
# A run: loadgen against URLS; CPU of PIDS (servers + redis) and of NGINX
# pids (may be empty) before and after. Appends one line to cost.dat.
echo "# config tech load clients rate p50_us p99_us deliveries cpu_s deliveries_per_cpu_s nginx_cpu_s lost dup rep" >"$OUT/cost.dat"
# URLS is one or more server URLs, space-separated (loadgen -u each); REP,
# which repeat of the point this is, is kept in the row for reading by hand.
one_run() {
    local config=$1 tech=$2 load=$3 clients=$4 rate=$5 urls=$6 pidlist=$7 nginxpids=$8 rep=$9
    local label="$1-$2-$3-r$9"
    local c0 n0 c1 n1 u uargs=()
    for u in $urls; do uargs+=(-u "$u"); done
    c0=$(cpu $pidlist); n0=$(cpu $nginxpids)
    timeout -k 5 120 $LG_PIN "$BIN/loadgen" -q -T "$tech" "${uargs[@]}" -c "$clients" -r "$rate" -d "$DUR" -s 64 -g 5 \
        -L "$label" -o "$OUT/runs.jsonl" >"$OUT/logs/$label.json" 2>"$OUT/logs/$label.log"
    c1=$(cpu $pidlist); n1=$(cpu $nginxpids)
    "$python" - "$OUT/logs/$label.json" "$config" "$tech" "$load" "$c0" "$c1" "$n0" "$n1" "$rep" >>"$OUT/cost.dat" <<'EOF'
import json, sys
d = json.load(open(sys.argv[1])); config, tech, load = sys.argv[2:5]
c = float(sys.argv[6]) - float(sys.argv[5]); n = float(sys.argv[8]) - float(sys.argv[7])
print(config, tech, load, d["subscribed"], d["rate"], d["latency_us"]["p50"], d["latency_us"]["p99"],
      d["unique_deliveries"], "%.3f" % c, "%.0f" % (d["unique_deliveries"] / c if c > 0 else 0), "%.3f" % n,
      d["lost"], d["duplicates"], sys.argv[9])
EOF
    tail -1 "$OUT/cost.dat" | awk '{ printf "bench-cluster: %-7s %-9s %-5s %5d subs: p50 %7.0f us  p99 %7.0f us  %8d deliveries  %6.0f per CPU-s  lost %d dup %d\n", $1, $2, $3, $4, $6, $7, $8, $10, $12, $13 }'
}

loads() {   # loads CONFIG TECH URLS PIDS NGINXPIDS: both loads, REPEATS times, in turn
    local rep
    for rep in $(seq "$REPEATS"); do
        one_run "$1" "$2" light 100 100 "$3" "$4" "$5" "$rep"
        one_run "$1" "$2" load 1000 100 "$3" "$4" "$5" "$rep"
    done
}

for tech in sse websocket; do
    start_server "$tech" "one-$tech"
    loads one "$tech" "http://127.0.0.1:$SPORT/" "$SPID" ""
    stop_all

    start_redis
    start_server "$tech" "redis1-$tech" -R "redis://127.0.0.1:$RPORT/bench-$tech"
    wait_settled "$SPORT"
    loads redis1 "$tech" "http://127.0.0.1:$SPORT/" "$SPID $RPID" ""
    stop_all
done

# Two behind Redis: the cluster's launcher (nginx, two of each). First
# straight to the two instances (what the broker costs with two), then
# through the plain-HTTP door of each technique (what nginx adds: on this
# machine it shares the servers' core, so its CPU slows them down too).
$SRV_PIN "$python" cluster/cluster.py --bin "$BIN" --tick 0 --feed redis --state "$OUT/logs/cluster.json" \
    >"$OUT/logs/cluster.out" 2>"$OUT/logs/cluster.log" &
CPID=$!; pids+=("$CPID")
for _ in $(seq 400); do [ -s "$OUT/logs/cluster.json" ] && break; sleep 0.05; done
[ -s "$OUT/logs/cluster.json" ] || { cat "$OUT/logs/cluster.log"; echo "bench-cluster: the cluster did not start" >&2; exit 1; }
st() { "$python" -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$OUT/logs/cluster.json" "$1"; }
NGINX_PIDS="$(st "s['nginx_pid']") $(pgrep -P "$(st "s['nginx_pid']")" | tr '\n' ' ')"
for tech in sse websocket; do
    door=$(st "s['doors']['$tech']")
    spids=$(st "' '.join(str(i['pid']) for i in s['instances'] if i['technique']=='$tech')")
    surls=$(st "' '.join('http://127.0.0.1:%d/' % i['port'] for i in s['instances'] if i['technique']=='$tech')")
    loads redis2 "$tech" "$surls" "$spids $(st "s['redis']['pid']")" "$NGINX_PIDS"
    loads nginx2 "$tech" "http://127.0.0.1:$door/" "$spids $(st "s['redis']['pid']")" "$NGINX_PIDS"
done
stop_all

# ==== 2. reach: TOTAL subscribers over as many processes as it takes ====
K=$(( (TOTAL + PER - 1) / PER ))
EACH=$(( TOTAL / K ))
echo "bench-cluster: $((EACH * K)) SSE subscribers: $K server processes × $EACH, $K crowd processes, one feed in Redis"
start_redis
spids=(); sports=()
# Here the processes are spread over both cores (server k and crowd k on
# opposite ones): the fan-out of one event is what runs in parallel when a
# feed is shared, and this machine has two cores to show it with.
pin_k() { [ -n "$SRV_PIN" ] && echo "taskset -c $(( $1 % 2 ))"; }
for k in $(seq 0 $((K - 1))); do
    SRV_PIN=$(pin_k "$k") start_server sse "crowd-sse-$k" -R "redis://127.0.0.1:$RPORT/crowd"
    spids+=("$SPID"); sports+=("$SPORT")
done
for p in "${sports[@]}"; do wait_settled "$p"; done
slab0=$(slab_kb); sock0=$(sock_pages); rss0=$(rss_kb "${spids[@]}"); redis_rss0=$(rss_kb "$RPID")
cpids=()
t_sub=$(date +%s.%N)
for k in $(seq 0 $((K - 1))); do
    $(pin_k $((k + 1))) "$BIN/crowd" -u "http://127.0.0.1:${sports[$k]}/" -c "$EACH" -n $((20 + k)) -W 120 -H 60 \
        >"$OUT/logs/crowd-$k.out" 2>"$OUT/logs/crowd-$k.log" &
    cpids+=("$!"); pids+=("$!")
done
for _ in $(seq 2400); do
    n=0; for k in $(seq 0 $((K - 1))); do grep -q '^subscribed' "$OUT/logs/crowd-$k.out" 2>/dev/null && n=$((n + 1)); done
    [ $n -eq $K ] && break; sleep 0.05
done
t_all=$(date +%s.%N)
subs=0; for k in $(seq 0 $((K - 1))); do subs=$((subs + $(sed -n 's/^subscribed //p' "$OUT/logs/crowd-$k.out"))); done
sleep 1   # let the servers' memory settle
slab1=$(slab_kb); sock1=$(sock_pages); rss1=$(rss_kb "${spids[@]}"); redis_rss1=$(rss_kb "$RPID")
cpu0=$(cpu "${spids[@]}" "$RPID")
# ONE event, on the first instance; t= is CLOCK_MONOTONIC like loadgen's.
"$python" -c '
import http.client, sys, time
c = http.client.HTTPConnection("127.0.0.1", int(sys.argv[1]), timeout=10)
c.request("POST", "/publish", "seq=1 t=%d one event for everyone" % time.monotonic_ns())
print(c.getresponse().read().decode().strip())' "${sports[0]}" >"$OUT/logs/crowd-publish.txt"
# Every crowd has its result (or gave up) and still holds its streams: the
# CPU read now is the fan-out's, not the closes'.
for _ in $(seq 1200); do
    n=0; for k in $(seq 0 $((K - 1))); do grep -q '^{' "$OUT/logs/crowd-$k.out" 2>/dev/null && n=$((n + 1)); done
    [ $n -eq $K ] && break; sleep 0.05
done
cpu1=$(cpu "${spids[@]}" "$RPID")
for p in "${cpids[@]}"; do kill -TERM "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
"$python" - "$OUT" "$K" "$EACH" "$subs" "$slab0" "$slab1" "$sock0" "$sock1" "$rss0" "$rss1" "$redis_rss0" "$redis_rss1" \
    "$cpu0" "$cpu1" "$t_sub" "$t_all" >"$OUT/crowd.json" <<'EOF'
import json, sys
out, k, each, subs = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
slab0, slab1, sock0, sock1, rss0, rss1, rr0, rr1 = map(int, sys.argv[5:13])
cpu0, cpu1, t_sub, t_all = map(float, sys.argv[13:17])
crowds = []
for i in range(k):
    lines = [l for l in open(f"{out}/logs/crowd-{i}.out") if l.startswith("{")]
    crowds.append(json.loads(lines[-1]) if lines else {"received": 0, "max_ms": 0, "p50_ms": 0, "first_ms": 0})
got = sum(c["received"] for c in crowds)
print(json.dumps({
    "servers": k, "per_server": each, "subscribed": subs, "received": got,
    "subscribe_s": round(t_all - t_sub, 2),
    "one_event_to_all_ms": max(c["max_ms"] for c in crowds),
    "first_ms": min(c["first_ms"] for c in crowds),
    "p50_ms_per_crowd": [c["p50_ms"] for c in crowds], "max_ms_per_crowd": [c["max_ms"] for c in crowds],
    "user_bytes_per_conn": round((rss1 - rss0) * 1024 / max(subs, 1)),
    "kernel_slab_bytes_per_conn_both_ends": round((slab1 - slab0) * 1024 / max(subs, 1)),
    "kernel_sockbuf_bytes_per_conn": round((sock1 - sock0) * 4096 / max(subs, 1)),
    "redis_rss_delta_kb": rr1 - rr0,
    "fanout_cpu_s": round(cpu1 - cpu0, 3),
}))
EOF
stop_all
cat "$OUT/crowd.json"

# ==== 3. a second machine: the instance and Redis in two namespaces ====
if [ "$(id -u)" -eq 0 ]; then
    QUICK=$QUICK BIN=$BIN bench/cluster/net.sh "$OUT" || echo "bench-cluster: the namespace runs FAILED (see $OUT/logs/net-*)"
else
    echo "bench-cluster: not root: the namespace runs (bench/cluster/net.sh) are left out"
fi

# ==== report and charts ====
"$python" bench/cluster/report.py "$OUT" >"$OUT/cluster.md"
[ -f "$OUT/net.md" ] && { echo; cat "$OUT/net.md"; } >>"$OUT/cluster.md"
if command -v gnuplot >/dev/null 2>&1; then
    gnuplot -e "dir='$OUT'" bench/cluster/cluster.gp 2>"$OUT/logs/gnuplot.log" || echo "bench-cluster: chart FAILED: $(tail -2 "$OUT/logs/gnuplot.log")"
fi
echo
cat "$OUT/cluster.md"
echo
echo "bench-cluster: results in $OUT/ (cluster.md, cluster.svg, cluster.png, cost.dat, crowd.json, runs.jsonl)"
