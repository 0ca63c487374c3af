# bench/plots/overhead.gp — what each delivery costs on the wire: bytes (both
# directions, counted at the subscribers' sockets) and HTTP requests made by
# the subscribers, per event delivered.
do for [fmt in formats] {
    eval(terminal(fmt))
    set multiplot layout 1,2 title sprintf("Wire cost per delivery (%d events/s, %d-byte events, polling every %d ms)", rate, payload, poll_ms)
    set key inside left top box opaque font ",10"
    set title "bytes per delivery"
    set ylabel "bytes per delivery (log scale)"
    set logscale y 10
    plot for [t in techs] file(t, rate) using COL_CLIENTS:COL_BYTES_PER_DELIVERY:(lo(COL_BYTES_PER_DELIVERY)):(hi(COL_BYTES_PER_DELIVERY)) \
        with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t
    set title "requests per delivery"
    set ylabel "HTTP requests per delivery (log scale)"
    set yrange [0.001:*]
    plot for [t in techs] file(t, rate) using COL_CLIENTS:(column(COL_REQUESTS_PER_DELIVERY) > 0 ? column(COL_REQUESTS_PER_DELIVERY) : NaN):(lo(COL_REQUESTS_PER_DELIVERY)):(hi(COL_REQUESTS_PER_DELIVERY)) \
        with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t
    unset multiplot
    set output
}
