# bench/plots/connect-cost.gp — how long a client waits to be subscribed:
# from connect() to the subscription confirmed (first poll answer, the event
# stream's head, the WebSocket 101, the baseline's OK), while all the other
# clients connect too (at most 256 at once).
do for [fmt in formats] {
    eval(terminal(fmt))
    set title "Connect cost: connect() to subscription confirmed\n{/*0.8 solid p50, dashed p99; up to 256 clients connecting at once}"
    set ylabel "time to subscribed (ms, log scale)"
    set logscale y 10
    plot for [t in techs] file(t, rate) using COL_CLIENTS:(ms(COL_SUBSCRIBE_P50)):(ms_lo(COL_SUBSCRIBE_P50)):(ms_hi(COL_SUBSCRIBE_P50)) \
             with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t." p50", \
         for [t in techs] file(t, rate) using COL_CLIENTS:(ms(COL_SUBSCRIBE_P99)):(ms_lo(COL_SUBSCRIBE_P99)):(ms_hi(COL_SUBSCRIBE_P99)) \
             with yerrorlines lw 1.5 dt 2 pt 6 ps 0.8 lc rgb color(t) title t." p99"
    set output
}
