#!/usr/bin/python3
"""ffsim.py - utilization of exact address-ordered first fit on malloc-lab traces.

    python3 tests/bench/ffsim.py HEADER MIN_CHUNK TRACE.rep...

A model of the slz policy with no allocator code: the lowest-addressed free
chunk that fits, split when the rest is at least MIN_CHUNK, immediate
coalescing, realloc shrinking in place, growing in place into a free
successor, else allocate-copy-free. A chunk is the request plus HEADER bytes,
rounded up to 16, at least MIN_CHUNK. Utilization = peak live payload / highest
chunk end. With HEADER 16 and MIN_CHUNK 64 it reproduces the core's figures
from build/bench/replay trace by trace, so it tells how far layout changes
(smaller header, smaller minimum chunk) can move utilization under the same
placement policy. Slow (a linear scan of the free list): fine for the classic
set and single 64-bit traces.
"""
import sys, bisect
def chunk(n, H, M):
    c = (n + H + 15) // 16 * 16
    return max(c, M)
def run(path, H, M):
    lines = open(path).read().split('\n')
    hdr = lines[:4]; ops = [l.split() for l in lines[4:] if l.strip()]
    TOP = 1 << 40
    fa = [0]; fs = {0: TOP}   # free chunk addresses (sorted) and sizes
    used = {}; blk = {}; req = {}
    live = 0; peak = 0; hw = 0
    def insert_free(a, s):
        i = bisect.bisect_left(fa, a)
        # merge with next
        if i < len(fa) and fa[i] == a + s:
            s += fs.pop(fa[i]); fa.pop(i)
        if i > 0 and fa[i-1] + fs[fa[i-1]] == a:
            fs[fa[i-1]] += s
        else:
            fa.insert(i, a); fs[a] = s
    def alloc(n):
        nonlocal hw
        c = chunk(n, H, M)
        for i, a in enumerate(fa):
            s = fs[a]
            if s >= c:
                fa.pop(i); del fs[a]
                if s - c >= M:
                    insert_free(a + c, s - c)
                else:
                    c = s
                used[a] = c
                hw = max(hw, a + c)
                return a
        raise Exception("no fit")
    def free(a):
        insert_free(a, used.pop(a))
    def realloc(a, n):
        nonlocal hw
        c = chunk(n, H, M); old = used[a]
        if c <= old:
            if old - c >= M:
                used[a] = c; insert_free(a + c, old - c)
            return a
        nxt = a + old
        if nxt in fs and old + fs[nxt] >= c:
            tot = old + fs.pop(nxt); fa.pop(bisect.bisect_left(fa, nxt))
            if tot - c >= M:
                insert_free(a + c, tot - c); used[a] = c
            else:
                used[a] = tot
            hw = max(hw, a + used[a])
            return a
        b = alloc(n); free(a); return b
    for op in ops:
        k = op[0]; i = int(op[1])
        if k == 'a':
            n = int(op[2]); blk[i] = alloc(n); live += n; req[i] = n
        elif k == 'r':
            n = int(op[2])
            if i in blk: blk[i] = realloc(blk[i], n); live += n - req[i]
            else: blk[i] = alloc(n); live += n
            req[i] = n
        else:
            if i < 0 or i not in blk: continue
            free(blk.pop(i)); live -= req.pop(i)
        peak = max(peak, live)
    return 100.0 * peak / hw
if len(sys.argv) < 4:
    sys.exit("usage: ffsim.py HEADER MIN_CHUNK TRACE.rep...")
H, M = int(sys.argv[1]), int(sys.argv[2])
tot = []
for p in sys.argv[3:]:
    u = run(p, H, M); tot.append(u)
    print("%-18s %6.1f" % (p.split('/')[-1][:-4], u))
print("average %.1f" % (sum(tot) / len(tot)))
