#!/usr/bin/env bash
# floor.sh - the time of exact first fit at its floor, against glibc in the
# same run: the verified prototype of ../shared/ffstudy/ (p1, AVX2: the same
# design as the core without its checks, keys, page release or statistics),
# built from there into build/bench/ffstudy/ (nothing of it is copied into
# this repository) and run with its own harness, on the prototype (with and
# without its cache) and on glibc, interleaved; median ns per step of the runs. Issue 16 asks
# `micro st` for 0.5x glibc's rate: this is what the design itself reaches.
# Then the same prototype behind malloc and free (tests/bench/ffpre.c, built
# here as build/bench/ffstudy/ffpre.so, and ffpre-mt.so with a heap per
# thread; instr.sh counts ffpre.so too) timed on the one-thread workloads
# simple-16 and espresso and on micro mt 2 and mt 4, beside glibc and the shim.
# Last, the give-back's floor on issue 21's a,c,b and del rows: the shim
# beside the same library built to give no page back (build/bench/norelease/)
# and the time a page given back costs.
# Prints nothing but a note when the prototype's folder is missing.
#
#   tests/bench/floor.sh [--quick] [--runs N]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
SRC="${SLZ_FFSTUDY-$ROOT/../shared/ffstudy}"
OUT="$ROOT/build/bench/ffstudy"
RUNS=5 STEPS=3000000
. "$ROOT/tests/bench/args.sh"
bench_args floor.sh "$@"
[ "$QUICK" = 1 ] && RUNS=1 STEPS=100000
if [ ! -r "$SRC/harness.c" ] || ! grep -q avx2 /proc/cpuinfo; then
    echo "# floor: no prototype at ${SRC:-(unset)} (SLZ_FFSTUDY), or no AVX2: not measured"
    exit 0
fi
mkdir -p "$OUT"
# p1: exact first fit; p1c: the same with its cache of freed blocks in front
# (deferred coalescing, not exact: the floor of the fast mode, issue 17)
for v in p1 p1c; do
    ${CC:-cc} -O2 -std=gnu11 -mavx2 -mbmi -mbmi2 -mlzcnt -w $([ $v = p1c ] && echo -DFF_CACHE) -o "$OUT/$v" \
        "$SRC/harness.c" "$SRC/p1_maxtree.c" || { echo "# floor: the prototype did not build"; exit 1; }
done
# ffpre.so: p1 behind malloc and free (tests/bench/ffpre.c), for LD_PRELOAD: the
# second table here and instr.sh's proto row count it as they count the shim
# ffpre-mt.so: a heap per thread, from a copy of p1_maxtree.c (in build/, not
# in the repository) whose globals are made thread-local
sed -E 's/^(static )?((char|cell_t|uint32_t|int|size_t) \*?(base|C|lv|nlv|span|ffa_grains|hiwater)\b)/\1__thread \2/' \
    "$SRC/p1_maxtree.c" >"$OUT/p1_maxtree_tls.c"
FFCC=(${CC:-cc} -O2 -std=gnu11 -mavx2 -mbmi -mbmi2 -mlzcnt -w -fno-builtin -fPIC -shared -fvisibility=hidden -ftls-model=initial-exec -I"$SRC")
"${FFCC[@]}" -o "$OUT/ffpre.so" "$ROOT/tests/bench/ffpre.c" "$SRC/p1_maxtree.c" &&
    [ "$(grep -c '^[a-z ]*__thread' "$OUT/p1_maxtree_tls.c")" -eq 7 ] &&
    "${FFCC[@]}" -DFF_THREADS -o "$OUT/ffpre-mt.so" "$ROOT/tests/bench/ffpre.c" "$OUT/p1_maxtree_tls.c" ||
    { echo "# floor: ffpre.so or ffpre-mt.so did not build"; exit 1; }
# GATHER: the awk both tables are read with: lines "ROW CONFIG VALUE" into
# v[ROW, CONFIG] (a list), rows in order of appearance, median(list)
GATHER='
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ v[$1, $2] = v[$1, $2] " " $3; if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
'
# ns: field 5 of the harness's row ("NAME TEST steps N X ns/step ...")
for ((r = 1; r <= RUNS; r++)); do
    for t in micro rep; do
        for v in p1 p1c; do
            echo "$t $v $("$OUT/$v" $t "$STEPS" | awk '{ print $5 }')"
        done
        echo "$t glibc $("$OUT/p1" $t "$STEPS" glibc | awk '{ print $5 }')"
    done
done | awk "$GATHER"'
END {
    print "# floor: the ffstudy prototype in its own harness, AVX2, no checks: p1 exact first fit, p1c with"
    print "#   its cache in front; ns per step (a free and a malloc, the harness included), median of the"
    print "#   runs; rate = glibc ns / its ns (micro.sh: shim1G for p1, cache1G for p1c)"
    printf "%-6s %10s %10s %10s %8s %8s\n", "test", "p1 ns", "p1c ns", "glibc ns", "p1 rate", "p1c rate"
    for (i = 1; i <= n; i++) {
        t = order[i]; p = median(v[t, "p1"]); c = median(v[t, "p1c"]); g = median(v[t, "glibc"])
        printf "%-6s %10.1f %10.1f %10.1f %7.2fx %7.2fx\n", t, p, c, g, (p > 0 ? g / p : 0), (c > 0 ? g / c : 0)
    }
}'

# The same prototype preloaded on the one-thread workloads of workloads.sh
# whose rows issue 16 asks at <= 1.5x glibc (ffpre.so), on micro mt 2 and
# mt 4 (ffpre-mt.so: a heap per thread, remote frees handed to the owner),
# asked at >= 1.0x glibc's rate, and on issue 21's a,c,b frees (<= 3x) and
# python's del of a 1M-entry dict (<= 2x; memload.sh's cases): what the
# design itself costs there, beside the shim (SLZ_HEAP_SIZE=1G); interleaved
# runs, median seconds (each program's own timer, the field F of its row
# whose last field counts errors; the prototype gives no page back).
W="$ROOT/build/bench/workloads" M="$ROOT/build/bench/micro" ML="$ROOT/build/bench/memload"
LIB="$ROOT/libslzmalloc.so"
if [ ! -x "$W" ] || [ ! -x "$M" ] || [ ! -x "$ML" ] || [ ! -e "$LIB" ]; then
    echo "# floor: $W, $M, $ML or $LIB missing (make bench-build): no rows behind malloc/free"
    exit 0
fi
PY="$OUT/del.py" N=1000000 PYN=10**6
[ "$QUICK" = 1 ] && N=20000 PYN=10**4
cat >"$PY" <<PYEOF
import time
d = {("k%d" % i): [i, str(i)] for i in range($PYN)}
t = time.process_time(); del d; print("del %.4f 0" % (time.process_time() - t))
PYEOF
# preload_of CONFIG [PROTO]: the library a configuration of the tables below
# preloads (none for glibc; PROTO: ffpre or ffpre-mt, for proto)
NOREL="$ROOT/build/bench/norelease/libslzmalloc.so"
preload_of() {
    case $1 in
    glibc) echo "" ;;
    proto) echo "$OUT/$2.so" ;;
    shim1G) echo "$LIB" ;;
    norel) echo "$NOREL" ;;
    esac
}
# NAME:LIBRARY:F:COMMAND (LIBRARY: ffpre or ffpre-mt)
ROWS=("simple-16:ffpre:4:$W simple 1 20000 16" "espresso:ffpre:4:$W espresso 1 4000000"
    "mt2:ffpre-mt:4:$M mt 2 1000000" "mt4:ffpre-mt:4:$M mt 4 500000")
[ "$QUICK" = 1 ] && ROWS=("simple-16:ffpre:4:$W simple 1 500 16" "espresso:ffpre:4:$W espresso 1 100000"
    "mt2:ffpre-mt:4:$M mt 2 50000" "mt4:ffpre-mt:4:$M mt 4 25000")
ROWS+=("acb:ffpre:2:$ML acb $N")
command -v python3 >/dev/null && ROWS+=("del:ffpre:2:env PYTHONMALLOC=malloc python3 $PY")
for ((r = 1; r <= RUNS; r++)); do
    for row in "${ROWS[@]}"; do
        name=${row%%:*} row=${row#*:} so=${row%%:*} row=${row#*:} f=${row%%:*} cmd=${row#*:}
        for c in glibc proto shim1G; do
            pre=$(preload_of "$c" "$so")
            # shellcheck disable=SC2086 # cmd is the program and its words
            echo "$name $c $(env ${pre:+LD_PRELOAD=$pre} SLZ_HEAP_SIZE=1G $cmd | awk -v f="$f" '$NF == 0 { print $f }')"
        done
    done
done | awk "$GATHER"'
END {
    print ""
    print "# floor behind malloc/free: p1 preloaded (build/bench/ffstudy/ffpre.so; ffpre-mt.so for mt: a heap per"
    print "#   thread, every free of micro mt handed to its owner), no checks, beside the shim with"
    print "#   SLZ_HEAP_SIZE=1G; median seconds of the runs (the program'"'"'s own timer); x = seconds / glibc'"'"'s"
    print "#   (micro.sh gives mt as a rate against glibc'"'"'s: that ratio is 1 / x)"
    printf "%-10s %10s %10s %10s %8s %8s\n", "row", "glibc s", "p1 s", "shim1G s", "p1 x", "shim1G x"
    for (i = 1; i <= n; i++) {
        t = order[i]; g = median(v[t, "glibc"]); p = median(v[t, "proto"]); s = median(v[t, "shim1G"])
        printf "%-10s %10.4f %10.4f %10.4f %7.2fx %7.2fx\n", t, g, p, s, (g > 0 ? p / g : 0), (g > 0 ? s / g : 0)
    }
}'

# The give-back's floor (issue 21's a,c,b and del rows): the shim beside the
# same library built to give no page back but by a trim (norelease, bench.mk:
# a release step of 2 GiB), interleaved with glibc: the time the pages given
# back during the frees cost, and what that is a page. pages: the resident
# set after the frees under norelease less the shim's (the pages the shim gave
# back); ns/page = (shim1G s - norel s) / pages. The memcases pin test
# (bench.bats) asks for those pages back by the end of the frees: a row's
# x with them cannot fall below norel x + pages * ns/page / glibc s.
if [ ! -e "$NOREL" ]; then
    echo "# floor: $NOREL missing (make bench-build): no give-back rows"
    exit 0
fi
PYB="$OUT/delback.py"
cat >"$PYB" <<PYEOF
import time
d = {("k%d" % i): [i, str(i)] for i in range($PYN)}
t = time.process_time(); del d; t = time.process_time() - t
kb = [int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS:")][0]
print("del %.4f 0 %d 0" % (t, kb))
PYEOF
# NAME:COMMAND, whose row is "NAME SECONDS PEAK_KB AFTER_KB ERRORS"
BROWS=("acb-back:$ML acb $N")
command -v python3 >/dev/null && BROWS+=("del-back:env PYTHONMALLOC=malloc python3 $PYB")
PAGE_KB=$(($(getconf PAGESIZE) / 1024))
for ((r = 1; r <= RUNS; r++)); do
    for row in "${BROWS[@]}"; do
        name=${row%%:*} cmd=${row#*:}
        for c in glibc shim1G norel; do
            pre=$(preload_of "$c")
            # shellcheck disable=SC2086,SC2046 # cmd is the program and its words; two fields
            set -- $(env ${pre:+LD_PRELOAD=$pre} SLZ_HEAP_SIZE=1G $cmd | awk '$NF == 0 { print $2, $4 }')
            echo "$name $c ${1:-0}"
            echo "$name $c-kb ${2:-0}"
        done
    done
done | awk -v pk="$PAGE_KB" "$GATHER"'
END {
    print ""
    print "# the give-back'"'"'s floor: the shim beside the same library built to give no page back but by a"
    print "#   trim (build/bench/norelease/), median seconds of the runs (a,c,b: its frees; del: python'"'"'s del);"
    print "#   pages: the resident set after the frees, norel'"'"'s less the shim'"'"'s; ns/page = (shim1G s - norel s)"
    print "#   / pages; x = seconds / glibc'"'"'s"
    printf "%-10s %10s %10s %10s %8s %8s %8s %8s\n", "row", "glibc s", "shim1G s", "norel s", "shim1G x", "norel x", "pages", "ns/page"
    for (i = 1; i <= n; i++) {
        t = order[i]; g = median(v[t, "glibc"]); s = median(v[t, "shim1G"]); o = median(v[t, "norel"])
        p = (median(v[t, "norel-kb"]) - median(v[t, "shim1G-kb"])) / pk
        printf "%-10s %10.4f %10.4f %10.4f %7.2fx %7.2fx %8d %8.0f\n", t, g, s, o, (g > 0 ? s / g : 0), (g > 0 ? o / g : 0), p, (p > 0 ? (s - o) * 1e9 / p : 0)
    }
}'
