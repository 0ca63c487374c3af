#!/bin/sh
# tests/e2e/readme_blocks.sh — the READMEs' "try it by hand" blocks, run as
# written: README.md's "Try one by hand" and the first block of polling/,
# longpoll/, sse/ and websocket/README.md. Each server runs on a free port
# (-p 0, loopback); every line's comment is checked against what it prints
# (tests/e2e/readme_blocks.py says how a line is run and a comment read).
#
# Exit 0: pass. Exit 77: curl or python3-websockets is missing (a failure
# when CI=true). Exit 1: a README does not behave as it says.
set -u
. "$(dirname "$0")/lib.sh"
need_curl
need_python_websockets

TMPDIR="$tmp" timeout -k 5 90 "$python" tests/e2e/readme_blocks.py "$bin" \
    README.md polling/README.md longpoll/README.md sse/README.md websocket/README.md
