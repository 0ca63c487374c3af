#!/usr/bin/env bash
# cluster/show-breaks.sh — what breaks without each nginx setting people get
# wrong: the cluster is started once as it is and once with the setting
# taken out (cluster/cluster.py --break NAME), the same curl is run against
# both, and both outputs are printed side by side. cluster/README.md quotes
# one such run.
#
# Usage: cluster/show-breaks.sh [NAME...]   (default: all of them; ~1 minute)
#   buffering, upgrade, longpoll-timeout, connection, next-upstream
set -u
cd "$(dirname "$0")/.." || exit 1
bin=${RTLAB_BIN:-bin}
python=/usr/bin/python3
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-breaks.XXXXXX")
cpid=""
cleanup() { [ -n "$cpid" ] && { kill -TERM "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; }; rm -rf "$tmp"; }
trap cleanup EXIT

# up [ARG...]: start the cluster, wait for its state file.
up() {
    rm -f "$tmp/state.json"
    "$python" cluster/cluster.py --bin "$bin" --state "$tmp/state.json" "$@" >"$tmp/out" 2>"$tmp/err" &
    cpid=$!
    for _ in $(seq 400); do [ -s "$tmp/state.json" ] && return 0; sleep 0.05; done
    cat "$tmp/err"; exit 1
}
down() { kill -TERM "$cpid" 2>/dev/null; wait "$cpid" 2>/dev/null; cpid=""; }
st() { "$python" -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$tmp/state.json" "$1"; }
port_of() { st "[i['port'] for i in s['instances'] if i['name']=='$1'][0]"; }

# ---- the experiments: each prints one or two lines ----
try_buffering() {       # events seen in 3 s through nginx, ticking every 250 ms
    local h; h=$(st "s['http_port']")
    n=$(curl -sN --max-time 3 "http://127.0.0.1:$h/sse/events" | grep -c '^data:')
    echo "curl -N /sse/events for 3 s (a tick every 250 ms): $n events arrived"
}
try_upgrade() {         # the WebSocket handshake through nginx
    local h; h=$(st "s['http_port']")
    curl -s -i --max-time 2 -H 'Upgrade: websocket' -H 'Connection: Upgrade' \
        -H 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==' -H 'Sec-WebSocket-Version: 13' \
        "http://127.0.0.1:$h/websocket/ws" | tr -d '\r' | sed -n '1p;/^$/{n;p;q}' | head -c 200 | tr '\n' ' '
    echo
}
try_longpoll-timeout() {  # a poll the server holds 15 s (nothing is published)
    local h; h=$(st "s['http_port']")
    newest=$(curl -s "http://127.0.0.1:$h/longpoll/stats" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["newest_id"])')
    curl -s -o "$tmp/body" -w 'GET /longpoll/poll?timeout=15: %{http_code} after %{time_total} s' \
        "http://127.0.0.1:$h/longpoll/poll?since=$newest&timeout=15"
    echo "  $(head -c 80 "$tmp/body" | tr -d '\n')"
}
try_connection() {      # 50 requests through nginx: how many upstream connections?
    local h a b before after; h=$(st "s['http_port']")
    a=$(port_of polling-a); b=$(port_of polling-b)
    total() { for p in $a $b; do curl -s "http://127.0.0.1:$p/stats"; echo; done |
              "$python" -c 'import json,sys; print(sum(json.loads(l)["connections_total"] for l in sys.stdin if l.strip()))'; }
    before=$(total)
    for _ in $(seq 50); do curl -s -o /dev/null "http://127.0.0.1:$h/polling/poll?since=0"; done
    after=$(total)
    echo "50 polls through nginx opened $((after - before - 2)) connections to the polling instances"
}
try_next-upstream() {   # a long poll parked on an instance that is killed
    local h name pid; h=$(st "s['http_port']")
    up_addr=$(curl -s -o /dev/null -D - -b rtlab_pin=show "http://127.0.0.1:$h/longpoll/stats" | tr -d '\r' |
              sed -n 's/^x-rtlab-upstream: //Ip')
    name=$(st "[i['name'] for i in s['instances'] if '127.0.0.1:%d' % i['port'] == '$up_addr'][0]")
    newest=$(curl -s -b rtlab_pin=show "http://127.0.0.1:$h/longpoll/stats" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["newest_id"])')
    curl -s -b rtlab_pin=show -o "$tmp/body" -D "$tmp/head" -w '%{http_code} after %{time_total} s' \
        "http://127.0.0.1:$h/longpoll/poll?since=$newest&timeout=5" >"$tmp/code" &
    local cl=$!
    sleep 1
    curl -s -X POST -H 'X-Rtlab-Control: 1' "http://127.0.0.1:$h/control/stop?name=$name" >/dev/null
    wait $cl
    echo "a long poll parked on $name, which is killed 1 s later: $(cat "$tmp/code"), upstream $(tr -d '\r' <"$tmp/head" | sed -n 's/^x-rtlab-upstream: //Ip')"
}

names=${*:-buffering upgrade longpoll-timeout connection next-upstream}
for name in $names; do
    tick=0; [ "$name" = buffering ] && tick=250
    echo "== $name"
    up --tick $tick;                 printf '  as configured:   '; "try_$name"; down
    brk=$name; [ "$name" = connection ] && brk="connection --break http10"
    # shellcheck disable=SC2086
    up --tick $tick --break $brk;    printf '  --break %-8s ' "$name:"; "try_$name"; down
done
