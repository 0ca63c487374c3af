#!/usr/bin/env bash
# tests/e2e/cluster_six.sh — the six-connection limit, shown in Chromium.
#
# Starts the cluster (cluster/cluster.py: redis-server, 2 × 4 servers, nginx
# with TLS and HTTP/2) on free ports, and lets cluster_six.mjs open eight
# EventSource streams from the demo page: over HTTP/1.1 straight to an SSE
# instance six open and two wait; over HTTP/2 through nginx all eight open.
# Needs no shared feed. Screenshot in tests/out/cluster/six.png.
# Exit 0 pass, 77 a tool is missing (a failure under CI=true), 1 fail.
set -u
. "$(dirname "$0")/lib.sh"
. "$(dirname "$0")/cluster_lib.sh"
need_browser
need_cluster_tools
for n in polling longpoll sse websocket; do [ -x "$bin/$n" ] || fail "$bin/$n is not built"; done

start_cluster --tick 400
CLUSTER_URL="https://127.0.0.1:$https_port/" CLUSTER_OUT=tests/out/cluster \
    timeout -k 5 90 node tests/e2e/cluster_six.mjs
rc=$?
[ $rc -ne 0 ] && { tail -20 "$tmp/cluster.err"; tail -5 "$(cluster_get "s['tmp']")/error.log" 2>/dev/null; }
stop_cluster || rc=1
exit $rc
