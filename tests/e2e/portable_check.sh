#!/bin/sh
# tests/e2e/portable_check.sh — the binaries of `make PORTABLE=1` really take
# the POSIX fallbacks (run by `make test PORTABLE=1` only).
#
# A Linux build calls accept4 and reads /proc/self/exe; macOS and FreeBSD
# have neither, so the fallbacks (accept + fcntl in core/net.c, argv[0] in
# core/server.c:/^static int self_path/) are all they run. This proves that
# the portable binaries in $RTLAB_BIN link no accept4 and hold no
# "/proc/self/exe", so the net suites that ran on them tested the fallbacks.
# (The default web root found from another directory is tested by
# test_polling_net's default_web_root_from_any_directory.)
. "$(dirname "$0")/lib.sh"

command -v nm >/dev/null 2>&1 || skip "nm (binutils) is not installed"
checked=0
for name in polling longpoll sse websocket; do
    b="$bin/$name"
    [ -x "$b" ] || fail "$b is not built (make PORTABLE=1)"
    nm -u "$b" | grep -q 'accept4' && fail "$b links accept4: not the POSIX fallback"
    grep -q '/proc/self/exe' "$b" && fail "$b reads /proc/self/exe: not the POSIX fallback"
    nm -u "$b" | grep -qw 'accept' || fail "$b does not call accept(): which accept does it use?"
    checked=$((checked + 1))
done
echo "result: $checked portable servers use accept + fcntl and argv[0], not accept4 and /proc/self/exe"
