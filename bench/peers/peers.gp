# bench/peers/peers.gp — our servers beside nginx, libwebsockets and node ws.
# bench/peers/run.sh passes: dir (OUT/data, written by table.py), out (path
# without extension). Draws out.svg and out.png: four panels, one bar group
# per server; the data files have one row per server, "ours" first.

formats = "svg png"
terminal(fmt) = fmt eq "svg" \
    ? sprintf("set terminal svg size 1200,860 dynamic enhanced font 'Helvetica,13' background '#ffffff'; set output '%s.svg'", out) \
    : sprintf("set terminal pngcairo size 1200,860 enhanced font 'Helvetica,11' background '#ffffff'; set output '%s.png'", out)

set style data histograms
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set yrange [0:*]
set format y "%.0s%c"

do for [fmt in formats] {
    eval(terminal(fmt))
    set multiplot layout 2,2 title "rtlab ('ours') beside the servers people deploy — same loadgen, same run, server on CPU 1"

    set title "Short polling: requests per server CPU-second (higher is better)"
    set ylabel "requests / server CPU-s"
    plot dir."/polling.dat" using 2:xtic(1) title "loadgen" lc rgb "#d95f02", \
         ''                 using 3 title "wrk" lc rgb "#fdb863"

    set title "Fan-out: deliveries per server CPU-second (higher is better)"
    set ylabel "deliveries / server CPU-s"
    plot dir."/fanout.dat" using 2:xtic(1) title "SSE" lc rgb "#1b9e77", \
         ''                using 3 title "WebSocket" lc rgb "#e7298a"

    set title "Fan-out: p99 delivery latency (lower is better; log scale)"
    set ylabel "p99 latency (ms, log scale)"
    set logscale y
    set yrange [1:*]
    set format y "%g"
    set key top left
    plot dir."/fanout.dat" using 4:xtic(1) title "SSE" lc rgb "#1b9e77", \
         ''                using 5 title "WebSocket" lc rgb "#e7298a"

    unset logscale y
    set yrange [0:*]
    set key top right
    set title "Memory per idle subscriber, user space (lower is better)"
    set ylabel "bytes of server RSS per connection"
    plot dir."/fanout.dat" using 6:xtic(1) title "SSE" lc rgb "#1b9e77", \
         ''                using 7 title "WebSocket" lc rgb "#e7298a"
    set format y "%.0s%c"

    unset multiplot
}
