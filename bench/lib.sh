# bench/lib.sh — shell helpers the bench drivers share (bench/run.sh,
# bench/deflate/run.sh). Sourced from the repository root, after the driver
# has set OUT (its results folder) and SRV_PIN (taskset for the server, or "").
#
# Interface:
#   start_server LOG BINARY [FLAGS...]  start BINARY on port 0 (quiet, no ticker);
#                                       sets SPID and PORT; 1 when it did not start
#   csv_get FILE NAME                   column NAME (by the header's names) of FILE's last row
#   keep_row FROM TO                    append FROM's last row to TO (with FROM's header when TO is new)

start_server() {
    log=$1 binary=$2
    shift 2
    : >"$OUT/server.out"          # never read the last server's port
    $SRV_PIN "$binary" -p 0 -a 127.0.0.1 -q -t 0 "$@" >"$OUT/server.out" 2>"$log" &
    SPID=$!
    PORT=""
    i=0
    while [ -z "$PORT" ] && [ $i -lt 50 ]; do
        PORT=$(sed -n '1s|^listening on [a-z]*://[0-9.]*:\([0-9]*\)/.*|\1|p' "$OUT/server.out")
        [ -n "$PORT" ] || sleep 0.1
        i=$((i + 1))
    done
    [ -n "$PORT" ]
}

csv_get() {
    awk -F, -v n="$2" 'NR == 1 { for (i = 1; i <= NF; i++) if ($i == n) c = i; next } END { if (c) print $c }' "$1"
}

keep_row() {
    [ -s "$2" ] || head -1 "$1" >"$2"
    tail -1 "$1" >>"$2"
}
