#!/usr/bin/env bash
# tests/e2e/redis_feed.sh — the feed kept in Redis (-R): two instances of
# the four servers on one real redis-server; shared ids, live fan-out
# across instances, resume anywhere, Redis killed, back with its data, back
# empty (a new epoch). tests/e2e/redis_feed.py says what each step proves.
#
# It starts Debian's redis-server itself on a free loopback port, in a
# temporary directory, and stops it. Needs redis-server, a build with
# hiredis (the servers refuse -R otherwise) and python3-websockets.
#
# Exit 0: pass. Exit 77: a tool is missing (a failure when CI=true). Exit 1:
# a check failed.
set -u
. "$(dirname "$0")/lib.sh"

need_python_websockets
command -v redis-server >/dev/null 2>&1 || skip "redis-server is missing"
for prog in sse longpoll websocket polling; do
    [ -x "$bin/$prog" ] || fail "$bin/$prog is not built"
done
if "$bin/sse" -p 0 -R x 2>&1 </dev/null | grep -q "needs hiredis"; then
    skip "$bin/sse was built without hiredis (libhiredis-dev): make clean all"
fi

RTLAB_BIN="$bin" TMPDIR="$tmp" timeout -k 5 90 "$python" tests/e2e/redis_feed.py
rc=$?
[ $rc -eq 0 ] && echo "result: one feed in Redis for many instances, through Redis dying and coming back"
exit $rc
