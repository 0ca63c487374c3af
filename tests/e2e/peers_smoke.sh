#!/bin/sh
# tests/e2e/peers_smoke.sh — loadgen and the peers of bench/peers/ understand
# each other. First Nchan (nginx + libnginx-mod-nchan, configured by
# bench/peers/nchan_conf.sh) for each of the four techniques: `loadgen -w
# nchan`'s 5 subscribers × 20 events must all arrive, none lost or
# duplicated, and Nchan's own channel info must count the 21 messages
# loadgen published (the warm-up and 20), which proves it was Nchan that
# answered. Then the libwebsockets peer (SSE, WebSocket) and the node peer
# (short poll, SSE, WebSocket): 10 subscribers × 50 events. A peer that
# drifts from the contract would otherwise show up only as a strange bar in
# `make bench PEERS=1`. About 15 s.
set -u
. "$(dirname "$0")/lib.sh"

[ -x "$bin/loadgen" ] || fail "$bin/loadgen is missing: run make all first"
passed=0

# ---- Nchan, all four techniques ----
command -v nginx >/dev/null 2>&1 || skip "nginx is missing (bench/peers/deps.sh installs it)"
[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || skip "libnginx-mod-nchan is missing (bench/peers/deps.sh installs it)"
need_curl
free_port() {
    "$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# check_nchan TECHNIQUE: a fresh Nchan, loadgen -w nchan, then its channel info.
check_nchan() {
    t=$1
    d="$tmp/nchan-$t"
    mkdir -p "$d"
    p=$(free_port)
    bench/peers/nchan_conf.sh "$d" "$p" >"$d/nginx.conf"
    nginx -p "$d" -c "$d/nginx.conf" -e "$d/error.log" >"$d/out" 2>&1 &
    npid=$!
    e2e_pids="$e2e_pids $npid"
    worker=""
    for _ in $(seq 50); do
        worker=$(pgrep -P "$npid" | head -1)
        [ -n "$worker" ] && curl -s -o /dev/null "http://127.0.0.1:$p/pub" && break
        sleep 0.1
    done
    [ -n "$worker" ] || fail "nginx with Nchan did not start: $(cat "$d/out" "$d/error.log" 2>/dev/null)"
    timeout 30 "$bin/loadgen" -q -w nchan -T "$t" -u "http://127.0.0.1:$p/" -c 5 -r 20 -d 1 -s 64 -i 5 -P "$worker" \
        >"$d/run.json" || { cat "$d/run.json"; fail "nchan $t: loadgen exited $?"; }
    info=$(curl -s -H 'Accept: text/json' "http://127.0.0.1:$p/pub")
    stop_server "$npid"
    grep -q '"dialect":"nchan"' "$d/run.json" && grep -q '"unique_deliveries":100,' "$d/run.json" \
        && grep -q '"lost":0,' "$d/run.json" && grep -q '"duplicates":0,' "$d/run.json" \
        || { cat "$d/run.json"; fail "nchan $t: want 5 × 20 = 100 unique deliveries, none lost or duplicated"; }
    echo "$info" | grep -q '"messages": 21,' \
        || fail "nchan $t: Nchan's channel info says $info, want 21 messages (the warm-up and 20 events)"
    echo "ok: nchan $t: 5 × 20 = 100 deliveries, none lost or duplicated; Nchan holds the 21 messages"
    passed=$((passed + 1))
}
for t in polling longpoll sse websocket; do
    check_nchan "$t"
done

# ---- libwebsockets and node ----
command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libwebsockets \
    || skip "libwebsockets-dev is missing (bench/peers/deps.sh installs it)"
command -v node >/dev/null 2>&1 && [ -d node_modules/ws ] || skip "node or node_modules/ws is missing"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -o "$tmp/lws_peer" bench/peers/lws_peer.c $(pkg-config --cflags --libs libwebsockets) \
    || fail "bench/peers/lws_peer.c does not build"

# check NAME TECHNIQUE CMD...: start the peer, run loadgen, expect 500 unique deliveries.
check() {
    name=$1; t=$2; shift 2
    # One output file per peer and technique: never read the port of a run before.
    "$@" -p 0 -a 127.0.0.1 >"$tmp/$name-$t.out" 2>"$tmp/$name.err" &
    pid=$!
    e2e_pids="$e2e_pids $pid"
    port=""
    for _ in $(seq 50); do
        port=$(sed -n '1s|^listening on http://[0-9.]*:\([0-9]*\)/.*|\1|p' "$tmp/$name-$t.out")
        [ -n "$port" ] && break
        sleep 0.1
    done
    [ -n "$port" ] || fail "$name did not say where it listens: $(cat "$tmp/$name.err")"
    timeout 30 "$bin/loadgen" -q -T "$t" -u "http://127.0.0.1:$port/" -c 10 -r 50 -d 1 -s 64 -i 20 -P "$pid" \
        >"$tmp/$name-$t.json" || fail "$name $t: loadgen exited $?"
    stop_server "$pid"
    grep -q '"unique_deliveries":500,' "$tmp/$name-$t.json" && grep -q '"duplicates":0,' "$tmp/$name-$t.json" \
        || { cat "$tmp/$name-$t.json"; fail "$name $t: want 10 × 50 = 500 unique deliveries, no duplicates"; }
    echo "ok: $name $t: 10 × 50 = 500 deliveries, none lost or duplicated"
    passed=$((passed + 1))
}

check lws sse "$tmp/lws_peer"
check lws websocket "$tmp/lws_peer"
check node polling node bench/peers/node_peer.mjs
check node sse node bench/peers/node_peer.mjs
check node websocket node bench/peers/node_peer.mjs
echo "$passed passed, 0 failed"
