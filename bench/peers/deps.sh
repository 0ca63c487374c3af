#!/bin/sh
# bench/peers/deps.sh — install what bench/peers/run.sh needs and this
# machine lacks, and say what it installs:
#   nginx              (Debian)  the short-polling peer, one worker
#   libnginx-mod-nchan (Debian)  Nchan, the peer for all four techniques
#   libwebsockets-dev  (Debian)  the SSE/WebSocket C peer, built from lws_peer.c
#   pkg-config wrk gnuplot-nox curl (Debian)  building, the second opinion, the chart
#   ws                 (npm, pinned in package.json)  the node peer
# Needs root for apt-get (or sudo). Installs nothing that is already there.
set -eu
cd "$(dirname "$0")/../.."
need=""
command -v nginx >/dev/null 2>&1 || need="$need nginx"
[ -f /usr/lib/nginx/modules/ngx_nchan_module.so ] || need="$need libnginx-mod-nchan"
pkg-config --exists libwebsockets 2>/dev/null || need="$need libwebsockets-dev"
command -v pkg-config >/dev/null 2>&1 || need="$need pkg-config"
command -v wrk >/dev/null 2>&1 || need="$need wrk"
command -v gnuplot >/dev/null 2>&1 || need="$need gnuplot-nox"
command -v curl >/dev/null 2>&1 || need="$need curl"
command -v node >/dev/null 2>&1 || need="$need nodejs npm"
if [ -n "$need" ]; then
    echo "peers/deps: installing (apt-get):$need"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $need
fi
if [ ! -d node_modules/ws ]; then
    echo "peers/deps: installing ws (npm ci, as pinned in package-lock.json)"
    npm ci --no-audit --no-fund
fi
echo "peers/deps: everything bench/peers/run.sh needs is here"
