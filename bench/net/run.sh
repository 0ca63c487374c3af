#!/bin/sh
# bench/net/run.sh PROFILE — the four techniques and the baseline across an
# impaired network (`make bench NET=PROFILE`).
#
#   PROFILE   each direction                     so
#   clean     no delay, no loss                  the same path, unimpaired (the reference)
#   rtt50     25 ms                              50 ms round trip
#   loss1     25 ms, 1% loss                     50 ms RTT and lost segments
#   jitter    25 ms ± 10 ms (uniform, in order)  50 ms RTT, uneven
#
# Two network namespaces of our own, "server" (10.200.0.1) and "client"
# (10.200.0.2), are joined by a link that adds the delay, jitter and loss.
# Each server runs in the server namespace (CPU 1), loadgen in the client
# namespace (CPU 0). The link is bench/net/wire.c (two TUN devices and a
# user-space queue) because this machine's kernel has no sch_netem; see
# bench/net/README.md. loadgen only talks to 127.0.0.0/8, so inside the
# client namespace nftables maps 127.0.0.1:PORT to 10.200.0.1:PORT. The
# publisher (loadgen's POSTs, from 127.0.0.1) is mapped to 10.200.0.3, which
# the link lets through unimpaired: it plays a backend next to the server,
# so latency is what the subscribers' network adds, not the publisher's.
#
# `bench/net/run.sh all` runs the four in turn and then draws one chart and
# table across them (bench/results/net/compare.*).
#
# Needs root (namespaces, TUN, nftables). Without it: says so, exits 2.
# Everything it creates is removed on every exit (trap). QUICK=1: 3 s runs.
# Writes bench/results/net-PROFILE/: runs.jsonl, runs.csv, summary.md, charts.
set -u

cd "$(dirname "$0")/../.."
PROFILE=${1:-}
BIN=${BIN:-bin}
QUICK=${QUICK:-}
[ "$QUICK" = "0" ] && QUICK=""

# `all`: every profile in turn, then one chart and table across them.
if [ "$PROFILE" = all ]; then
    rc=0
    for p in clean rtt50 loss1 jitter; do
        "$0" "$p" || rc=$?
        [ $rc -eq 2 ] && exit 2          # no root, or a tool missing: the rest would fail the same way
    done
    mkdir -p bench/results/net
    python3 bench/net/compare.py bench/results >bench/results/net/compare.md
    command -v gnuplot >/dev/null 2>&1 &&
        gnuplot -e "dir='bench/results/net'; out='bench/results/net/compare'" bench/net/compare.gp.in \
            2>bench/results/net/gnuplot.log || echo "net: compare chart FAILED: $(tail -2 bench/results/net/gnuplot.log)"
    cat bench/results/net/compare.md
    echo "net: all profiles: bench/results/net/compare.md and compare.svg/png; each profile in bench/results/net-PROFILE/"
    exit $rc
fi

case $PROFILE in
clean)  DELAY=0;  JITTER=0;  LOSS=0 ;;
rtt50)  DELAY=25; JITTER=0;  LOSS=0 ;;
loss1)  DELAY=25; JITTER=0;  LOSS=1 ;;
jitter) DELAY=25; JITTER=10; LOSS=0 ;;
*)
    echo "usage: bench/net/run.sh clean|rtt50|loss1|jitter|all   (make bench NET=PROFILE)" >&2
    exit 2 ;;
esac

if [ "$(id -u)" -ne 0 ]; then
    echo "net: NEEDS ROOT: network namespaces, TUN devices and nftables need root." >&2
    echo "net: nothing was measured. Run it as root: sudo bench/net/run.sh $PROFILE" >&2
    exit 2
fi
for tool in ip nft taskset cc; do
    command -v $tool >/dev/null 2>&1 || { echo "net: $tool is missing (bench/net/deps.sh installs it)" >&2; exit 2; }
done
[ -c /dev/net/tun ] || { echo "net: /dev/net/tun is missing: no TUN support here" >&2; exit 2; }
for t in baseline polling longpoll sse websocket loadgen; do
    [ -x "$BIN/$t" ] || { echo "net: $BIN/$t is missing: run make all first" >&2; exit 1; }
done

OUT=bench/results/net-$PROFILE
rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/data"
mkdir -p "$BIN/net"
cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$BIN/net/wire" bench/net/wire.c || exit 1

# 50 events/s: events 20 ms apart, closer than one 50 ms round trip, so a
# long poll cannot re-arm between two events (its extra round trip shows).
if [ -n "$QUICK" ]; then D=3; CLIENTS=50; else D=10; CLIENTS=100; fi
RATE=50; PAYLOAD=64; POLL_MS=100; PORT=8100

NS_S=rtlab-net-s-$$
NS_C=rtlab-net-c-$$
TUN_S=rtls$$
TUN_C=rtlc$$
WPID=""; SPID=""
cleanup() {
    [ -n "$SPID" ] && kill -KILL "$SPID" 2>/dev/null
    [ -n "$WPID" ] && { kill -TERM "$WPID" 2>/dev/null; wait "$WPID" 2>/dev/null; }
    ip netns del "$NS_S" 2>/dev/null
    ip netns del "$NS_C" 2>/dev/null
    ip link del "$TUN_S" 2>/dev/null
    ip link del "$TUN_C" 2>/dev/null
    SPID=""; WPID=""
}
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

in_s() { ip netns exec "$NS_S" "$@"; }
in_c() { ip netns exec "$NS_C" "$@"; }

# ---- the two hosts and the link ----
ip netns add "$NS_S" && ip netns add "$NS_C" || { echo "net: cannot create namespaces" >&2; exit 1; }
in_s ip link set lo up
in_c ip link set lo up
MAX_LIFE=$((D * 5 * 2 + 600))       # the wire stops by itself even if we are killed hard
taskset -c 0 "$BIN/net/wire" -s "$TUN_S" -c "$TUN_C" -d $DELAY -j $JITTER -l $LOSS -x 10.200.0.3 \
    -S 12345 -t $MAX_LIFE >"$OUT/logs/wire.out" 2>"$OUT/logs/wire.log" &
WPID=$!
i=0
while ! grep -q ready "$OUT/logs/wire.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
grep -q ready "$OUT/logs/wire.out" || { echo "net: the wire did not start: $(cat "$OUT/logs/wire.log")" >&2; exit 1; }
ip link set "$TUN_S" netns "$NS_S" && ip link set "$TUN_C" netns "$NS_C" || exit 1
in_s ip addr add 10.200.0.1/24 dev "$TUN_S"
in_s ip link set "$TUN_S" up
in_c ip addr add 10.200.0.2/24 dev "$TUN_C"
in_c ip addr add 10.200.0.3/24 dev "$TUN_C"
in_c ip link set "$TUN_C" up
# loadgen speaks only to 127.0.0.0/8: map 127.0.0.1:PORT to the server host.
# route_localnet lets a 127.x source leave (before SNAT) and come back (after).
for k in all default "$TUN_C"; do
    in_c sysctl -qw net.ipv4.conf.$k.route_localnet=1 net.ipv4.conf.$k.rp_filter=0
done
in_c nft -f - <<EOF || { echo "net: nftables rules failed" >&2; exit 1; }
table ip rtlab {
    chain out {
        type nat hook output priority -100;
        ip daddr 127.0.0.1 tcp dport $PORT dnat to 10.200.0.1
    }
    chain post {
        type nat hook postrouting priority 100;
        oifname "$TUN_C" ip saddr 127.0.0.1 snat to 10.200.0.3
        oifname "$TUN_C" snat to 10.200.0.2
    }
}
EOF

{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -sr)"
    echo "profile: $PROFILE — each direction: delay $DELAY ms, jitter ±$JITTER ms, loss $LOSS%"
    echo "link: bench/net/wire.c (user-space TUN pair; the kernel has no sch_netem); publisher unimpaired"
    echo "runs: $CLIENTS clients × $RATE events/s × $D s, payload $PAYLOAD B, short-poll interval $POLL_MS ms"
    echo "pinning: servers on CPU 1 (server namespace), loadgen and the wire on CPU 0 (client namespace)"
} >"$OUT/env.txt"

# ---- one run per technique ----
FAILED=0; n=0
for t in baseline polling longpoll sse websocket; do
    n=$((n + 1))
    printf 'net %s %d/5: %-10s ' "$PROFILE" $n "$t"
    ip netns exec "$NS_S" taskset -c 1 "$BIN/$t" -p $PORT -a 10.200.0.1 -q -t 0 -b 8192 >"$OUT/logs/$t.server.out" 2>"$OUT/logs/$t.server.log" &
    SPID=$!
    i=0
    while ! grep -q '^listening' "$OUT/logs/$t.server.out" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    # `ip netns exec` execs the server: $SPID is the server itself.
    timeout -k 5 $((D + 150)) ip netns exec "$NS_C" taskset -c 0 "$BIN/loadgen" -q -T "$t" \
        -u "http://127.0.0.1:$PORT/" -c $CLIENTS -r $RATE -d $D -s $PAYLOAD -i $POLL_MS -g 10 -P "$SPID" \
        -L "$PROFILE" -o "$OUT/runs.jsonl" -C "$OUT/runs.csv" -D "$OUT/data/dist-$t.dat" \
        >"$OUT/logs/$t.json" 2>"$OUT/logs/$t.loadgen.log"
    rc=$?
    kill -TERM "$SPID" 2>/dev/null
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$SPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""
    if [ $rc -ne 0 ]; then
        echo "FAILED (loadgen exit $rc): $(tail -1 "$OUT/logs/$t.loadgen.log")"
        FAILED=$((FAILED + 1))
        continue
    fi
    # Columns by the names in loadgen's CSV header.
    awk -F, 'NR == 1 { for (i = 1; i <= NF; i++) c[$i] = i; next } END {
        printf "p50 %.1f ms  p99 %.1f ms  max %.1f ms  lost %d  bytes/delivery %.0f  requests/delivery %.2f\n",
               $c["lat_p50_us"]/1000, $c["lat_p99_us"]/1000, $c["lat_max_us"]/1000, $c["lost"],
               $c["bytes_per_delivery"], $c["requests_per_delivery"] }' "$OUT/runs.csv"
done
kill -TERM "$WPID" 2>/dev/null
wait "$WPID" 2>/dev/null
WPID=""

# ---- summary and charts ----
python3 bench/net/summary.py "$OUT" >"$OUT/summary.md"
CHARTS=0
if command -v gnuplot >/dev/null 2>&1; then
    for gp in bench/net/*.gp; do
        name=$(basename "$gp" .gp)
        if gnuplot -e "dir='$OUT/data'; out='$OUT/$name'; profile='$PROFILE'" "$gp" 2>"$OUT/logs/gnuplot-$name.log"; then
            CHARTS=$((CHARTS + 1))
        else
            echo "net: chart $name FAILED: $(tail -2 "$OUT/logs/gnuplot-$name.log")"
        fi
    done
fi
echo
cat "$OUT/summary.md"
echo
echo "net: $PROFILE: $n runs ($FAILED failed), $CHARTS chart(s) in $OUT/; link: $(tr '\n' ' ' <"$OUT/logs/wire.log")"
[ $FAILED -eq 0 ]
