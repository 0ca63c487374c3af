# bench/plots/common.gp — loaded before every chart script by bench/run.sh.
#
# run.sh passes: dir (the data/ folder), out (output path without extension),
# techs (the techniques that ran, space-separated), rate (the main sweep's
# events/s), high_rate, load_clients, load_rate, mem_min_clients, poll_ms,
# payload.
#
# Each chart is drawn twice, as SVG and as PNG: `do for [fmt in formats]`
# with `eval(terminal(fmt))` at the top of each script.

set datafile separator ","
set datafile commentschars "#"
formats = "svg png"
terminal(fmt) = fmt eq "svg" \
    ? sprintf("set terminal svg size 960,600 dynamic enhanced font 'Helvetica,13' background '#ffffff'; set output '%s.svg'", out) \
    : sprintf("set terminal pngcairo size 960,600 enhanced font 'Helvetica,11' background '#ffffff'; set output '%s.png'", out)

# One colour per technique, the same in every chart; the baseline is black.
color(t) = t eq "baseline" ? "#000000" : \
           t eq "polling"  ? "#d95f02" : \
           t eq "longpoll" ? "#7570b3" : \
           t eq "sse"      ? "#1b9e77" : \
           t eq "websocket"? "#e7298a" : "#666666"
# The per-technique data file of one rate (rows sorted by clients).
file(t, r) = sprintf("%s/%s-r%d.csv", dir, t, r)

# Columns of loadgen's CSV (see bench/README.md).
COL_CLIENTS = 3
COL_P50 = 15
COL_P90 = 16
COL_P99 = 17
COL_P999 = 18
COL_MAX = 19
COL_CONNECT_P50 = 21
COL_SUBSCRIBE_P50 = 23
COL_SUBSCRIBE_P99 = 24
COL_BYTES_PER_DELIVERY = 31
COL_REQUESTS_PER_DELIVERY = 32
COL_CPU_PER_DELIVERY = 33
COL_MEM_PER_CONN = 35

set grid xtics ytics mxtics mytics lc rgb "#dddddd" lw 1
set key outside right top box opaque
set border lw 1.2
set logscale x 10
set xlabel "subscribers (clients, log scale)"
set format x "%.0f"
