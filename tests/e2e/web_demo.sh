#!/usr/bin/env bash
# tests/e2e/web_demo.sh — the browser demo, tested in a real (headless) Chromium.
#
# Starts the four servers on free ports (port 0) with a fast clock tick (the
# short-polling server's slower, 1 s), loads web/ from one of them with
# ?ports=..., and lets tests/e2e/web_demo.mjs drive the page: every panel gets
# ticks; a typed message arrives in every panel; "drop connection" on SSE
# makes the browser reconnect by itself with no id missing (and the other
# panels catch up too); the short-polling wasted-poll counter rises when
# polls outpace the ticker.
# Screenshots go to tests/out/web/.
#
# Exit 0: pass. Exit 77: a tool is missing (a failure when CI=true: under CI
# nothing may skip). Exit 1: a check failed. A server that is not built leaves
# its panel untested with a loud NOT TESTED line locally, and fails under CI.
# Every server this script starts is stopped on any exit.
set -u

cd "$(dirname "$0")/../.."
bin="${RTLAB_BIN:-bin}"
out="tests/out/web"
mkdir -p "$out"

skip() {  # skip REASON: exit 77 locally, fail under CI
    if [ "${CI:-}" = "true" ]; then
        echo "FAIL: $* (CI=true: the browser test may not skip)"
        exit 1
    fi
    echo "SKIP: $*"
    exit 77
}

command -v node >/dev/null 2>&1 || skip "node is missing (scripts/deps.sh test installs it)"
[ -x /usr/bin/chromium ] || skip "/usr/bin/chromium is missing (scripts/deps.sh test installs it)"
[ -f node_modules/playwright-core/package.json ] ||
    skip "playwright-core is missing from ./node_modules (scripts/deps.sh test installs it)"

# ---- start every server that is built ----
names=(polling longpoll sse websocket)
tmp=$(mktemp -d "${TMPDIR:-/tmp}/rtlab-web.XXXXXX")
pids=()
cleanup() {
    for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null; done
    for _ in $(seq 30); do
        alive=0
        for pid in "${pids[@]}"; do kill -0 "$pid" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for pid in "${pids[@]}"; do kill -KILL "$pid" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM

# A fast tick keeps the test short; the short-polling server ticks slowly,
# so that polls every 100 ms are mostly wasted even on a busy machine.
TICK_MS=400
SLOW_TICK_MS=1000
ports=()
present=()
for n in "${names[@]}"; do
    if [ ! -x "$bin/$n" ]; then
        # Locally a server not built yet leaves its panel untested, said
        # loudly; under CI every server must be there.
        if [ "${CI:-}" = "true" ]; then
            echo "FAIL: $bin/$n is not built (CI=true: every panel is tested)"
            exit 1
        fi
        echo "NOT TESTED: the $n panel ($bin/$n is not built)"
        ports+=(1)   # a port the browser refuses at once: the panel says "no server"
        continue
    fi
    tick=$TICK_MS
    [ "$n" = polling ] && tick=$SLOW_TICK_MS
    "$bin/$n" -p 0 -a 127.0.0.1 -w web -t "$tick" -q >"$tmp/$n.out" 2>"$tmp/$n.err" &
    pids+=($!)
    port=""
    for _ in $(seq 100); do   # at most 5 s
        port=$(sed -n 's#^listening on http://[^/]*:\([0-9]*\)/$#\1#p' "$tmp/$n.out" 2>/dev/null)
        [ -n "$port" ] && break
        sleep 0.05
    done
    if [ -z "$port" ]; then
        echo "FAIL: $bin/$n did not print 'listening on ...' within 5 s"
        cat "$tmp/$n.err"
        exit 1
    fi
    echo "started $n on port $port"
    ports+=("$port")
    present+=("$n")
done
if [ ${#present[@]} -eq 0 ]; then
    skip "no server is built (make all builds them)"
fi

# ---- drive the page ----
WEB_PORTS=$(IFS=,; echo "${ports[*]}") \
WEB_TECHNIQUES=$(IFS=,; echo "${present[*]}") \
WEB_TICK_MS="$TICK_MS" \
WEB_SLOW_TICK_MS="$SLOW_TICK_MS" \
WEB_OUT="$out" \
    timeout -k 5 180 node tests/e2e/web_demo.mjs
rc=$?
if [ $rc -ne 0 ]; then
    for n in "${present[@]}"; do
        if [ -s "$tmp/$n.err" ]; then echo "--- $n stderr:"; tail -20 "$tmp/$n.err"; fi
    done
fi
# A server that died during the test is a failure too.
for i in "${!pids[@]}"; do
    if ! kill -0 "${pids[$i]}" 2>/dev/null; then
        echo "FAIL: ${present[$i]} died during the test"
        rc=1
    fi
done
[ $rc -eq 0 ] && echo "ok: web demo in headless Chromium (${present[*]})"
exit $rc
