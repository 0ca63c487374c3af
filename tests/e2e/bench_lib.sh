# tests/e2e/bench_lib.sh — sourced by the bench_* tests: start a server on a
# free port, read one field of loadgen's JSON. Not a test itself.

BIN="${RTLAB_BIN:-bin}"
fail() { echo "FAIL: $*"; exit 1; }
pids=""
tmp=$(mktemp -d)
# At exit: resume what may be stopped, *then* ask it to end (a SIGCONT that
# lands while an ASan build runs its exit-time leak check can hang it),
# wait up to 5 s, and kill what is left: no process outlives the test.
cleanup() {
    for p in $pids; do
        kill -CONT "$p" 2>/dev/null
        kill "$p" 2>/dev/null
    done
    for p in $pids; do
        i=0
        while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do sleep 0.1; i=$((i + 1)); done
        kill -KILL "$p" 2>/dev/null
        wait "$p" 2>/dev/null
    done
    rm -rf "$tmp"
}
trap cleanup EXIT

# start NAME: run $BIN/NAME on a free port; sets $port and $spid.
start() {
    "$BIN/$1" -p 0 -q -t 0 >"$tmp/$1.out" 2>&1 &
    spid=$!
    pids="$pids $spid"
    for _ in $(seq 1 100); do
        port=$(sed -n '1s|^listening on [a-z]*://127.0.0.1:\([0-9]*\)/$|\1|p' "$tmp/$1.out")
        [ -n "$port" ] && return 0
        sleep 0.05
    done
    fail "$1 did not start"
}

# field FILE NAME [OBJECT]: a number from loadgen's JSON: a top-level field
# ("lost"), or one inside a nested object ("p99" of "latency_us"). Plain sed,
# no jq; the nested objects are flat, so their braces delimit them.
field() {
    if [ $# -ge 3 ]; then
        sed -n "s/.*\"$3\":{\([^}]*\)}.*/\1/p" "$1"
    else
        sed 's/"[a-z_]*":{[^}]*}//g' "$1"
    fi | sed -n "s/.*\"$2\":\([-0-9.]*\).*/\1/p" | head -1
}

# at_least A B: A >= B, for decimal numbers.
at_least() { awk -v a="$1" -v b="$2" 'BEGIN { exit !(a >= b) }'; }
