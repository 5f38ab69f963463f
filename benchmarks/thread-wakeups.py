#!/usr/bin/env python3
# Context switches per thread of a running process over an interval, from /proc/PID/task/*/status:
# which thread wakes how often (docs/BENCHMARKS.md, issue 23).   thread-wakeups.py PID SECONDS
import os, sys, time
pid=sys.argv[1]; secs=float(sys.argv[2])
def snap():
    out={}
    for t in os.listdir(f'/proc/{pid}/task'):
        try:
            comm=open(f'/proc/{pid}/task/{t}/comm').read().strip()
            st=open(f'/proc/{pid}/task/{t}/status').read().split('\n')
            v=int([l for l in st if l.startswith('voluntary_ctxt')][0].split()[1]); n=int([l for l in st if l.startswith('nonvoluntary_ctxt')][0].split()[1])
            out[t]=(comm,v,n)
        except Exception: pass
    return out
a=snap(); time.sleep(secs); b=snap()
tv=tn=0
for t,(c,v,n) in sorted(b.items()):
    v0,n0=(a[t][1],a[t][2]) if t in a else (0,0)
    if v-v0+n-n0>0: print(f"{t} {c:18} vol {v-v0} nonvol {n-n0}" + ("" if t in a else " (new)"))
    tv+=v-v0; tn+=n-n0
gone=[t for t in a if t not in b]
print(f"total vol {tv} nonvol {tn} in {secs} s; threads ended: {len(gone)}")
