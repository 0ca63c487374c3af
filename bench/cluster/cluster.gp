# bench/cluster/cluster.gp — the charts of make bench CLUSTER=1.
#   gnuplot -e "dir='bench/results/cluster'" bench/cluster/cluster.gp
# Left: latency p50 and p99 at light load (100 subscribers x 100 events/s)
# for one process, one behind Redis, two behind Redis, and the two through
# nginx. Middle: deliveries per CPU-second at 1000 subscribers x 100
# events/s, every server process and redis-server counted; beside it, the
# same with nginx's CPU counted too.
# Right: one event to every subscriber of the crowd run (100 000 over several
# processes): p50 and last, per server process.
# Bars are the medians of each point's runs (report.py's cost-median.dat),
# error bars their min-max.
data = dir.'/cost-median.dat'
do for [fmt in "svg png"] {
    if (fmt eq "svg") { set terminal svg size 1500,420 dynamic font "sans,11" } else { set terminal pngcairo size 1500,420 font "sans,10" }
    set output dir.'/cluster.'.fmt
    set multiplot layout 1,3 title "What the broker costs, and what it buys (median of each point's runs, min-max bars)"
    set style data histograms
    set style histogram errorbars gap 1 lw 1
    set style fill solid 0.8 border -1
    set boxwidth 0.9
    set grid ytics
    set key top left
    set xtics rotate by -20 scale 0
    set title "latency at light load (µs, log)"
    set logscale y
    set yrange [10:*]
    plot '< awk ''$3=="light"'' '.data using 4:5:6:xtic(sprintf("%s %s", strcol(2), strcol(1))) title "p50" lc rgb "#1565c0", \
         '' using 7:8:9 title "p99" lc rgb "#c62828"
    unset logscale y
    set yrange [0:*]
    set title "deliveries per CPU-second, 1000 subscribers x 100/s (servers + redis)"
    plot '< awk ''$3=="load"'' '.data using 10:11:12:xtic(sprintf("%s %s", strcol(2), strcol(1))) title "servers + redis" lc rgb "#2e7d32", \
         '' using 13:14:15 title "nginx counted too" lc rgb "#9e9e9e"
    set style histogram clustered gap 1
    set title "one event to all subscribers, per server process (ms)"
    set xtics norotate
    plot dir.'/crowd.dat' using 2:xtic(sprintf("sse-%d", $1)) title "p50" lc rgb "#1565c0", \
         '' using 3 title "last" lc rgb "#c62828"
    unset multiplot
}
