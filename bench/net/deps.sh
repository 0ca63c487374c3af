#!/bin/sh
# bench/net/deps.sh — install what bench/net/run.sh needs and this machine
# lacks, and say what: iproute2 (ip), nftables (nft), util-linux (taskset),
# gnuplot-nox (the charts), from Debian. Needs root (run.sh needs it anyway).
set -eu
need=""
command -v ip >/dev/null 2>&1 || need="$need iproute2"
command -v nft >/dev/null 2>&1 || need="$need nftables"
command -v taskset >/dev/null 2>&1 || need="$need util-linux"
command -v gnuplot >/dev/null 2>&1 || need="$need gnuplot-nox"
if [ -n "$need" ]; then
    echo "net/deps: installing (apt-get):$need"
    apt-get update -qq
    # shellcheck disable=SC2086
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $need
fi
echo "net/deps: everything bench/net/run.sh needs is here"
