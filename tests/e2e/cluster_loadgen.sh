#!/usr/bin/env bash
# tests/e2e/cluster_loadgen.sh — kill an instance in the middle of a stream,
# with loadgen: its clients reconnect through nginx and resume, 0 lost and 0
# duplicated. First, loadgen given both instances straight (two -u, as
# `make bench CLUSTER=1` runs "two behind Redis"): its subscribers must be
# dealt out over both, and every event reach each of them exactly once.
#
# Starts the cluster (cluster/cluster.py, the shared feed in Redis), and for
# each technique runs loadgen through nginx's plain-HTTP door for it: 200
# subscribers, 150 events/s for 3 s. About a second into the publishing it
# kills (SIGKILL, like a crash) the instance that holds subscribers but not
# loadgen's publisher (nginx's access log says which instance took the
# publishes). The killed instance's subscribers lose their connections,
# reconnect through nginx (to the other instance) from their cursor, and must
# end with every event exactly once: loadgen's lost = 0, duplicates = 0,
# gaps = 0, and reconnects ≥ the killed instance's subscribers. The servers
# left must stay alive.
#
# Needs the servers' -R (the shared feed): without it this skips, which is
# a failure under CI=true.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
need_cluster_tools
for n in polling longpoll sse websocket loadgen; do [ -x "$bin/$n" ] || fail "$bin/$n is not built"; done

start_cluster --tick 0
need_shared_feed "the loadgen failover test"
ctmp=$(cluster_get "s['tmp']")
CLIENTS=200 RATE=150 SECONDS_=3

# The value of FIELD in a JSON file.
jget() { "$python" -c "import json,sys; print(json.load(open(sys.argv[1]))$2)" "$1"; }
# An instance's subscriber count, asked straight (not through nginx).
subscribers() { curl -s "http://127.0.0.1:$1/stats" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["subscribers"])'; }
control() { curl -s -X POST -H 'X-Rtlab-Control: 1' "http://127.0.0.1:$http_port/control/$1"; }

failed=0
deliveries() { curl -s "http://127.0.0.1:$1/stats" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["deliveries"])'; }
a_port=$(cluster_get "[i['port'] for i in s['instances'] if i['name']=='sse-a'][0]")
b_port=$(cluster_get "[i['port'] for i in s['instances'] if i['name']=='sse-b'][0]")
da=$(deliveries "$a_port"); db=$(deliveries "$b_port")
timeout -k 5 60 "$bin/loadgen" -q -T sse -u "http://127.0.0.1:$a_port/" -u "http://127.0.0.1:$b_port/" \
    -c 100 -r 100 -d 1 -s 64 -g 5 >"$tmp/two.json" 2>"$tmp/two.log"
if [ ! -s "$tmp/two.json" ]; then
    echo "FAIL: loadgen with two -u printed nothing"; tail -5 "$tmp/two.log"; failed=1
else
    da=$(( $(deliveries "$a_port") - da )); db=$(( $(deliveries "$b_port") - db ))
    sent=$(jget "$tmp/two.json" '["events_sent"]'); lost=$(jget "$tmp/two.json" '["lost"]')
    dup=$(jget "$tmp/two.json" '["duplicates"]'); sub=$(jget "$tmp/two.json" '["subscribed"]')
    if [ "$sub" != 100 ] || [ "$lost" != 0 ] || [ "$dup" != 0 ] || [ "$sent" -lt 50 ]; then
        echo "FAIL: two -u: subscribed $sub, lost $lost, duplicates $dup of $sent events"; failed=1
    elif [ "$da" -lt $((50 * sent)) ] || [ "$db" -lt $((50 * sent)) ]; then
        echo "FAIL: two -u: the instances delivered $da and $db of $sent events; 50 subscribers each should get all"
        failed=1
    else
        echo "ok: loadgen with two -u: 50 subscribers on each instance, $sent events each, 0 lost, 0 duplicated ($da + $db deliveries)"
    fi
fi
for tech in ${CLUSTER_TECHS:-sse websocket longpoll polling}; do
    door=$(cluster_get "s['doors']['$tech']")
    a_port=$(cluster_get "[i['port'] for i in s['instances'] if i['name']=='$tech-a'][0]")
    b_port=$(cluster_get "[i['port'] for i in s['instances'] if i['name']=='$tech-b'][0]")
    before=$(grep -c "POST /publish" "$ctmp/access.log" 2>/dev/null)
    pre=0
    extra=""; [ "$tech" = polling ] && extra="-i 50"
    # shellcheck disable=SC2086
    timeout -k 5 60 "$bin/loadgen" -q -T "$tech" -u "http://127.0.0.1:$door/" -c $CLIENTS -r $RATE \
        -d $SECONDS_ -s 64 -g 10 $extra -L "failover-$tech" -o "$tmp/$tech.jsonl" \
        >"$tmp/$tech.json" 2>"$tmp/$tech.log" &
    lg=$!
    # Wait until ~150 events have been published (about one second).
    pub_port=""
    for _ in $(seq 200); do
        n=$(grep -c "POST /publish" "$ctmp/access.log" 2>/dev/null)
        if [ $((n - before)) -ge 150 ]; then
            pub_port=$(grep "POST /publish" "$ctmp/access.log" | tail -1 | sed -n 's/.*upstream=[0-9.]*:\([0-9]*\).*/\1/p')
            break
        fi
        sleep 0.05
    done
    if [ -z "$pub_port" ]; then
        kill "$lg" 2>/dev/null; wait "$lg"
        echo "FAIL: $tech: loadgen never published through nginx"; tail -5 "$tmp/$tech.log"; failed=1; continue
    fi
    victim=a; victim_port=$a_port
    [ "$pub_port" = "$a_port" ] && { victim=b; victim_port=$b_port; }
    held=$(subscribers "$victim_port")
    delivered=$(curl -s "http://127.0.0.1:$victim_port/stats" | "$python" -c 'import json,sys; print(json.load(sys.stdin)["deliveries"])')
    [ "$tech" = polling ] && held=0     # short polls hold nothing between polls
    # A parked long poll is not reconnected by its client: nginx re-sends it
    # to the other instance (checked below in the access log).
    must_reconnect=$held; [ "$tech" = longpoll ] && must_reconnect=0
    # The victim must have been delivering the publisher's events to its
    # subscribers (through the shared feed) before it dies.
    if [ "$delivered" -lt 100 ]; then
        echo "FAIL: $tech-$victim delivered only $delivered events before the kill: is the feed shared?"
        failed=1; pre=1
    fi
    control "stop?name=$tech-$victim" >/dev/null
    echo "$tech: publisher on :$pub_port; killed $tech-$victim (:$victim_port) holding $held subscribers"
    wait "$lg"
    rc=$?
    if [ ! -s "$tmp/$tech.json" ]; then
        echo "FAIL: $tech: loadgen printed nothing (exit $rc)"; tail -5 "$tmp/$tech.log"; failed=1; continue
    fi
    f="$tmp/$tech.json"
    sub=$(jget "$f" '["subscribed"]'); lost=$(jget "$f" '["lost"]'); dup=$(jget "$f" '["duplicates"]')
    gaps=$(jget "$f" '["gaps"]'); rec=$(jget "$f" '["reconnects"]'); acked=$(jget "$f" '["events_acked"]')
    sent=$(jget "$f" '["events_sent"]')
    echo "$tech: subscribed $sub, events $acked/$sent acked, lost $lost, duplicates $dup, gaps $gaps, reconnects $rec"
    if [ "$sub" != $CLIENTS ] || [ "$lost" != 0 ] || [ "$dup" != 0 ] || [ "$gaps" != 0 ] || [ "$acked" != "$sent" ]; then
        echo "FAIL: $tech: after the kill, not every event exactly once"; tail -5 "$tmp/$tech.log"; failed=1
    elif [ "$rec" -lt "$must_reconnect" ]; then
        echo "FAIL: $tech: $held subscribers were on the killed instance but only $rec reconnected"; failed=1
    elif [ "$must_reconnect" -gt 0 ] && [ "$rec" -eq 0 ]; then
        echo "FAIL: $tech: nobody reconnected"; failed=1
    elif [ "$tech" = longpoll ] && [ "$(grep -c "upstream=127.0.0.1:$victim_port, " "$ctmp/access.log")" -eq 0 ]; then
        echo "FAIL: longpoll: no parked poll on the killed instance was retried by nginx"; failed=1
    elif [ "$pre" = 1 ]; then
        failed=1
    else
        # A parked long poll (or a poll in flight) on the killed instance is
        # retried by nginx on the other one (proxy_next_upstream): its access
        # log names both upstreams, "A, B".
        retried=$(grep -c "upstream=127.0.0.1:$victim_port, " "$ctmp/access.log")
        echo "ok: $tech: killed mid-stream, $rec clients reconnected through nginx, $retried requests retried by nginx on the other instance, 0 lost, 0 duplicated"
    fi
    other=$([ $victim = a ] && echo b || echo a)
    state=$(curl -s "http://127.0.0.1:$http_port/control/instances" | \
        "$python" -c "import json,sys; print([i['state'] for i in json.load(sys.stdin)['instances'] if i['name']=='$tech-$other'][0])")
    [ "$state" = running ] || { echo "FAIL: $tech-$other died too"; failed=1; }
    control "start?name=$tech-$victim" >/dev/null
done
stop_cluster || failed=1
[ $failed -eq 0 ] && echo "ok: loadgen failover: an instance killed mid-stream, every client resumed with 0 lost, 0 duplicated"
exit $failed
