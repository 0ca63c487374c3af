#!/bin/sh
# bench/wrk_check.sh — is loadgen a fair judge? Its short-polling request
# rate against wrk's (a well-known HTTP benchmark tool), on the same polling
# server, with the same connections and the same pinning (server on CPU 1,
# client on CPU 0), alternated three times so machine noise hits both alike.
#
# Usage: bench/wrk_check.sh [OUTFILE]    (make bench runs it; BIN=bin)
# Both clients poll an empty feed cursor (GET /poll?since=1 after one
# publish) back to back over 100 keep-alive connections: loadgen with
# -r 0 -i 0 (no events, no pause between polls), wrk -t1 -c100.
set -u
cd "$(dirname "$0")/.."
BIN=${BIN:-bin}
OUT=${1:-/dev/stdout}
CONNS=100
SECS=3
command -v wrk >/dev/null 2>&1 || { echo "wrk_check: wrk is missing (scripts/deps.sh bench)" >"$OUT"; exit 0; }
[ -x "$BIN/polling" ] || { echo "wrk_check: $BIN/polling is missing" >"$OUT"; exit 0; }
SRV_PIN="" LG_PIN=""
if [ "$(nproc)" -ge 2 ]; then SRV_PIN="taskset -c 1"; LG_PIN="taskset -c 0"; fi

tmp=$(mktemp -d)
$SRV_PIN "$BIN/polling" -p 0 -q -t 0 >"$tmp/server.out" 2>&1 &
spid=$!
stop() {
    kill "$spid" 2>/dev/null
    i=0
    while kill -0 "$spid" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
    kill -KILL "$spid" 2>/dev/null
    wait "$spid" 2>/dev/null
    rm -rf "$tmp"
}
trap stop EXIT
for _ in $(seq 1 50); do
    port=$(sed -n '1s|^listening on http://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "wrk_check: polling did not start" >"$OUT"; exit 1; }
url="http://127.0.0.1:$port"
# One event, so that since=1 is a valid, empty cursor: loadgen's warm-up
# publishes it.
"$BIN/loadgen" -q -T polling -u "$url/" -c 1 -r 0 -d 0.1 >/dev/null

{
    echo "# loadgen vs wrk: short polling, $CONNS keep-alive connections, $SECS s each, alternated"
    echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), load average $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "# tool   round  requests/s  client_busy"
    for round in 1 2 3; do
        w=$($LG_PIN wrk -t1 -c$CONNS -d${SECS}s "$url/poll?since=1" 2>&1 | awk '/Requests\/sec/ { print $2 }')
        echo "wrk      $round      ${w:-?}  ?"
        l=$($LG_PIN "$BIN/loadgen" -q -T polling -u "$url/" -c $CONNS -r 0 -d $SECS -i 0 -P $spid -S)
        lr=$(echo "$l" | sed -n 's/.*"requests_per_s":\([0-9.]*\).*/\1/p')
        lb=$(echo "$l" | sed -n 's/.*"loadgen_busy":\([0-9.]*\).*/\1/p')
        echo "loadgen  $round      ${lr:-?}  ${lb:-?}"
    done
} >"$tmp/table"
awk '
    /^#/ { print; next }
    { print; if ($1 == "wrk") w[++nw] = $3; else l[++nl] = $3 }
    END {
        # medians of three
        for (i = 1; i <= 3; i++) for (j = i + 1; j <= 3; j++) {
            if (w[j] < w[i]) { t = w[i]; w[i] = w[j]; w[j] = t }
            if (l[j] < l[i]) { t = l[i]; l[i] = l[j]; l[j] = t }
        }
        printf "median: wrk %.0f req/s, loadgen %.0f req/s, loadgen/wrk = %.2f\n", w[2], l[2], (w[2] > 0 ? l[2] / w[2] : 0)
    }' "$tmp/table" >"$OUT"
