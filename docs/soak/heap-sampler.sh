#!/bin/sh
# The heap beside RssAnon during `make soak` (docs/RELIABILITY.md, "The hour", run 3): every 150 s, malloc's
# system and in-use bytes (malloc_stats via gdb, which prints them to the daemon's stderr, its daemon.log)
# and RssAnon.   heap-sampler.sh PID SOAKDIR OUT   (columns: seconds, RssAnon KiB, system B, in use B)
PID=$1; DIR=$2; OUT=$3; START=$(date +%s)
while kill -0 $PID 2>/dev/null; do
  n=$(wc -l < $DIR/daemon.log)
  r=$(awk '/RssAnon/{print $2}' /proc/$PID/status)
  gdb -p $PID -batch -ex 'call (void)malloc_stats()' >/dev/null 2>&1
  sleep 1
  t=$(tail -n +$((n+1)) $DIR/daemon.log | grep -A2 "Total (incl. mmap)" | awk '/system bytes/{s=$NF} /in use bytes/{u=$NF} END{print s, u}')
  echo "$(( $(date +%s) - START )) $r $t" >> $OUT
  sleep 150
done
