# bench/plots/common.gp — loaded before every chart script by bench/run.sh.
#
# run.sh passes: dir (the data/ folder), out (output path without extension),
# techs (the techniques that ran, space-separated), rate (the main sweep's
# events/s), high_rate, load_clients, load_rate, mem_min_clients, poll_ms,
# payload.
#
# Every line is drawn `with yerrorlines`: the median, and a bar from the
# fastest to the slowest of the point's repeats.
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

# Columns of loadgen's CSV, by the names in its header (bench/README.md).
# The data files hold one row per point: the median of its runs, and the
# spread as NAME_min and NAME_max (bench/aggregate.awk).
COL_CLIENTS = "clients"
COL_P50 = "lat_p50_us"
COL_P90 = "lat_p90_us"
COL_P99 = "lat_p99_us"
COL_P999 = "lat_p999_us"
COL_MAX = "lat_max_us"
COL_CONNECT_P50 = "connect_p50_us"
COL_SUBSCRIBE_P50 = "subscribe_p50_us"
COL_SUBSCRIBE_P99 = "subscribe_p99_us"
COL_BYTES_PER_DELIVERY = "bytes_per_delivery"
COL_REQUESTS_PER_DELIVERY = "requests_per_delivery"
COL_CPU_PER_DELIVERY = "server_cpu_us_per_delivery"
COL_MEM_PER_CONN = "server_mem_per_conn_bytes"
# A column of the current row, its minimum and maximum over the repeats,
# scaled (ms(name) for µs columns drawn in ms).
lo(name) = column(name."_min")
hi(name) = column(name."_max")
ms(name) = column(name) / 1000
ms_lo(name) = lo(name) / 1000
ms_hi(name) = hi(name) / 1000

set grid xtics ytics mxtics mytics lc rgb "#dddddd" lw 1
set key outside right top box opaque
set border lw 1.2
set logscale x 10
# Room at both ends, so the first and last error bars do not sit on the border.
set offsets graph 0.03, graph 0.03, 0, 0
set xlabel "subscribers (clients, log scale)"
set format x "%.0f"
