# The heap-sampler's columns over time: RssAnon beside malloc's system and in-use bytes (MiB).
# gnuplot -e "samples='FILE'; out='PNG'" docs/soak/heap.gnuplot
set terminal pngcairo size 1100,520 font ",10"
set output out
set title "carillond in the soak: RssAnon, and what malloc holds and uses"
set xlabel "minutes"
set ylabel "MiB"
set key top left
set grid
set object 1 rectangle from graph 0, graph 0 to first 10, graph 1 behind fillcolor rgb "#eeeeee" fillstyle solid noborder
plot samples using ($1/60.0):($2/1024.0) with linespoints lw 2 title "RssAnon", \
     samples using ($1/60.0):($3/1048576.0) with linespoints lw 2 title "malloc: system bytes", \
     samples using ($1/60.0):($4/1048576.0) with linespoints lw 2 title "malloc: in use"
