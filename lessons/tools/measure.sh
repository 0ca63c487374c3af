#!/bin/sh
# lessons/tools/measure.sh — lesson 08's SERVER=1: a short, real measurement
# with the student's histogram inside loadgen.
#
# Usage: measure.sh BIN   (BIN holds the loadgen built with the student's
# histogram.c). Starts the project's bin/sse on a free port of 127.0.0.1,
# runs BIN/loadgen against it (100 subscribers, 200 events/s, 3 s) and prints
# the latency part of its JSON: the percentiles your hist_percentile computed.
set -u
cd "$(dirname "$0")/../.."
lg=$1/loadgen
[ -x bin/sse ] || make --no-print-directory bin/sse >/dev/null || exit 1
tmp=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT
bin/sse -p 0 -t 0 -q >"$tmp/server.out" 2>&1 &
pid=$!
port=""
for _ in $(seq 50); do
    port=$(sed -n 's|^listening on http://127.0.0.1:\([0-9]*\)/.*|\1|p' "$tmp/server.out")
    [ -n "$port" ] && break
    sleep 0.1
done
[ -n "$port" ] || { echo "bin/sse did not start"; exit 1; }
echo "Measuring bin/sse on port $port with $lg: 100 subscribers, 200 events/s, 3 s ..."
timeout 60 "$lg" -T sse -u "http://127.0.0.1:$port/" -c 100 -r 200 -d 3 -s 64 -P "$pid" -o "$tmp/run.jsonl" >/dev/null 2>"$tmp/loadgen.err" \
    || { echo "loadgen failed:"; cat "$tmp/loadgen.err"; exit 1; }
python3 -c '
import json, sys
r = json.loads(open(sys.argv[1]).readline())
lat = r["latency_us"]
print("deliveries %d of %d expected, lost %d" % (r["deliveries"], r["expected_deliveries"], r["lost"]))
for k in ("min", "p50", "p90", "p99", "p999", "max", "mean"):
    print("  latency %-5s %10.1f us" % (k, lat[k]))
print("Your percentiles must climb: min <= p50 <= p90 <= p99 <= p99.9 <= max.")
' "$tmp/run.jsonl"
