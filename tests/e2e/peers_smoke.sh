#!/bin/sh
# tests/e2e/peers_smoke.sh — the peers of bench/peers/ speak our contract: for
# the libwebsockets peer (SSE, WebSocket) and the node peer (short poll, SSE,
# WebSocket), loadgen's 10 subscribers × 50 events must all arrive, none lost
# or duplicated. A peer that drifts from the contract would otherwise show
# up only as a strange bar in `make bench PEERS=1`. About 10 s.
set -u
. "$(dirname "$0")/lib.sh"

[ -x "$bin/loadgen" ] || fail "$bin/loadgen is missing: run make all first"
command -v pkg-config >/dev/null 2>&1 && pkg-config --exists libwebsockets \
    || skip "libwebsockets-dev is missing (bench/peers/deps.sh installs it)"
command -v node >/dev/null 2>&1 && [ -d node_modules/ws ] || skip "node or node_modules/ws is missing"
# shellcheck disable=SC2046
cc -std=c11 -D_GNU_SOURCE -O2 -o "$tmp/lws_peer" bench/peers/lws_peer.c $(pkg-config --cflags --libs libwebsockets) \
    || fail "bench/peers/lws_peer.c does not build"

# check NAME TECHNIQUE CMD...: start the peer, run loadgen, expect 500 unique deliveries.
check() {
    name=$1; t=$2; shift 2
    "$@" -p 0 -a 127.0.0.1 >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    e2e_pids="$e2e_pids $pid"
    port=""
    for _ in $(seq 50); do
        port=$(sed -n '1s|^listening on http://[0-9.]*:\([0-9]*\)/.*|\1|p' "$tmp/$name.out")
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
}

check lws sse "$tmp/lws_peer"
check lws websocket "$tmp/lws_peer"
check node polling node bench/peers/node_peer.mjs
check node sse node bench/peers/node_peer.mjs
check node websocket node bench/peers/node_peer.mjs
echo "5 passed, 0 failed"
