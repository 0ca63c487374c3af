# tests/e2e/cluster_lib.sh — sourced by the cluster tests after lib.sh; not a
# test itself.
#
#   need_cluster_tools     redis-server, nginx, openssl and python3, or skip
#   start_cluster [ARG...] run cluster/cluster.py --state $tmp/cluster.json ARG...
#                          in the background, wait (at most 20 s) for the state
#                          file, and set $cluster_pid, $cluster_state (the
#                          file), $https_port, $http_port, $feed ("redis" when
#                          the servers share the feed in Redis, else "own")
#   cluster_get EXPR       a value from the state file, s: cluster_get "s['doors']['sse']"
#   stop_cluster           SIGTERM the launcher, which stops everything it started;
#                          returns 1 when a sanitizer reported in any instance
#   need_shared_feed WHAT  skip (a failure under CI=true) unless the feed is in Redis
#                          (RTLAB_ANY_FEED=1: run anyway, and watch it fail)
# The launcher is stopped on any exit.

need_cluster_tools() {
    for tool in redis-server nginx openssl; do
        command -v "$tool" >/dev/null 2>&1 || skip "$tool is missing"
    done
    [ -x "$python" ] || skip "$python is missing"
}

cluster_get() {
    "$python" -c "import json,sys; s=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))" "$cluster_state" "$1"
}

start_cluster() {
    cluster_state="$tmp/cluster.json"
    "$python" cluster/cluster.py --bin "$bin" --state "$cluster_state" "$@" \
        >"$tmp/cluster.out" 2>"$tmp/cluster.err" &
    cluster_pid=$!
    for _ in $(seq 400); do
        [ -s "$cluster_state" ] && break
        kill -0 "$cluster_pid" 2>/dev/null || break
        sleep 0.05
    done
    if [ ! -s "$cluster_state" ]; then
        cat "$tmp/cluster.out" "$tmp/cluster.err"
        fail "cluster/cluster.py did not start"
    fi
    https_port=$(cluster_get "s['https_port']")
    http_port=$(cluster_get "s['http_port']")
    feed=$(cluster_get "s['feed']")
    echo "cluster up: https :$https_port, feed $feed"
}

stop_cluster() {
    [ -n "${cluster_pid:-}" ] || return 0
    kill -TERM "$cluster_pid" 2>/dev/null
    for _ in $(seq 150); do kill -0 "$cluster_pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$cluster_pid" 2>/dev/null
    wait "$cluster_pid" 2>/dev/null
    cluster_pid=""
    # A sanitizer report in any instance (make test SAN=1) fails the test.
    if grep -q 'SANITIZER' "$tmp/cluster.err" 2>/dev/null; then
        grep 'SANITIZER' "$tmp/cluster.err" | head -5
        echo "FAIL: a sanitizer reported an error in a server instance"
        return 1
    fi
}

need_shared_feed() {
    [ "$feed" = redis ] && return 0
    # RTLAB_ANY_FEED=1 runs the test anyway, to watch it fail without -R.
    if [ "${RTLAB_ANY_FEED:-}" = 1 ]; then echo "RTLAB_ANY_FEED=1: running without the shared feed"; return 0; fi
    skip "$* needs the shared feed in Redis (the servers have no -R yet)"
}

cluster_cleanup() {
    stop_cluster
    e2e_cleanup
}
trap cluster_cleanup EXIT
