#!/usr/bin/env bash
# memload.sh - the figures of issue 21 (memory under real load with a large
# heap): build/bench/memload's cases and a python case, run plainly on glibc
# and under the shim with SLZ_HEAP_SIZE=1G in the same run, with the ratio
# shim1G / plain (above 1: slower, or more memory, than glibc). Times are
# figures, never assertions: the a,c,b frees and python's del in CPU time
# (user and system), which other processes on a loaded machine do not
# inflate as they do the wall clock; madvise calls are counted by strace -c
# -f (when installed) and shown per 1,000 frees.
#
#   tests/bench/memload.sh [--quick]
#
# Exit status 1 when a case found wrong contents, got NULL, or failed.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ML="$ROOT/build/bench/memload"
LIB="$ROOT/libslzmalloc.so"
MIN32="$ROOT/build/bench/min32/libslzmalloc.so"
. "$ROOT/tests/bench/args.sh"
bench_args memload.sh "$@"
need_built memload.sh "$ML" "$LIB"
if [ "$QUICK" = 1 ]; then
    N=20000 THREADS=4 TMB=2 WMB=16 PYN=10**4
else
    N=1000000 THREADS=16 TMB=8 WMB=400 PYN=10**6
fi
status=0
TMP="$(mktemp)"
trap 'rm -f "$TMP"' EXIT

# under CONFIG cmd...: cmd on glibc alone (plain) or under the shim, 1G heap
# (min32: the build with a 32-byte minimum chunk)
under() {
    local c=$1
    shift
    case $c in
    plain) env -u SLZ_HEAP_SIZE -u LD_PRELOAD "$@" ;;
    min32) env LD_PRELOAD="$MIN32" SLZ_HEAP_SIZE=1G "$@" ;;
    *) env LD_PRELOAD="$LIB" SLZ_HEAP_SIZE=1G "$@" ;;
    esac
}
# field CONFIG K args...: field K of memload's row (2 seconds, 3 peak kB, 4 after kB)
field() {
    local c=$1 k=$2 out
    shift 2
    out=$(under "$c" timeout 600 "$ML" "$@") || { echo "# memload $* under $c failed" >&2; status=1; }
    set -- $out
    [ "${5:-1}" = 0 ] || { echo "# memload row under $c: '$out' (errors)" >&2; status=1; }
    eval "echo \${$k:-0}"
}
# madvise CONFIG FREES cmd...: madvise calls of cmd per 1,000 frees ("-": no strace)
madvise_per() {
    local c=$1 frees=$2
    shift 2
    command -v strace >/dev/null || { echo -; return; }
    under "$c" strace -f -c -e trace=madvise -o "$TMP" "$@" >/dev/null 2>&1
    awk -v f="$frees" '$NF == "madvise" { n = $4 } END { printf "%.2f", (n + 0) * 1000 / f }' "$TMP"
}
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b != "-") printf "%.2fx", b / a; else print "-" }'; }
line() { printf '%-72s %12s %12s %8s\n' "$1" "$2" "$3" "$(ratio "$2" "$3")"; }
mb() { awk -v k="$1" 'BEGIN { printf "%.1f", k / 1024 }'; }

echo "# issue 21 (tests/bench/memload.c, memload.sh): a 1G heap under load against glibc, same run"
printf '%-72s %12s %12s %8s\n' "figure" "plain" "shim1G" "x"
line "a,c,b free pattern, $N entries of 3 x 48 B: free CPU time (s)" "$(field plain 2 acb $N)" "$(field shim1G 2 acb $N)"
line "  madvise calls per 1,000 frees" "$(madvise_per plain $((3 * N)) "$ML" acb $N)" \
    "$(madvise_per shim1G $((3 * N)) "$ML" acb $N)"
line "$THREADS threads x $TMB MB (4 KiB blocks, 3 rounds), exited: RSS after (MB)" \
    "$(mb "$(field plain 4 exit $THREADS $TMB 4096)")" "$(mb "$(field shim1G 4 exit $THREADS $TMB 4096)")"
line "worker builds $WMB MB (4 KiB blocks), exits; main frees, rebuilds: peak RSS (MB)" \
    "$(mb "$(field plain 3 worker $WMB 4096)")" "$(mb "$(field shim1G 3 worker $WMB 4096)")"
if command -v python3 >/dev/null; then
    PY="import time
d={('k%d'%i):[i,str(i)] for i in range($PYN)}
t=time.process_time(); del d; print('%.4f' % (time.process_time()-t))"
    line "python (PYTHONMALLOC=malloc): del of a $PYN-entry dict, CPU time (s)" \
        "$(under plain env PYTHONMALLOC=malloc python3 -c "$PY")" "$(under shim1G env PYTHONMALLOC=malloc python3 -c "$PY")"
fi
# peak RSS of small-object programs (item 4 of the issue): /usr/bin/time's %M, in MB;
# under min32, the same library with a 32-byte minimum chunk (the design's is
# 64); and where the difference goes: layout.awk replays the shim's trace of
# the same program and sums the chunks live at the peak under each layout
peak_mb() {
    local c=$1 kb
    shift
    kb=$(under "$c" /usr/bin/time -f '%M' -o "$TMP" "$@" >/dev/null 2>&1 && cat "$TMP") || { echo -; return; }
    mb "$kb"
}
# small NAME cmd...: the three rows of one small-object program
small() {
    local name=$1 plain tr
    shift
    plain=$(peak_mb plain "$@")
    line "$name: peak RSS (MB)" "$plain" "$(peak_mb shim1G "$@")"
    if [ -e "$MIN32" ]; then # (make bench builds it, make test does not)
        line "  the same with a 32-byte minimum chunk (min32 build)" "$plain" "$(peak_mb min32 "$@")"
    fi
    tr=$(mktemp -d)
    under shim1G env SLZ_TRACE="$tr/t" "$@" >/dev/null 2>&1
    awk -f "$ROOT/tests/bench/layout.awk" "$(ls -S "$tr"/t* | head -1)"
    rm -rf "$tr"
}
if [ -x /usr/bin/time ]; then
    K=$([ "$QUICK" = 1 ] && echo 3000 || echo 300000)
    if command -v perl >/dev/null; then
        small "perl: a $K-key hash of small arrays" perl -e "my %h; \$h{\"k\$_\"} = [\$_, \"v\$_\"] for 1..$K; print scalar(keys %h), \"\\n\""
    fi
    if command -v python3 >/dev/null; then
        small "python (PYTHONMALLOC=malloc): a $K-entry dict" \
            env PYTHONMALLOC=malloc python3 -c "d={('k%d'%i):[i,str(i)] for i in range($K)}; print(len(d))"
    fi
    if command -v jq >/dev/null; then
        small "jq: an array of $K small objects" jq -n "[range($K) | {k: ., v: tostring}] | length"
    fi
fi
exit $status
