#!/bin/sh
# scripts/deps.sh — install whatever rtlab needs and this machine lacks.
#
# Usage: scripts/deps.sh [build|test|bench|fuzz|all] ...
#   build  compiler, libev, Check, pkg-config, zlib     (make all, make run)
#   test   build + fuzz + curl, python3 websockets, Chromium, node +
#          playwright-core, valgrind, gnuplot, redis, hiredis, nginx, openssl
#   bench  build + gnuplot, wrk, nginx + Nchan, libwebsockets
#   fuzz   build + clang with libFuzzer
#   cluster  build + redis-server, nginx, openssl     (make cluster; test needs them too)
#
# Each requirement is checked first; only what is missing is installed, and
# the script says what it installs and why. It is safe to run again and again:
# when nothing is missing it prints nothing and exits 0. apt-get runs through
# sudo when we are not root. The npm part installs into ./node_modules from the
# project's own package.json and package-lock.json.
set -eu

cd "$(dirname "$0")/.."

missing=""        # Debian packages to install
why=""            # one line per package: what needs it

# need PACKAGE REASON: queue a Debian package for installation. A package
# asked for twice (the test group includes the build and fuzz groups) is
# queued once. `return 0`, not a bare `return`: that would hand back the
# status of the failed check before `||`, and `set -e` would end the script.
need() {
    case " $missing " in *" $1 "*) return 0 ;; esac
    missing="$missing $1"
    why="$why
  $1  ($2)"
}

have_cmd() { command -v "$1" >/dev/null 2>&1; }
have_header() { [ -f "/usr/include/$1" ] || [ -f "/usr/include/x86_64-linux-gnu/$1" ]; }
# sbin tools (nginx) are not on an ordinary user's PATH.
have_sbin() { have_cmd "$1" || [ -x "/usr/sbin/$1" ]; }

check_build() {
    have_cmd cc || need gcc "the C compiler"
    have_cmd make || need make "the build"
    have_cmd pkg-config || need pkg-config "finding Check's flags"
    have_header ev.h || need libev-dev "the event loop every server runs on"
    have_header check.h || need check "the unit and integration tests"
    have_header zlib.h || need zlib1g-dev "the WebSocket server's permessage-deflate: every build links zlib"
}

check_test() {
    check_build
    have_cmd curl || need curl "end-to-end tests with a real HTTP client"
    /usr/bin/python3 -c 'import websockets' 2>/dev/null || need python3-websockets "the WebSocket real-client test"
    check_cluster
    have_cmd chromium || need chromium "headless browser tests"
    have_cmd node || need nodejs "driving Chromium with playwright-core"
    have_cmd npm || need npm "installing playwright-core from package.json"
    have_cmd valgrind || need valgrind "the leak and invalid-access run of the integration tests"
    have_cmd gnuplot || need gnuplot-nox "the bench smoke test draws the charts"
    have_cmd redis-server || need redis-server "the feed kept in Redis (-R): its end-to-end test"
    have_header hiredis/async.h || need libhiredis-dev "building the Redis feed (-R): hiredis and its libev adapter"
    check_fuzz                        # make test runs each fuzzer for a few seconds
}

check_cluster() {
    check_build
    have_cmd redis-server || need redis-server "the shared feed of make cluster and its failover tests"
    have_sbin nginx || need nginx "the TLS and HTTP/2 front of make cluster and its failover tests"
    have_cmd openssl || need openssl "the self-signed certificate of make cluster"
}

check_bench() {
    check_build
    have_cmd gnuplot || need gnuplot-nox "drawing the bench charts"
    have_cmd wrk || need wrk "checking loadgen against a well-known tool"
    have_sbin nginx || need nginx "the Nchan peer runs inside nginx"
    [ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] ||
        need libnginx-mod-nchan "the Nchan peer: long polling, SSE and WebSocket inside nginx"
    have_header libwebsockets.h || need libwebsockets-dev "building the libwebsockets peer"
}

check_fuzz() {
    check_build
    have_cmd clang || need clang "building the libFuzzer harnesses"
    ls /usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a >/dev/null 2>&1 ||
        need libclang-rt-14-dev "the libFuzzer runtime"
}

[ $# -eq 0 ] && set -- build
for group in "$@"; do
    case "$group" in
    build) check_build ;;
    test) check_test ;;
    bench) check_bench ;;
    fuzz) check_fuzz ;;
    cluster) check_cluster ;;
    all) check_test; check_bench; check_fuzz ;;
    *) echo "deps.sh: unknown group '$group' (build, test, bench, fuzz, cluster, all)" >&2; exit 2 ;;
    esac
done

if [ -n "$missing" ]; then
    echo "deps.sh: installing missing packages:$why"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086  # the package list is meant to split
    $SUDO apt-get install -y -qq --no-install-recommends $missing >/dev/null
    echo "deps.sh: installed:$missing"
fi

# The browser tests drive Debian's Chromium with playwright-core from npm; it
# never downloads a browser of its own.
case " $* " in
*" test "*|*" all "*)
    if [ ! -f node_modules/playwright-core/package.json ]; then
        echo "deps.sh: installing playwright-core into ./node_modules (npm ci)"
        npm ci --no-audit --no-fund --loglevel=error >/dev/null
    fi ;;
esac
exit 0
