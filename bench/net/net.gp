# bench/net/net.gp — one impaired-network profile: latency percentiles per
# technique, and the whole latency distribution. bench/net/run.sh passes dir
# (OUT/data), out (path without extension) and profile. Draws .svg and .png.

formats = "svg png"
terminal(fmt) = fmt eq "svg" \
    ? sprintf("set terminal svg size 1200,520 dynamic enhanced font 'Helvetica,13' background '#ffffff'; set output '%s.svg'", out) \
    : sprintf("set terminal pngcairo size 1200,520 enhanced font 'Helvetica,11' background '#ffffff'; set output '%s.png'", out)
color(t) = t eq "baseline" ? "#000000" : t eq "polling" ? "#d95f02" : t eq "longpoll" ? "#7570b3" : \
           t eq "sse" ? "#1b9e77" : t eq "websocket" ? "#e7298a" : "#666666"
techs = "baseline polling longpoll sse websocket"

do for [fmt in formats] {
    eval(terminal(fmt))
    set multiplot layout 1,2 title sprintf("Across an impaired network: profile '%s' (see summary.md for the link)", profile)

    set title "Delivery latency percentiles by technique"
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.85 border -1
    set logscale y
    set ylabel "latency (ms, log scale)"
    set grid ytics
    set key top left
    plot dir."/latency.dat" using 2:xtic(1) title "p50" lc rgb "#9ecae1", \
         '' using 3 title "p90" lc rgb "#4292c6", \
         '' using 4 title "p99" lc rgb "#08519c", \
         '' using 5 title "max" lc rgb "#08306b"

    set title "Latency distribution (percentile spectrum)"
    set style data lines
    set logscale x
    set xlabel "percentile"
    set xtics ("0%%" 1, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000)
    set xrange [1:100000]
    set key top left
    plot for [t in techs] sprintf("%s/dist-%s.dat", dir, t) using (1/(1-$1/100.0001)):($2/1000) \
         with lines lw 2 lc rgb color(t) title t
    unset multiplot
    unset logscale
    unset xtics
    set xtics
    unset xlabel
    unset xrange
}
