#!/bin/sh
# tests/fuzz/run-fuzz.sh — run each libFuzzer harness for a bounded time.
#
# Usage: tests/fuzz/run-fuzz.sh [SECONDS] [TARGET...]
#   SECONDS  how long each target fuzzes (default 10: what `make test` runs;
#            `make fuzz` passes FUZZ_SECONDS, default 60)
#   TARGET   http ws_frame utf8 sse static ws_deflate (default: all six)
#
# Each target first runs every file of its seed corpus (tests/fuzz/corpus/T)
# and of its regressions (tests/fuzz/regress/T: inputs that once crashed),
# then mutates them for SECONDS. New inputs go to build/fuzz/corpus/T, not
# into the repository. A crash stops the run: the input is saved as
# tests/out/fuzz/T-crash-...; reproduce it with `bin/fuzz/fuzz_T FILE`, fix
# the bug, and copy the file into tests/fuzz/regress/T/ so it is run forever.
#
# Exit 0 when no target crashed; 77 (skip) when the harnesses are not built
# (clang or libclang-rt-14-dev missing: scripts/deps.sh fuzz installs them).
set -u
cd "$(dirname "$0")/../.."

secs="${1:-10}"
[ $# -gt 0 ] && shift
targets="${*:-http ws_frame utf8 sse static ws_deflate}"

mkdir -p tests/out/fuzz
failed="" total_runs=0
for t in $targets; do
    fuzzer="bin/fuzz/fuzz_$t"
    if [ ! -x "$fuzzer" ]; then
        echo "skip: $fuzzer is not built (needs clang and libclang-rt-14-dev: scripts/deps.sh fuzz)"
        exit 77
    fi
    work="build/fuzz/corpus/$t"
    mkdir -p "$work"
    dirs="$work tests/fuzz/corpus/$t"
    [ -d "tests/fuzz/regress/$t" ] && dirs="$dirs tests/fuzz/regress/$t"
    max_len=4096
    extra=""
    if [ "$t" = http ]; then
        max_len=9000                      # room to pass HTTP_MAX_HEAD (431)
        extra="-dict=tests/fuzz/http.dict"
    fi
    log="tests/out/fuzz/$t.log"
    # shellcheck disable=SC2086  # dirs is meant to split
    seeds=$(find $dirs -type f | wc -l)
    # shellcheck disable=SC2086  # dirs and extra are meant to split
    "$fuzzer" -max_total_time="$secs" -max_len=$max_len -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix="tests/out/fuzz/$t-" -print_final_stats=1 $extra $dirs >"$log" 2>&1
    rc=$?
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$log" | tail -1)
    if [ $rc -ne 0 ]; then
        failed="$failed $t"
        echo "FAIL $t: the fuzzer stopped with exit $rc (log: $log)"
        grep -E 'ERROR|fuzz_|SUMMARY|Test unit written' "$log" | head -20
    else
        echo "ok   $t: ${runs:-0} inputs in ${secs} s ($seeds corpus files replayed first), $cov, 0 crashes"
        total_runs=$((total_runs + ${runs:-0}))
    fi
done
if [ -n "$failed" ]; then
    echo "result: crashes in:$failed"
    exit 1
fi
echo "result: $total_runs fuzzed inputs, 0 crashes, targets: $targets"
