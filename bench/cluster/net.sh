#!/usr/bin/env bash
# bench/cluster/net.sh — what a real second machine adds: the instance and
# Redis in two network namespaces ("machines"), joined by bench/net's
# impaired link (bench/net/wire.c), against the same two on one loopback.
#
#   "redis host" 10.201.0.1: redis-server
#   "app host"   10.201.0.2: bin/sse -R redis://10.201.0.1:PORT, and loadgen on
#                            the app host's own loopback (subscribers and
#                            publisher both next to the instance)
#
# So every event crosses the link to Redis and back before the subscribers
# have it (POST /publish → the instance's XADD → Redis → the instance's XREAD);
# the subscribers themselves are next to the instance. One run per profile:
# clean (the link, unimpaired), rtt10 (5 ms each way), rtt50 (25 ms each
# way), loss1 (25 ms, 1% loss); 100 subscribers × 50 events/s × 5 s.
# Reported: p50/p99/max and lost, in net.md (appended to cluster.md by
# run.sh) and net.dat.
#
# Needs root (namespaces, TUN). Without it: says so and exits 2.
# Everything it makes is removed on every exit.
set -u
cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
OUT=${1:-bench/results/cluster}
QUICK=${QUICK:-}
[ "$QUICK" = 0 ] && QUICK=""
mkdir -p "$OUT/logs"
if [ "$(id -u)" -ne 0 ] || ! command -v ip >/dev/null || [ ! -c /dev/net/tun ]; then
    echo "bench-cluster net: NEEDS ROOT, ip and /dev/net/tun: nothing measured" >&2
    exit 2
fi
D=5; [ -n "$QUICK" ] && D=2
mkdir -p "$BIN/net"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$BIN/net/wire" bench/net/wire.c || exit 1

NS_R=rtlab-cl-r-$$; NS_A=rtlab-cl-a-$$; TUN_R=rtcr$$; TUN_A=rtca$$
WPID=""; RPID=""; SPID=""
cleanup() {
    for p in $SPID $RPID; do kill -KILL "$p" 2>/dev/null; wait "$p" 2>/dev/null; done
    [ -n "$WPID" ] && { kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; }
    ip netns del "$NS_R" 2>/dev/null; ip netns del "$NS_A" 2>/dev/null
    ip link del "$TUN_R" 2>/dev/null; ip link del "$TUN_A" 2>/dev/null
    WPID=""; RPID=""; SPID=""
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

echo "# profile delay_ms loss_pct p50_us p99_us max_us lost" >"$OUT/net.dat"
run_profile() {    # NAME DELAY LOSS
    local name=$1 delay=$2 loss=$3
    ip netns add "$NS_R" && ip netns add "$NS_A" || { echo "cannot create namespaces" >&2; exit 1; }
    ip netns exec "$NS_R" ip link set lo up
    ip netns exec "$NS_A" ip link set lo up
    taskset -c 0 "$BIN/net/wire" -s "$TUN_R" -c "$TUN_A" -d "$delay" -j 0 -l "$loss" -x 10.201.0.9 -S 7 -t 300 \
        >"$OUT/logs/net-wire-$name.out" 2>"$OUT/logs/net-wire-$name.log" &
    WPID=$!
    for _ in $(seq 50); do grep -q ready "$OUT/logs/net-wire-$name.out" 2>/dev/null && break; sleep 0.1; done
    ip link set "$TUN_R" netns "$NS_R"; ip link set "$TUN_A" netns "$NS_A"
    ip netns exec "$NS_R" ip addr add 10.201.0.1/24 dev "$TUN_R"; ip netns exec "$NS_R" ip link set "$TUN_R" up
    ip netns exec "$NS_A" ip addr add 10.201.0.2/24 dev "$TUN_A"; ip netns exec "$NS_A" ip link set "$TUN_A" up
    # A private namespace: no password, so protected mode would refuse
    # every client that is not on its loopback.
    ip netns exec "$NS_R" taskset -c 1 redis-server --port 6379 --bind 10.201.0.1 --protected-mode no --save '' --appendonly no \
        --dir "$OUT/logs" --logfile "$OUT/logs/net-redis-$name.log" --daemonize no >/dev/null &
    RPID=$!
    sleep 0.5
    ip netns exec "$NS_A" taskset -c 1 "$BIN/sse" -p 8200 -a 127.0.0.1 -q -t 0 -R redis://10.201.0.1:6379/net \
        >"$OUT/logs/net-sse-$name.out" 2>"$OUT/logs/net-sse-$name.log" &
    SPID=$!
    for _ in $(seq 200); do   # live and settled (publishing is 503 until then)
        ip netns exec "$NS_A" curl -s --max-time 1 http://127.0.0.1:8200/stats 2>/dev/null | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin).get("redis",{}); sys.exit(0 if r.get("state")=="live" and not r.get("settling") else 1)' 2>/dev/null && break
        sleep 0.1
    done
    timeout -k 5 120 ip netns exec "$NS_A" taskset -c 0 "$BIN/loadgen" -q -T sse -u http://127.0.0.1:8200/ \
        -c 100 -r 50 -d $D -s 64 -g 10 -P "$SPID" -L "net-$name" -o "$OUT/runs.jsonl" \
        >"$OUT/logs/net-$name.json" 2>"$OUT/logs/net-$name.loadgen.log"
    /usr/bin/python3 -c '
import json, sys
d = json.load(open(sys.argv[1])); l = d["latency_us"]
print(sys.argv[2], sys.argv[3], sys.argv[4], l["p50"], l["p99"], l["max"], d["lost"])' \
        "$OUT/logs/net-$name.json" "$name" "$delay" "$loss" >>"$OUT/net.dat" ||
        echo "$name $delay $loss 0 0 0 -1" >>"$OUT/net.dat"
    tail -1 "$OUT/net.dat" | awk '{ printf "bench-cluster net: %-6s p50 %8.1f ms  p99 %8.1f ms  max %8.1f ms  lost %d\n", $1, $4/1000, $5/1000, $6/1000, $7 }'
    cleanup
}
run_profile clean 0 0
run_profile rtt10 5 0
run_profile rtt50 25 0
run_profile loss1 25 1

/usr/bin/python3 - "$OUT/net.dat" >"$OUT/net.md" <<'EOF'
import sys
rows = [l.split() for l in open(sys.argv[1]) if not l.startswith('#')]
print('## What a second machine adds\n')
print('One SSE instance and Redis in two network namespaces joined by bench/net\'s link; '
      'subscribers and publisher next to the instance, so each event crosses the link to Redis and back.\n')
print('| link (each way) | p50 ms | p99 ms | max ms | lost | p50 over the clean link |')
print('|---|---:|---:|---:|---:|---:|')
base = float(rows[0][3]) if rows else 0
for name, delay, loss, p50, p99, mx, lost in rows:
    print(f"| {name}: {delay} ms, {loss}% loss | {float(p50)/1e3:.1f} | {float(p99)/1e3:.1f} | {float(mx)/1e3:.1f} | {lost} | "
          f"{(float(p50) - base)/1e3:+.1f} ms |")
EOF
cat "$OUT/net.md"
