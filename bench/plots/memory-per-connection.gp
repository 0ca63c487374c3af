# bench/plots/memory-per-connection.gp — the server's resident memory once
# every client is subscribed, minus before any connected, per subscriber:
# what an idle subscriber costs in user space (kernel socket buffers are not
# in RSS). Runs under mem_min_clients (1000 in the full sweep) are left out:
# there, page and malloc-arena granularity divided by few clients is noise.
do for [fmt in formats] {
    eval(terminal(fmt))
    set title sprintf("Server memory per idle subscriber\n{/*0.8 RSS growth from 0 to N subscribers, divided by N (%d events/s runs)}", rate)
    set ylabel "bytes of resident memory per subscriber"
    unset logscale y
    set yrange [0:*]
    plot for [t in techs] file(t, rate) using COL_CLIENTS:(column(COL_CLIENTS) >= mem_min_clients ? column(COL_MEM_PER_CONN) : NaN):(lo(COL_MEM_PER_CONN)):(hi(COL_MEM_PER_CONN)) \
        with yerrorlines lw 2 pt 7 ps 0.8 lc rgb color(t) title t
    set output
}
