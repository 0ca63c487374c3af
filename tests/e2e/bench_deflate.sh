#!/bin/sh
# tests/e2e/bench_deflate.sh — loadgen -z really speaks permessage-deflate
# (RFC 7692) to bin/websocket: it offers the extension as Chromium does, the
# 101 agrees on every connection, compressed frames (RSV1) arrive and are
# inflated, and every event is counted: 0 lost, none foreign. The bytes on
# the wire per event must be well below the event's size, and without -z
# the same run must be plain (no RSV1 frame, every frame above the size).
# A few clients, a few dozen 2 KB JSON events: about a second.
set -u
. "$(dirname "$0")/bench_lib.sh"

start websocket
clients=5 events=40 size=2048
run() {
    "$BIN/loadgen" -q -T websocket -u "http://127.0.0.1:$port/" -c $clients -r 200 -d 0.2 -s $size -J -g 2 -P "$spid" \
        "$@" >"$tmp/run.json" 2>"$tmp/run.err" || fail "loadgen $* exited $?"
}

run -z
cat "$tmp/run.json" "$tmp/run.err"
[ "$(field "$tmp/run.json" events_sent)" = $events ] || fail "not $events events sent"
[ "$(field "$tmp/run.json" lost)" = 0 ] || fail "-z: deliveries were lost"
[ "$(field "$tmp/run.json" foreign)" = 0 ] || fail "-z: messages loadgen could not read as its payload"
[ "$(field "$tmp/run.json" ws_bad_frames)" = 0 ] || fail "-z: frames loadgen could not read"
[ "$(field "$tmp/run.json" deflate_agreed)" = $clients ] || fail "-z: not every 101 agreed to permessage-deflate"
[ "$(field "$tmp/run.json" unique_deliveries)" = $((clients * events)) ] || fail "-z: not every event reached every client"
at_least "$(field "$tmp/run.json" ws_compressed)" $((clients * events)) || fail "-z: the events did not come compressed"
wire=$(field "$tmp/run.json" frame_bytes_per_message)
read=$(field "$tmp/run.json" message_bytes_per_message)
at_least "$read" $size || fail "-z: messages read ($read B) are smaller than the payload: not inflated?"
at_least $((size / 2)) "$wire" || fail "-z: $wire bytes per event on the wire, want below $((size / 2))"
grep -q '"ok":true' "$tmp/run.json" || fail "-z: the run is not ok"
echo "ok: -z: $clients of $clients agreed, $wire B per event on the wire for $read B read, 0 lost"

run
[ "$(field "$tmp/run.json" lost)" = 0 ] || fail "plain: deliveries were lost"
[ "$(field "$tmp/run.json" ws_compressed)" = 0 ] || fail "plain: compressed frames without -z"
[ "$(field "$tmp/run.json" deflate_agreed)" = 0 ] || fail "plain: an extension agreed without -z"
plain=$(field "$tmp/run.json" frame_bytes_per_message)
at_least "$plain" $size || fail "plain: $plain bytes per event, want at least $size"
echo "ok: plain: $plain B per event on the wire, no RSV1 frame"
