#!/bin/sh
# tests/valgrind/run-valgrind.sh — the integration suites again, with every
# server they start running under valgrind's memcheck.
#
# Usage: tests/valgrind/run-valgrind.sh [SUITE...]
#   SUITE  test programs under bin/tests (default: test_hostile_net, which
#          drives all four servers through 660 hostile requests; adv_chaos,
#          mutated requests and random WebSocket frames; then adv_vanishing
#          and adv_reconnect_storm, which make them close thousands of
#          connections every way a connection can end). Any
#          other net suite can be named, e.g. test_longpoll_net; they start
#          a server per test, and netclient waits only 5 s for each start,
#          which a busy machine under valgrind can miss.
#
# How: the suites start servers through tests/support/netclient.c, which
# runs $RTLAB_BIN/<name>. This script points RTLAB_BIN at a directory of
# tiny wrappers, one per server, that exec valgrind on the real binary.
# A server with an invalid read or write, a use of uninitialised memory, or
# a definite or indirect leak at exit makes valgrind exit 99, which the
# suites see as a server that did not exit 0; each server's report is also
# kept in tests/out/valgrind/ and any report fails this script.
#
# Sanitized builds (bin/san) cannot run under valgrind: the real binaries
# are always the plain ones in bin/. Exit 77 (skip) without valgrind.
set -u
cd "$(dirname "$0")/../.."
root=$(pwd)

if ! command -v valgrind >/dev/null 2>&1; then
    echo "skip: valgrind is not installed (apt-get install valgrind)"
    exit 77
fi
real="$root/bin"
suites_dir="$root/bin/tests"
if [ $# -eq 0 ]; then
    set --
    for s in test_hostile_net adv_chaos adv_vanishing adv_reconnect_storm \
             adv_half_close adv_backlog adv_gate adv_memory; do
        [ -x "$suites_dir/$s" ] && set -- "$@" "$s"
    done
fi

logs="$root/tests/out/valgrind"
wrappers=$(mktemp -d /tmp/rtlab-valgrind.XXXXXX)
trap 'rm -rf "$wrappers"' EXIT INT TERM
rm -rf "$logs"
mkdir -p "$logs" "$wrappers/tests"
for server in polling longpoll sse websocket; do
    [ -x "$real/$server" ] || continue
    cat >"$wrappers/$server" <<WRAP
#!/bin/sh
exec valgrind -q --error-exitcode=99 --leak-check=full --show-leak-kinds=definite,indirect \\
    --errors-for-leak-kinds=definite,indirect --track-fds=no \\
    --log-file="$logs/$server-%p.log" "$real/$server" "\$@"
WRAP
    chmod +x "$wrappers/$server"
done

failed=""
start=$(date +%s)
for s in "$@"; do
    # Valgrind runs a server some 20x slower and starts it in seconds:
    # RTLAB_SLOWDOWN and RTLAB_START_TIMEOUT_MS tell our suites (adv.h).
    out="$logs/$s.out"
    if RTLAB_BIN="$wrappers" RTLAB_START_TIMEOUT_MS=30000 RTLAB_SLOWDOWN=20 CK_DEFAULT_TIMEOUT=120 \
        "$suites_dir/$s" >"$out" 2>&1; then
        echo "ok   $s under valgrind: $(grep -E '^[0-9]+%: Checks|^result:' "$out" | tr '\n' ' ')"
    else
        failed="$failed $s"
        echo "FAIL $s under valgrind (output: $out)"
        grep -E 'FAIL|Failure|Error|:[0-9]+:[EF]:' "$out" | head -20
    fi
done

# Any report at all (-q keeps the logs empty unless something is wrong).
reports=0 runs=0
for f in "$logs"/*-*.log; do
    [ -e "$f" ] || continue
    runs=$((runs + 1))
    if [ -s "$f" ]; then
        reports=$((reports + 1))
        echo "valgrind report: $f"
        head -30 "$f"
    fi
done
secs=$(( $(date +%s) - start ))
echo "result: $runs server runs under valgrind in ${secs}s, $reports with errors or leaks; suites failed:${failed:- none}"
[ -z "$failed" ] && [ $reports -eq 0 ] && [ $runs -gt 0 ]
