# bench/peers/peers.gp — each technique's servers side by side: ours, Nchan,
# nginx, libwebsockets, node. bench/peers/run.sh passes: dir (OUT/data,
# written by table.py), out (path without extension). Draws out.svg and
# out.png: four panels, one bar group per technique, one bar per server; each
# bar is the median of the point's runs, its error bar the min-max spread.
# The data files have one row per technique and three columns per server
# (median, min, max; NaN where that server does not speak the technique).

formats = "svg png"
terminal(fmt) = fmt eq "svg" \
    ? sprintf("set terminal svg size 1200,860 dynamic enhanced font 'Helvetica,13' background '#ffffff'; set output '%s.svg'", out) \
    : sprintf("set terminal pngcairo size 1200,860 enhanced font 'Helvetica,11' background '#ffffff'; set output '%s.png'", out)

servers = "ours nchan nginx lws node"
color(s) = s eq "ours" ? "#1b9e77" : s eq "nchan" ? "#d95f02" : s eq "nginx" ? "#7570b3" : s eq "lws" ? "#e7298a" : "#666666"
# The columns of server i (1-based) in the data files: median, min, max.
med(i) = 3 * i - 1
# table.py writes a panel's data file only when the run measured something
# for it; an empty panel says so instead of failing the whole chart.
has(f) = system("test -s '".dir."/".f."' && echo 1 || echo 0") eq "1"
bars(f) = sprintf("plot for [i = 1:5] '%s/%s' using med(i):med(i)+1:med(i)+2:xtic(1) title word(servers, i) lc rgb color(word(servers, i))", dir, f)
empty = "unset logscale y; set xrange [0:1]; set yrange [0:1]; set label 1 'not measured in this run' at graph 0.5, graph 0.5 center; plot NaN notitle; unset label 1; set autoscale x"
panel(f) = has(f) ? bars(f) : empty
set datafile missing "NaN"
set style data histograms
set style histogram errorbars gap 1 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set grid ytics
set key top right
set yrange [0:*]
set format y "%.1s%c"

do for [fmt in formats] {
    eval(terminal(fmt))
    set multiplot layout 2,2 title "rtlab ('ours') beside Nchan and the servers people deploy — same loadgen, same run, server on CPU 1"

    set title "Per server CPU-second: requests (polling) or deliveries (higher is better)"
    set ylabel "per server CPU-s"
    eval(panel("rate.dat"))

    set title "Fan-out: p99 delivery latency (lower is better; log scale)"
    set ylabel "p99 latency (ms, log scale)"
    set logscale y
    set yrange [0.1:*]
    set format y "%g"
    set key top left
    eval(panel("p99.dat"))

    unset logscale y
    set yrange [0:*]
    set key top right
    set title "Memory per idle subscriber, user space (lower is better)"
    set ylabel "bytes of server RSS per connection"
    eval(panel("memory.dat"))

    set title "Fan-out: lost deliveries (should be 0)"
    set yrange [0:1<*]
    set ylabel "lost deliveries"
    set format y "%g"
    eval(panel("lost.dat"))
    set format y "%.1s%c"

    unset multiplot
}
