# bench/plots/cpu-per-delivery.gp — the server's CPU time (user + system,
# from /proc/PID/schedstat) per event delivered, against subscribers: at the
# sweep's highest rate (solid) and its first (dashed). A sweep of one rate
# (QUICK=1) draws it once.
do for [fmt in formats] {
    eval(terminal(fmt))
    if (high_rate != rate) {
        set title sprintf("Server CPU per delivery\n{/*0.8 solid %d events/s, dashed %d events/s; lower is better}", high_rate, rate)
    } else {
        set title sprintf("Server CPU per delivery\n{/*0.8 %d events/s; lower is better}", rate)
    }
    set ylabel "server CPU per delivery (µs, log scale)"
    set logscale y 10
    if (high_rate != rate) {
        plot for [t in techs] file(t, high_rate) using COL_CLIENTS:(column(COL_CPU_PER_DELIVERY) > 0 ? column(COL_CPU_PER_DELIVERY) : NaN):(lo(COL_CPU_PER_DELIVERY)):(hi(COL_CPU_PER_DELIVERY)) \
                 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t." ".high_rate."/s", \
             for [t in techs] file(t, rate) using COL_CLIENTS:(column(COL_CPU_PER_DELIVERY) > 0 ? column(COL_CPU_PER_DELIVERY) : NaN):(lo(COL_CPU_PER_DELIVERY)):(hi(COL_CPU_PER_DELIVERY)) \
                 with yerrorlines lw 1.5 dt 2 pt 6 ps 0.8 lc rgb color(t) title t." ".rate."/s"
    } else {
        plot for [t in techs] file(t, rate) using COL_CLIENTS:(column(COL_CPU_PER_DELIVERY) > 0 ? column(COL_CPU_PER_DELIVERY) : NaN):(lo(COL_CPU_PER_DELIVERY)):(hi(COL_CPU_PER_DELIVERY)) \
                 with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t." ".rate."/s"
    }
    set output
}
