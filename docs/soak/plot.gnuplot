# The soak's samples over time: RssAnon and VmRSS (MiB, left axis), descriptors and threads (right axis),
# with the warm-up shaded and the least-squares line of RssAnon after it.
# gnuplot -e "samples='FILE'; out='PNG'; warmup=600" docs/soak/plot.gnuplot   (make soak runs it)
if (!exists("warmup")) warmup = 600
set terminal pngcairo size 1100,620 font ",10"
set output out
set title "carillond under the soak workload"
set xlabel "minutes"
set ylabel "MiB"
set y2label "count"
set ytics nomirror
set y2tics
set key top left
set grid
set fit quiet logfile "/dev/null"
f(x) = a + b * x
a = 0; b = 0
fit [warmup/60.0:*] f(x) samples using ($1/60.0):($3/1024.0) via a, b
set object 1 rectangle from graph 0, graph 0 to first warmup/60.0, graph 1 behind fillcolor rgb "#eeeeee" fillstyle solid noborder
plot samples using ($1/60.0):($3/1024.0) with lines lw 2 title "RssAnon", \
     samples using ($1/60.0):($2/1024.0) with lines lw 1 title "VmRSS", \
     [warmup/60.0:*] f(x) with lines dt 2 lw 2 title sprintf("RssAnon fit after warm-up: %+.0f KiB/h", b * 1024 * 60), \
     samples using ($1/60.0):4 axes x1y2 with steps lw 2 title "descriptors", \
     samples using ($1/60.0):5 axes x1y2 with steps lw 1 title "threads"
