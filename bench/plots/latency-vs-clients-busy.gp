# bench/plots/latency-vs-clients-busy.gp — the same as latency-vs-clients at
# the sweep's higher rate, with p99.9 and max: the tail under more load.
do for [fmt in formats] {
    eval(terminal(fmt))
    set title sprintf("Tail latency against subscribers at %d events/s\n{/*0.8 %d-byte events; solid p99, dashed max}", high_rate, payload)
    set ylabel "latency from scheduled send (ms, log scale)"
    set logscale y 10
    plot for [t in techs] file(t, high_rate) using COL_CLIENTS:(ms(COL_P99)):(ms_lo(COL_P99)):(ms_hi(COL_P99)) \
             with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t." p99", \
         for [t in techs] file(t, high_rate) using COL_CLIENTS:(ms(COL_MAX)):(ms_lo(COL_MAX)):(ms_hi(COL_MAX)) \
             with yerrorlines lw 1.5 dt 2 pt 6 ps 0.8 lc rgb color(t) title t." max"
    set output
}
