#!/usr/bin/env bash
# scripts/run-demo.sh — start the four servers of the browser demo, print the
# one URL to open, and stop them all on Ctrl-C (or as soon as one of them dies).
#
# Usage: scripts/run-demo.sh [PORT_BASE]       (what `make run` calls)
#   PORT_BASE (default 8000): the servers listen on PORT_BASE+1 .. PORT_BASE+4,
#   polling, longpoll, sse, websocket, as web/ expects.
# Environment:
#   RTLAB_BIN      where the binaries are (default bin)
#   RTLAB_ADDR     address to bind (default 127.0.0.1; 0.0.0.0 lets a class
#                  open the page from their phones on the same network)
#   RTLAB_TICK_MS  the servers' clock tick (default 1000 ms)
#   RTLAB_VERBOSE  1: let the servers log every request (default: quiet)
# Exits 0 after a clean Ctrl-C, 1 when a server is missing, a port is taken,
# or a server stops on its own.
set -u

cd "$(dirname "$0")/.."

base="${1:-8000}"
bin="${RTLAB_BIN:-bin}"
addr="${RTLAB_ADDR:-127.0.0.1}"
tick="${RTLAB_TICK_MS:-1000}"
quiet="-q"
[ "${RTLAB_VERBOSE:-0}" = 1 ] && quiet=""

names=(polling longpoll sse websocket)

say() { echo "run-demo: $*" >&2; }

case "$base" in
''|*[!0-9]*) say "PORT_BASE must be a number, not '$base'"; exit 1 ;;
esac
if [ "$base" -lt 1 ] || [ "$base" -gt 65531 ]; then
    say "PORT_BASE must be between 1 and 65531 (the servers use PORT_BASE+1..+4)"; exit 1
fi

# ---- everything there? ----
missing=""
for n in "${names[@]}"; do
    [ -x "$bin/$n" ] || missing="$missing $bin/$n"
done
if [ -n "$missing" ]; then
    say "missing:$missing — build them with 'make all' (make run does)"
    exit 1
fi

# ---- ports free? ----
# Something already answering on the port means it is taken. (A port bound
# but not listening is caught when the server itself fails to start below.)
probe="$addr"
case "$addr" in 0.0.0.0|'::'|'[::]') probe=127.0.0.1 ;; esac
port_taken() {
    (exec 3<>"/dev/tcp/$probe/$1") 2>/dev/null
}
taken=""
for i in 1 2 3 4; do
    port=$((base + i))
    port_taken "$port" && taken="$taken $port (for ${names[$((i - 1))]})"
done
if [ -n "$taken" ]; then
    say "port taken:$taken"
    say "stop whatever uses it, or choose other ports: make run PORT_BASE=9000"
    exit 1
fi

# ---- start the four ----
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-demo.XXXXXX")
pids=()

stop_all() {
    local pid alive
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    # They close their connections and exit; give them 5 s, then insist.
    for _ in $(seq 50); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
    pids=()
}
trap 'stop_all; rm -rf "$tmp"' EXIT

for i in 1 2 3 4; do
    n="${names[$((i - 1))]}"
    port=$((base + i))
    # shellcheck disable=SC2086  # $quiet is empty or one flag
    "$bin/$n" -p "$port" -a "$addr" -w web -t "$tick" $quiet >"$tmp/$n.out" &
    pids+=($!)
done

# Each server prints "listening on http://ADDR:PORT/" once it is ready.
for i in 1 2 3 4; do
    n="${names[$((i - 1))]}"
    pid="${pids[$((i - 1))]}"
    for _ in $(seq 100); do
        grep -q '^listening on ' "$tmp/$n.out" 2>/dev/null && break
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if ! grep -q '^listening on ' "$tmp/$n.out" 2>/dev/null; then
        say "$bin/$n did not start on port $((base + i)) (is the port taken?); stopping the others"
        exit 1
    fi
done

host="127.0.0.1"
case "$addr" in
0.0.0.0|'::'|'[::]')
    # Listening on every interface: give the address others can reach.
    lan=$(hostname -I 2>/dev/null | awk '{print $1}')
    [ -n "$lan" ] && host="$lan" ;;
127.0.0.1) ;;
*) host="$addr" ;;
esac
url="http://$host:$((base + 1))/"
[ "$base" != 8000 ] && url="${url}?ports=$((base + 1)),$((base + 2)),$((base + 3)),$((base + 4))"

echo "rtlab demo: polling :$((base + 1))  longpoll :$((base + 2))  sse :$((base + 3))  websocket :$((base + 4))"
echo
echo "    open  $url"
echo
echo "Ctrl-C stops all four."

# ---- wait: for Ctrl-C, or for one of them to die ----
stopping=0
trap 'stopping=1' INT TERM
while :; do
    wait -n 2>/dev/null
    if [ $stopping = 1 ]; then
        echo
        echo "run-demo: stopping the four servers"
        stop_all
        exit 0
    fi
    for i in 0 1 2 3; do
        if ! kill -0 "${pids[$i]}" 2>/dev/null; then
            say "$bin/${names[$i]} stopped on its own; stopping the others"
            exit 1
        fi
    done
done
