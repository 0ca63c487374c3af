# tests/e2e/lib.sh — sourced by the end-to-end scripts; not a test itself.
#
# What every real-client test needs, written once:
#   skip REASON           a tool is missing: exit 77 locally (run-tests.sh says
#                         SKIP loudly), exit 1 under CI=true (nothing skips in CI)
#   fail MESSAGE          print FAIL: MESSAGE and exit 1
#   need_browser          node, /usr/bin/chromium and playwright-core, or skip
#   need_python_websockets  Debian's /usr/bin/python3 with python3-websockets, or skip
#   need_curl             curl, or skip
#   start_server NAME [ARG...]
#                         run $bin/NAME -p 0 -a 127.0.0.1 ARG... in the
#                         background; wait (at most 5 s) for its "listening on"
#                         line; set $port and $pid; its stdout goes to
#                         $tmp/NAME.out, its stderr to $tmp/NAME.err
#   stop_server PID       SIGTERM, wait up to 3 s, SIGKILL; sets $status
#   stats_field PORT NAME the number NAME in the server's /stats, or nothing
#   wait_stat PORT NAME MIN [SECONDS]
#                         wait (at most SECONDS, default 5) until /stats NAME
#                         is at least MIN, or fail saying what it was: how a
#                         test knows a state was reached before it goes on
#                         (a poll has parked, a stream is open), never a sleep
#   $tmp                  a private temporary directory
# Every server started is stopped and $tmp removed when the script exits.
# Scripts run from the repository root; $bin (and $BIN) is $RTLAB_BIN or bin.

cd "$(dirname "$0")/../.." || exit 1
bin="${RTLAB_BIN:-bin}"
BIN="$bin"
python=/usr/bin/python3      # Debian's: the python3 first on PATH may lack the package
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-e2e.XXXXXX")
e2e_pids=""

skip() {
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $* (CI=true: nothing may skip)"
        exit 1
    fi
    echo "SKIP: $* — install with: scripts/deps.sh test"
    exit 77
}

fail() {
    echo "FAIL: $*"
    exit 1
}

need_browser() {
    command -v node >/dev/null 2>&1 || skip "node is missing"
    [ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is missing"
    [ -f node_modules/playwright-core/package.json ] || skip "playwright-core is missing from ./node_modules"
}

need_python_websockets() {
    [ -x "$python" ] || skip "$python is missing"
    "$python" -c 'import websockets' 2>/dev/null || skip "python3-websockets is missing"
}

need_curl() {
    command -v curl >/dev/null 2>&1 || skip "curl is missing"
}

stop_server() {
    status=""
    kill -TERM "$1" 2>/dev/null || return 0
    for _ in $(seq 30); do kill -0 "$1" 2>/dev/null || break; sleep 0.1; done
    kill -KILL "$1" 2>/dev/null
    wait "$1" 2>/dev/null
    status=$?
}

start_server() {
    name=$1
    shift
    [ -x "$bin/$name" ] || fail "$bin/$name is not built"
    "$bin/$name" -p 0 -a 127.0.0.1 "$@" >"$tmp/$name.out" 2>"$tmp/$name.err" &
    pid=$!
    e2e_pids="$e2e_pids $pid"
    port=""
    for _ in $(seq 100); do
        port=$(sed -n '1s#^listening on http://[^/]*:\([0-9]*\)/$#\1#p' "$tmp/$name.out" 2>/dev/null)
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    cat "$tmp/$name.err"
    fail "$bin/$name did not start"
}

stats_field() {
    curl -sS --max-time 2 "http://127.0.0.1:$1/stats" 2>/dev/null |
        sed -n "s/.*\"$2\":\([0-9][0-9]*\).*/\1/p"
}

wait_stat() {
    ws_n=$(( ${4:-5} * 20 )) ws_v=""
    while [ "$ws_n" -gt 0 ]; do
        ws_v=$(stats_field "$1" "$2")
        [ -n "$ws_v" ] && [ "$ws_v" -ge "$3" ] && return 0
        ws_n=$((ws_n - 1))
        sleep 0.05
    done
    fail "/stats $2 did not reach $3 within ${4:-5} s (it is ${ws_v:-unknown})"
}

e2e_cleanup() {
    for p in $e2e_pids; do stop_server "$p"; done
    rm -rf "$tmp"
}
trap e2e_cleanup EXIT
trap 'exit 1' INT TERM
