# bench/plots/latency-distribution.gp — the whole latency distribution of one
# run per technique (load_clients subscribers, load_rate events/s) as a
# percentile spectrum: x is 1/(1 - p), so 90%, 99%, 99.9% ... are evenly
# spaced and the tail, where stalls show, gets as much room as the median.
set datafile separator " "
unset logscale x
set logscale x 10
set xtics ("0%%" 1, "90%%" 10, "99%%" 100, "99.9%%" 1000, "99.99%%" 10000, "99.999%%" 100000)
set xrange [1:100000]
set format x "%g"
dist(t) = sprintf("%s/dist-%s-c%d-r%d.dat", dir, t, load_clients, load_rate)
do for [fmt in formats] {
    eval(terminal(fmt))
    set title sprintf("Latency distribution, %d subscribers at %d events/s\n{/*0.8 percentile spectrum: each point is the latency that percentile of deliveries stays under}", load_clients, load_rate)
    set xlabel "percentile of deliveries"
    set ylabel "latency from scheduled send (ms, log scale)"
    set logscale y 10
    plot for [t in techs] dist(t) using ($1 < 100 ? 1/(1 - $1/100) : NaN):($2/1000) \
        with linespoints lw 2 pt 7 ps 0.6 lc rgb color(t) title t
    set output
}
