# bench/deflate/deflate.gp — permessage-deflate's price, drawn by
# bench/deflate/run.sh: left, bytes per event on the wire (one subscriber's
# frame); right, server CPU µs per delivery; for each payload a bar without
# compression and one with, the median of the repeats with min-max bars.
#
# run.sh passes: dat (data/chart.dat: one row per payload, see run.sh),
# out (the output path without extension), clients, rate.

formats = "svg png"
terminal(fmt) = fmt eq "svg" \
    ? sprintf("set terminal svg size 960,520 dynamic enhanced font 'Helvetica,13' background '#ffffff'; set output '%s.svg'", out) \
    : sprintf("set terminal pngcairo size 960,520 enhanced font 'Helvetica,11' background '#ffffff'; set output '%s.png'", out)

set style data histograms
set style histogram errorbars gap 1.5 lw 1.2
set style fill solid 0.85 border rgb "#333333"
set boxwidth 0.9
set grid ytics lc rgb "#dddddd"
set key outside bottom center horizontal font ",10"
set yrange [0:*]
set offsets 0, 0, graph 0.08, 0
set xtics nomirror
PLAIN = "#e7298a"
DEFLATE = "#7a9e1b"
# Where a cluster's two bars stand, from its centre (two bars, gap 1.5):
# the value labels go there.
BAR = 0.5 / 3.5

do for [fmt in formats] {
    eval(terminal(fmt))
    set multiplot layout 1,2 title sprintf("WebSocket with and without permessage-deflate (%d subscribers × %d events/s)", clients, rate)
    set title "bytes per event on the wire (one subscriber's frame)"
    set ylabel "bytes"
    plot dat using 2:3:4:xtic(1) lc rgb PLAIN title "plain", \
         '' using 9:10:11 lc rgb DEFLATE title "permessage-deflate", \
         '' using ($0 - BAR):2:(sprintf("%.0f", $2)) with labels offset 0,0.8 font ",10" notitle, \
         '' using ($0 + BAR):9:(sprintf("%.0f", $9)) with labels offset 0,0.8 font ",10" notitle
    set title "server CPU per delivery"
    set ylabel "µs of server CPU per delivery"
    plot dat using 5:6:7:xtic(1) lc rgb PLAIN title "plain", \
         '' using 12:13:14 lc rgb DEFLATE title "permessage-deflate", \
         '' using ($0 - BAR):7:(sprintf("%.2f", $5)) with labels offset 0,0.8 font ",10" notitle, \
         '' using ($0 + BAR):14:(sprintf("%.2f", $12)) with labels offset 0,0.8 font ",10" notitle
    unset multiplot
    set output
}
