# bench/scale/scale.gp — many idle subscribers: connections over time while
# they subscribe, and what one connection costs. bench/scale/run.sh passes
# dir (OUT/data), out (path without extension), techs. Draws .svg and .png.

formats = "svg png"
terminal(fmt) = fmt eq "svg" \
    ? sprintf("set terminal svg size 1200,520 dynamic enhanced font 'Helvetica,13' background '#ffffff'; set output '%s.svg'", out) \
    : sprintf("set terminal pngcairo size 1200,520 enhanced font 'Helvetica,11' background '#ffffff'; set output '%s.png'", out)
color(t) = t eq "longpoll" ? "#7570b3" : t eq "sse" ? "#1b9e77" : t eq "websocket" ? "#e7298a" : "#666666"

do for [fmt in formats] {
    eval(terminal(fmt))
    set multiplot layout 1,2 title "Idle subscribers held at once (server on CPU 1, loadgen on CPU 0)"

    set title "Open connections while subscribing"
    set xlabel "time since the server started (s)"
    set ylabel "connections"
    set grid
    set key inside bottom right
    set format y "%.0f"
    plot for [t in techs] sprintf("%s/conns-%s.dat", dir, t) using ($1/1000):2 with lines lw 2 lc rgb color(t) title t

    set title "Memory per connection (kernel: both ends)"
    set xlabel ""
    set ylabel "bytes per connection"
    set style data histograms
    set style histogram clustered gap 1
    set style fill solid 0.85 border -1
    set yrange [0:*]
    set key below
    plot dir."/memory.dat" using 2:xtic(1) title "user space (server RSS)" lc rgb "#1b9e77", \
         '' using 3 title "kernel socket buffers" lc rgb "#fdb863", \
         '' using 4 title "kernel slab" lc rgb "#b2abd2"
    unset multiplot
    unset yrange
    set style data lines
}
