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
. "$(dirname "$0")/lib.sh"
out="tests/out/web"
mkdir -p "$out"

need_browser

# ---- start every server that is built ----
names=(polling longpoll sse websocket)
pids=()

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
    start_server "$n" -w web -t "$tick" -q
    pids+=("$pid")
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
