#!/usr/bin/env bash
# tests/e2e/cluster_failover.sh — stop an instance under the demo page: the
# panels reconnect through nginx to the other instance, no id missing or
# repeated (headless Chromium, cluster_failover.mjs).
#
# Starts the cluster (cluster/cluster.py) on free ports, no ticker (the test
# publishes its own messages through nginx, spread over both instances);
# needs the servers' -R (the shared feed): without it this skips, which is a
# failure under CI=true. Screenshot in tests/out/cluster/failover.png.
# Exit 0 pass, 77 a tool is missing, 1 fail.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
need_browser
need_cluster_tools
for n in polling longpoll sse websocket; do [ -x "$bin/$n" ] || fail "$bin/$n is not built"; done

start_cluster --tick 0 ${CLUSTER_ARGS:-}
need_shared_feed "the browser failover test"
CLUSTER_URL="https://127.0.0.1:$https_port/" CLUSTER_HTTP_PORT="$http_port" CLUSTER_OUT=tests/out/cluster \
    timeout -k 5 90 node tests/e2e/cluster_failover.mjs
rc=$?
[ $rc -ne 0 ] && { tail -20 "$tmp/cluster.err"; tail -5 "$(cluster_get "s['tmp']")/error.log" 2>/dev/null; }
stop_cluster || rc=1
exit $rc
