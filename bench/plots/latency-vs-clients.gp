# bench/plots/latency-vs-clients.gp — p50 and p99 delivery latency against
# the number of subscribers, one colour per technique, the baseline in black.
do for [fmt in formats] {
    eval(terminal(fmt))
    set title sprintf("Delivery latency against subscribers\n{/*0.8 %d events/s, %d-byte events, short polling every %d ms; solid p99, dashed p50}", rate, payload, poll_ms)
    set ylabel "latency from scheduled send (ms, log scale)"
    set logscale y 10
    plot for [t in techs] file(t, rate) using COL_CLIENTS:(ms(COL_P99)):(ms_lo(COL_P99)):(ms_hi(COL_P99)) \
             with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t." p99", \
         for [t in techs] file(t, rate) using COL_CLIENTS:(ms(COL_P50)):(ms_lo(COL_P50)):(ms_hi(COL_P50)) \
             with yerrorlines lw 1.5 dt 2 pt 6 ps 0.8 lc rgb color(t) title t." p50"
    set output
}
