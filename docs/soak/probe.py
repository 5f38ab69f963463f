#!/usr/bin/env python3
# The probe of docs/RELIABILITY.md ("Soak: what grew, and why"): repeats one kind of request on a
# running carillond and prints RssAnon, descriptors and threads (/proc) before and after each batch.
#   python3 docs/soak/probe.py PID SOCKET play=30 shout=10 drill=5 reload=5 ...
# Kinds: status, events, play (clip test.noise), say, shout, drill (plan `drill`), reload (SIGHUP), log.
# The config of a soak run (CARILLON_KEEP=1 keeps its directory) has the clips and the plan it needs.
import socket, json, sys, os, time, signal
PID=int(sys.argv[1]); SOCK=sys.argv[2]
def st():
    d={}
    for l in open(f'/proc/{PID}/status'):
        k,v=l.split(':',1); d[k]=(v.split() or ['0'])[0]
    return int(d['RssAnon']), len(os.listdir(f'/proc/{PID}/fd')), int(d['Threads'])
class C:
    def __init__(s):
        s.s=socket.socket(socket.AF_UNIX); s.s.connect(SOCK); s.f=s.s.makefile('rb'); s.i=0
    def call(s,cmd,args=None):
        s.i+=1; r={'id':s.i,'cmd':cmd}
        if args is not None: r['args']=args
        s.s.sendall((json.dumps(r)+'\n').encode())
        while True:
            o=json.loads(s.f.readline())
            if o.get('id')==s.i: return o
    def close(s): s.f.close(); s.s.close()
w=C(); w.call('events')
def wait(pred):
    while True:
        o=json.loads(w.f.readline())
        if pred(o): return o
c=C()
def op(kind,i):
    if kind=='status': c.call('status')
    elif kind=='events':
        l=C(); l.call('events',{'kinds':['play']}); l.close()
    elif kind=='play':
        r=c.call('play',{'clip':'test.noise'}); p=r['result']['play']; wait(lambda o:o.get('event')=='play.ended' and o.get('play')==p)
    elif kind=='say':
        r=c.call('say',{'text':'第%d节课开始了。'%(i%10)}); p=r['result']['play']; wait(lambda o:o.get('event')=='play.ended' and o.get('play')==p)
    elif kind=='shout':
        ph=C(); r=ph.call('shout',{}); p=r['result']['play']; ph.s.sendall(b'GAAA\n'*17+b'.\n'); wait(lambda o:o.get('event')=='shout.ended' and o.get('play')==p); ph.close()
    elif kind=='drill':
        r=c.call('plan.start',{'plan':'drill','drill':True}); wait(lambda o:o.get('event')=='play.ended' and o.get('level')=='emergency'); c.call('plan.stop'); wait(lambda o:o.get('event')=='plan.stopped')
    elif kind=='reload':
        os.kill(PID,signal.SIGHUP); wait(lambda o:o.get('event')=='config.reloaded')
    elif kind=='log':
        c.call('log.plays',{'limit':20})
for kind,n in [(a.split('=')[0],int(a.split('=')[1])) for a in sys.argv[3:]]:
    b=st(); t=time.time()
    for i in range(n): op(kind,i)
    a=st()
    print(f'{kind} x{n}: RssAnon {b[0]} -> {a[0]} ({a[0]-b[0]:+d} KiB, {(a[0]-b[0])/n:.1f}/op), fds {b[1]}->{a[1]}, threads {b[2]}->{a[2]}, {time.time()-t:.1f}s', flush=True)
