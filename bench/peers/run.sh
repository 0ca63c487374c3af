#!/bin/sh
# bench/peers/run.sh — our servers beside the servers people deploy, measured
# by the same bin/loadgen in the same run (`make bench PEERS=1`).
#
#   short polling   bin/polling   vs Nchan (interval poll) vs nginx (one worker, static answer) vs node http
#   long polling    bin/longpoll  vs Nchan (long poll)
#   SSE             bin/sse       vs Nchan (EventSource) vs libwebsockets (lws_peer.c) vs node http
#   WebSocket       bin/websocket vs Nchan (WebSocket)   vs libwebsockets (lws_peer.c) vs node ws
#
# Nchan is nginx with libnginx-mod-nchan, one worker, configured below as close
# to our contract as it allows; loadgen speaks its wire formats (-w nchan).
# bench/peers/README.md lists every difference.
#
# Usage: bench/peers/run.sh            (QUICK=1: small and short, for a smoke run)
# Environment: BIN=bin, PEERS_OUT=DIR (default bench/results/peers),
#              PEERS_ONLY="polling longpoll sse websocket idle" to narrow it,
#              PEERS_REPEATS=N runs per point (3; QUICK=1: 1; the table shows
#              the median and the min-max spread).
#
# Every server runs on CPU 1 and loadgen (and wrk) on CPU 0 (taskset), one
# server at a time, each started fresh on a free loopback port. Writes
# runs.jsonl (loadgen's objects, label = server), wrk.jsonl, peers.md and
# peers.svg/png. Every run has a timeout; every server is stopped (TERM,
# then KILL) before the next starts and on any exit.
set -u

cd "$(dirname "$0")/../.."
BIN=${BIN:-bin}
QUICK=${QUICK:-}
[ "$QUICK" = "0" ] && QUICK=""
OUT=${PEERS_OUT:-bench/results/peers}
ONLY=${PEERS_ONLY:-"polling longpoll sse websocket idle"}
NCHAN_MODULE=/usr/lib/nginx/modules/ngx_nchan_module.so

if [ -n "$QUICK" ]; then
    D=2; FAN_CLIENTS=100; FAN_RATE=100; POLL_CLIENTS=20; IDLE_CLIENTS=500
else
    # The DESIGN's reference point: 1000 subscribers × 200 events/s.
    D=5; FAN_CLIENTS=1000; FAN_RATE=200; POLL_CLIENTS=50; IDLE_CLIENTS=10000
fi
PAYLOAD=64
REPEATS=${PEERS_REPEATS:-3}
[ -n "$QUICK" ] && REPEATS=${PEERS_REPEATS:-1}

rm -rf "$OUT"
mkdir -p "$OUT/logs" "$OUT/data"
TMP=$(mktemp -d /tmp/rtlab-peers.XXXXXX)

# ---- pinning ----
if [ "$(nproc)" -ge 2 ] && command -v taskset >/dev/null 2>&1; then
    SRV_PIN="taskset -c 1"; LG_PIN="taskset -c 0"
    PINNING="server on CPU 1, loadgen and wrk on CPU 0"
else
    SRV_PIN=""; LG_PIN=""
    PINNING="NOT PINNED: fewer than 2 CPUs or no taskset"
fi
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true

# ---- servers: start, find the PID to measure, stop ----
SPID=""      # what we started (nginx: its master)
MPID=""      # what we measure (nginx: its one worker)
PORT=""
stop_server() {
    [ -n "$SPID" ] || return 0
    kill -TERM "$SPID" 2>/dev/null
    i=0
    while kill -0 "$SPID" 2>/dev/null && [ $i -lt 30 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$SPID" 2>/dev/null
    [ -n "$MPID" ] && [ "$MPID" != "$SPID" ] && kill -KILL "$MPID" 2>/dev/null
    wait "$SPID" 2>/dev/null
    SPID=""; MPID=""
}
cleanup() { stop_server; rm -rf "$TMP"; }
trap 'cleanup; exit 130' INT TERM
trap cleanup EXIT

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# wait_port LOG: read "listening on http://ADDR:PORT/" from LOG into PORT.
wait_port() {
    PORT=""
    i=0
    while [ -z "$PORT" ] && [ $i -lt 100 ]; do
        PORT=$(sed -n '1s|^listening on [a-z]*://[0-9.]*:\([0-9]*\)/.*|\1|p' "$1" 2>/dev/null)
        [ -n "$PORT" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$PORT" ]
}

# nginx, one worker: /poll answers a static body of the right shape (the
# request-rate comparison needs the HTTP work, not a feed), /publish {"id":1}.
nginx_conf() {
    cat <<EOF
worker_processes 1;
daemon off;
pid $TMP/nginx/nginx.pid;
error_log $TMP/nginx/error.log warn;
worker_rlimit_nofile $(ulimit -n);
events { worker_connections 16384; multi_accept on; }
http {
    access_log off;
    keepalive_timeout 75s;
    keepalive_requests 100000000;
    client_body_temp_path $TMP/nginx/body;
    proxy_temp_path $TMP/nginx/proxy;
    fastcgi_temp_path $TMP/nginx/fastcgi;
    uwsgi_temp_path $TMP/nginx/uwsgi;
    scgi_temp_path $TMP/nginx/scgi;
    server {
        listen 127.0.0.1:$1;
        default_type application/json;
        add_header Access-Control-Allow-Origin *;
        location = /poll    { return 200 '{"next":0,"events":[]}'; }
        location = /publish { return 200 '{"id":1}'; }
    }
}
EOF
}

# Nchan: bench/peers/nchan_conf.sh writes its configuration (and says why
# each line is there).
nchan_conf() { bench/peers/nchan_conf.sh "$TMP/nchan" "$1"; }

# start_nginx DIR CONF_FN PROBE: nginx with a generated config, one worker;
# sets SPID (the master), MPID (the worker, what is measured), PORT.
start_nginx() {
    mkdir -p "$TMP/$1"
    p=$(free_port)
    $2 "$p" >"$TMP/$1/nginx.conf"
    $SRV_PIN nginx -p "$TMP/$1" -c "$TMP/$1/nginx.conf" -e "$TMP/$1/error.log" >"$log" 2>&1 &
    SPID=$!
    i=0; MPID=""
    while [ -z "$MPID" ] && [ $i -lt 50 ]; do
        MPID=$(pgrep -P "$SPID" | head -1); [ -n "$MPID" ] || sleep 0.1; i=$((i + 1))
    done
    echo "listening on http://127.0.0.1:$p/" >"$TMP/srv.out"
    # nginx says nothing when ready: wait until the port answers.
    i=0
    while ! curl -s -o /dev/null "http://127.0.0.1:$p$3" && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
}

# start_server NAME TECH: start NAME's server for TECH; sets SPID, MPID, PORT.
start_server() {
    log="$OUT/logs/$1-$2.server.log"
    : >"$TMP/srv.out"          # never read the last server's port
    case $1 in
    ours)
        $SRV_PIN "$BIN/$2" -p 0 -a 127.0.0.1 -q -t 0 -b 8192 >"$TMP/srv.out" 2>"$log" &
        SPID=$!; MPID=$SPID ;;
    lws)
        $SRV_PIN "$BIN/peers/lws_peer" -p 0 -a 127.0.0.1 >"$TMP/srv.out" 2>"$log" &
        SPID=$!; MPID=$SPID ;;
    node)
        $SRV_PIN node bench/peers/node_peer.mjs -p 0 -a 127.0.0.1 >"$TMP/srv.out" 2>"$log" &
        SPID=$!; MPID=$SPID ;;
    nginx)
        start_nginx nginx nginx_conf /poll ;;
    nchan)
        rm -rf "$TMP/nchan"     # a fresh channel: nothing left from the last run
        start_nginx nchan nchan_conf /pub ;;
    esac
    wait_port "$TMP/srv.out" && kill -0 "$MPID" 2>/dev/null
}

# ---- which servers exist here ----
SERVERS_POLL="ours"; SERVERS_STREAM="ours"; SERVERS_LONGPOLL="ours"; MISSING=""
if command -v nginx >/dev/null 2>&1 && [ -f "$NCHAN_MODULE" ]; then
    SERVERS_POLL="$SERVERS_POLL nchan"; SERVERS_STREAM="$SERVERS_STREAM nchan"; SERVERS_LONGPOLL="$SERVERS_LONGPOLL nchan"
else
    MISSING="$MISSING libnginx-mod-nchan"
fi
if command -v nginx >/dev/null 2>&1; then SERVERS_POLL="$SERVERS_POLL nginx"; else MISSING="$MISSING nginx"; fi
if pkg-config --exists libwebsockets 2>/dev/null; then
    mkdir -p "$BIN/peers"
    # shellcheck disable=SC2046
    if cc -std=c11 -D_GNU_SOURCE -O2 -Wall -Wextra -o "$BIN/peers/lws_peer" bench/peers/lws_peer.c \
        $(pkg-config --cflags --libs libwebsockets) 2>"$OUT/logs/lws_peer.build.log"; then
        SERVERS_STREAM="$SERVERS_STREAM lws"
    else
        MISSING="$MISSING lws(build failed: $OUT/logs/lws_peer.build.log)"
    fi
else
    MISSING="$MISSING libwebsockets-dev"
fi
if command -v node >/dev/null 2>&1 && [ -d node_modules/ws ]; then
    SERVERS_POLL="$SERVERS_POLL node"; SERVERS_STREAM="$SERVERS_STREAM node"
else
    MISSING="$MISSING node+ws"
fi
[ -n "$MISSING" ] && echo "peers: ******** MISSING:$MISSING — bench/peers/deps.sh installs them ********"
for t in polling longpoll sse websocket; do
    [ -x "$BIN/$t" ] || { echo "peers: $BIN/$t is missing: run make all first" >&2; exit 1; }
done

# ---- the plan: "scenario server technique clients rate" ----
PLAN="$OUT/plan.txt"
: >"$PLAN"
for s in $ONLY; do
    case $s in
    polling)   for v in $SERVERS_POLL; do echo "polling $v polling $POLL_CLIENTS 0" >>"$PLAN"; done ;;
    longpoll)  for v in $SERVERS_LONGPOLL; do echo "longpoll $v longpoll $FAN_CLIENTS $FAN_RATE" >>"$PLAN"; done ;;
    sse|websocket)
               for v in $SERVERS_STREAM; do echo "$s $v $s $FAN_CLIENTS $FAN_RATE" >>"$PLAN"; done ;;
    idle)      for v in $SERVERS_LONGPOLL; do echo "idle-longpoll $v longpoll $IDLE_CLIENTS 1" >>"$PLAN"; done
               for t in sse websocket; do
                   for v in $SERVERS_STREAM; do echo "idle-$t $v $t $IDLE_CLIENTS 1" >>"$PLAN"; done
               done ;;
    esac
done
TOTAL=$(wc -l <"$PLAN")
{
    echo "date: $(date -u '+%Y-%m-%d %H:%M:%S UTC')"
    echo "commit: $(git rev-parse --short HEAD 2>/dev/null || echo unknown)"
    echo "kernel: $(uname -sr); cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //') × $(nproc)"
    echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "pinning: $PINNING"
    echo "cpu MHz now: $(grep -m1 'cpu MHz' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
    echo "repeats: $REPEATS per point (the table shows the median, and min-max)"
    echo "versions: nginx $(nginx -v 2>&1 | sed 's|.*/||'), nchan $(dpkg-query -W -f '${Version}' libnginx-mod-nchan 2>/dev/null | sed 's/^[0-9]*://; s/+.*//'), libwebsockets $(pkg-config --modversion libwebsockets 2>/dev/null), node $(node -v 2>/dev/null), ws $(sed -n 's/.*"version": *"\([^"]*\)".*/\1/p' node_modules/ws/package.json 2>/dev/null | head -1)"
    echo "runs: $D s each, payload $PAYLOAD B; fan-out $FAN_CLIENTS clients × $FAN_RATE events/s; polling $POLL_CLIENTS clients back to back (-i 0); idle $IDLE_CLIENTS subscribers"
    echo "missing:${MISSING:- none}"
} >"$OUT/env.txt"
echo "peers: $TOTAL loadgen runs (+ wrk for polling), $D s each; results in $OUT"

# cpu_ns PID: the process's time on CPU so far (schedstat, ns).
cpu_ns() { cut -d' ' -f1 "/proc/$1/schedstat" 2>/dev/null || echo 0; }

n=0; FAILED=0
# one_run SCEN SERVER TECH CLIENTS RATE K: start the server, run loadgen (and
# wrk for polling), stop it; the run's JSON in $runlog.json. 0 when fine.
one_run() {
    runlog="$OUT/logs/$1-$2-k$6"
    if ! start_server "$2" "$3"; then
        echo "FAILED to start (see $OUT/logs/$2-$3.server.log)"; stop_server; return 1
    fi
    poll=""; dialect=""; poll_path="/poll?since=0"
    [ "$3" = polling ] && poll="-i 0"
    [ "$2" = nchan ] && dialect="-w nchan" && poll_path="/sub/poll"
    # shellcheck disable=SC2086
    timeout -k 5 $((D + 120)) $LG_PIN "$BIN/loadgen" -q -T "$3" $dialect -u "http://127.0.0.1:$PORT/" -c "$4" -r "$5" \
        -d "$D" -s $PAYLOAD $poll -P "$MPID" -N "$NOISE_LIMIT" -L "$2/$1" \
        >"$runlog.json" 2>"$runlog.loadgen.log"
    rc=$?
    # Short polling: wrk too, same connections, same pinning (a second opinion
    # on the request rate that does not depend on our generator).
    rm -f "$runlog.wrk.json"
    if [ "$3" = polling ] && [ $rc -eq 0 ] && command -v wrk >/dev/null 2>&1; then
        before=$(cpu_ns "$MPID")
        timeout -k 5 $((D + 30)) $LG_PIN wrk -t1 -c"$4" -d"${D}s" "http://127.0.0.1:$PORT$poll_path" \
            >"$runlog.wrk.txt" 2>&1
        after=$(cpu_ns "$MPID")
        rps=$(sed -n 's/^Requests\/sec: *\([0-9.]*\).*/\1/p' "$runlog.wrk.txt")
        echo "{\"tool\":\"wrk\",\"label\":\"$2/$1\",\"connections\":$4,\"duration_s\":$D,\"requests_per_s\":${rps:-0},\"server_cpu_s\":$(awk -v a="$before" -v b="$after" 'BEGIN{printf "%.3f", (b-a)/1e9}')}" >"$runlog.wrk.json"
    fi
    alive=1
    kill -0 "$MPID" 2>/dev/null || alive=0
    stop_server
    if [ $rc -ne 0 ] || [ $alive -eq 0 ]; then
        echo "FAILED (loadgen exit $rc, server alive $alive): $(tail -1 "$runlog.loadgen.log")"
        return 1
    fi
    python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); l=d["latency_us"]
print("req/s %.0f  p50 %.2f ms  p99 %.2f ms  lost %d  mem/conn %d B%s%s" % (d["requests_per_s"], l["p50"]/1e3, l["p99"]/1e3, d["lost"], d["server_mem_per_conn_bytes"],
      "  (NOISY: others took %.0f%% of a CPU)" % ((d["other_cpu_share"] + d["steal_share"]) * 100) if d["noisy"] else "",
      "" if d["ok"] else "  <<< " + d["warnings"]))' "$runlog.json"
}

NOISE_LIMIT=${BENCH_NOISE_LIMIT:-0.25}
RETRIES=${BENCH_RETRIES:-1}
n=0; FAILED=0; DISCARDED=0
: >"$OUT/discarded.txt"
while read -r scen v t c r; do
    n=$((n + 1))
    k=1
    while [ $k -le "$REPEATS" ]; do
        try=0
        while :; do
            printf 'peers %d/%d: %-14s %-6s c=%-5s r=%-4s%s ' "$n" "$TOTAL" "$scen" "$v" "$c" "$r" \
                "$([ "$REPEATS" -gt 1 ] && echo " ($k/$REPEATS)")$([ $try -gt 0 ] && echo " retry $try")"
            if ! one_run "$scen" "$v" "$t" "$c" "$r" "$k"; then
                FAILED=$((FAILED + 1)); break
            fi
            if grep -q '"noisy":true' "$runlog.json" && [ $try -lt "$RETRIES" ]; then
                echo "$v/$scen run $k: $(sed -n 's/.*\(NOISY: [^;"]*\).*/\1/p' "$runlog.json")" >>"$OUT/discarded.txt"
                cat "$runlog.json" >>"$OUT/discarded.jsonl"
                DISCARDED=$((DISCARDED + 1)); try=$((try + 1)); continue
            fi
            cat "$runlog.json" >>"$OUT/runs.jsonl"
            [ -f "$runlog.wrk.json" ] && cat "$runlog.wrk.json" >>"$OUT/wrk.jsonl"
            break
        done
        k=$((k + 1))
    done
done <"$PLAN"
echo "discarded: $DISCARDED noisy runs, re-run (see discarded.txt)" >>"$OUT/env.txt"

# ---- table and chart ----
python3 bench/peers/table.py "$OUT" >"$OUT/peers.md"
CHARTS=0
if command -v gnuplot >/dev/null 2>&1; then
    for gp in bench/peers/*.gp; do
        name=$(basename "$gp" .gp)
        if gnuplot -e "dir='$OUT/data'; out='$OUT/$name'" "$gp" 2>"$OUT/logs/gnuplot-$name.log"; then
            CHARTS=$((CHARTS + 1))
        else
            echo "peers: chart $name FAILED: $(tail -2 "$OUT/logs/gnuplot-$name.log")"
        fi
    done
else
    echo "peers: ******** gnuplot is missing: no chart ********"
fi
echo
cat "$OUT/peers.md"
echo
echo "peers: $n runs ($FAILED failed), $CHARTS chart(s); $OUT/peers.md, $OUT/runs.jsonl, $OUT/*.png"
[ -n "$MISSING" ] && echo "peers: ******** MISSING:$MISSING ********"
[ $FAILED -eq 0 ]
