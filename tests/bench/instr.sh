#!/usr/bin/env bash
# instr.sh - what one malloc+free pair costs inside the allocator, counted by
# callgrind (valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes):
# instructions, L1 data misses (reads + writes) and branch mispredictions
# (conditional + indirect). These counts do not move with the machine's load.
#
# Each micro workload (build/bench/micro) runs at two lengths; the figure is
# (cost at S2 - cost at S1) / (pairs at S2 - pairs at S1), where the cost is
# the inclusive cost of every call the churn loop (micro.c, churn)
# makes outside the program: malloc and free, whatever the allocator names
# them inside. The program's own work and the start-up cancel out; the fill
# and the final frees are outside the churn loop, left out.
#
#   tests/bench/instr.sh [--quick]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MICRO="$ROOT/build/bench/micro"
CORE="$ROOT/build/bench/microcore" # micro on the core alone (libslz.a): the core rows
LIB="$ROOT/libslzmalloc.so"
S1=100000 S2=300000 LIVE=1000000 QUICK=
# live: fewer steps (50,000 and 150,000) over its 1M blocks, whose fill alone
# takes up to 30 s a run under callgrind: full mode stays near 10 minutes on 2 cores
LS1=50000 LS2=150000
case "${1:-}" in
--quick) S1=2000 S2=6000 LIVE=20000 LS1=2000 LS2=6000 QUICK=1 ;; # plain, shim1G, cache1G, secure1G and the core rows only
"") ;;
*) echo "usage: instr.sh [--quick]" >&2; exit 2 ;;
esac
for f in "$MICRO" "$CORE" "$LIB"; do
    [ -e "$f" ] || { echo "instr.sh: $f missing (make bench-build)" >&2; exit 2; }
done
if ! command -v valgrind >/dev/null || ! command -v callgrind_annotate >/dev/null; then
    echo "# instr: valgrind (callgrind) not installed: no instruction counts"
    exit 0
fi

# configurations: plain glibc, the shim with its default heap and with 1G,
# the shim with 1G and its opt-in cache (SLZ_CACHE=1) or secure profile
# (SLZ_SECURE=1), every installed peer
CONFIGS=(plain shim shim1G cache1G secure1G)
declare -A PRE=([plain]="" [shim]="$LIB" [shim1G]="$LIB" [cache1G]="$LIB" [secure1G]="$LIB")
declare -A ENV=([shim1G]="SLZ_HEAP_SIZE=1G" [cache1G]="SLZ_HEAP_SIZE=1G SLZ_CACHE=1" [secure1G]="SLZ_HEAP_SIZE=1G SLZ_SECURE=1")
# core1G, corecache1G: the same churn on one core heap of 1G (flags 0 or
# SLZ_CACHE), slz_malloc and slz_free called directly: shim1G - core1G and
# cache1G - corecache1G are what the shim adds to a pair
CONFIGS+=(core1G corecache1G)
declare -A PROG=([core1G]="$CORE" [corecache1G]="$CORE")
ENV[corecache1G]="SLZ_CACHE=1"
. "$ROOT/tests/bench/peers.sh"
add_peer() { CONFIGS+=("$1"); PRE[$1]="$2"; }
if [ -n "$QUICK" ]; then
    CONFIGS=(plain shim1G cache1G secure1G core1G corecache1G)
else
    each_peer add_peer
    # unchecked1G: the shim built without its in-band checks (bench.mk's
    # variant), 1G heap: shim1G - unchecked1G is what the checks cost a pair
    UNCHECKED="$ROOT/build/bench/unchecked/libslzmalloc.so"
    if [ -e "$UNCHECKED" ]; then
        add_peer unchecked1G "$UNCHECKED"
        ENV[unchecked1G]="SLZ_HEAP_SIZE=1G"
    fi
    # proto: the ffstudy prototype p1 behind malloc/free (floor.sh builds it):
    # the design's floor with no checks, keys, page release or statistics,
    # counted exactly as the shim is
    FFPRE="$ROOT/build/bench/ffstudy/ffpre.so"
    if [ -e "$FFPRE" ]; then add_peer proto "$FFPRE"; else echo "# proto: $FFPRE missing (tests/bench/floor.sh builds it), row skipped"; fi
fi
# a library without the cache ignores SLZ_CACHE: its statistics then say
# nothing of a cache, and the row reads n/a
# shellcheck disable=SC2086
if ! env LD_PRELOAD="$LIB" ${ENV[cache1G]} SLZ_STATS=1 "$MICRO" st 1000 2>&1 >/dev/null | grep -qi cache; then
    ENV[cache1G]="" NA_cache1G=1
fi
TESTS=("st" "rep" "live")
declare -A EXTRA=([live]="$LIVE") FIRST=([live]=$LS1) SECOND=([live]=$LS2)

OUT="$(mktemp -d)"
trap 'rm -rf "$OUT"' EXIT

# cost C TEST STEPS: "pairs Ir D1miss Bmiss" of one callgrind run of micro
# TEST STEPS under configuration C (pairs: micro's malloc and free calls / 2)
cost() {
    local f="$OUT/cg.$1.$2.$3" what="micro $2 $3 under $1" line prog="${PROG[$1]:-$MICRO}"
    # shellcheck disable=SC2086
    line=$(env -u SLZ_HEAP_SIZE ${PRE[$1]:+LD_PRELOAD=${PRE[$1]}} ${ENV[$1]:-} \
        valgrind --tool=callgrind --cache-sim=yes --branch-sim=yes --callgrind-out-file="$f" \
        "$prog" "$2" "$3" ${EXTRA[$2]:-} 2>"$f.err")
    # shellcheck disable=SC2086 # the row: test threads ops seconds Mops errors
    set -- $line
    if [ $# -ne 6 ] || [ "$6" != 0 ]; then
        echo "# instr: $what and callgrind printed '$line'; $(grep -m1 -e '^slzmalloc:' -e 'brk segment' "$f.err")" >&2
        return 1
    fi
    # (from /: callgrind_annotate leaves out the object of a file under the
    # current folder, and the object tells the program from the allocator)
    (cd / && callgrind_annotate --tree=calling --inclusive=yes --auto=no --show=Ir,D1mr,D1mw,Bcm,Bim "$f" 2>/dev/null) |
        awk -v pairs="$(($3 / 2))" -v prog="[$prog]" '
        { gsub(/\( *[0-9.]+%\)/, ""); gsub(/,/, "") }
        $6 == "*" { inside = $7 ~ /micro\.c:churn/; next }
        # a call the churn loop makes: its inclusive cost, unless it stays in
        # the program or is the dynamic linker binding a symbol (the core
        # rows: the calls into the core linked in)
        inside && $6 == ">" && (index($0, prog) == 0 && $0 !~ /ld-linux|dl-trampoline|tests\/bench\// ||
                                $7 ~ /:slz_(malloc|calloc|free)$/) {
            for (i = 1; i <= 5; i++) if ($i == ".") $i = 0
            ir += $1; d1 += $2 + $3; bm += $4 + $5; n++
        }
        END { if (n) printf "%d %.0f %.0f %.0f\n", pairs, ir, d1, bm; else exit 1 }'
}

# one row per test and configuration: test config and the two runs' costs
ROWS="$OUT/rows"
for t in "${TESTS[@]}"; do
    for c in "${CONFIGS[@]}"; do
        if [ "$c" = cache1G ] && [ -n "${NA_cache1G:-}" ]; then
            echo "$t $c n/a" >> "$ROWS"
        elif a=$(cost "$c" "$t" "${FIRST[$t]:-$S1}") && b=$(cost "$c" "$t" "${SECOND[$t]:-$S2}"); then
            echo "$t $c $a $b" >> "$ROWS"
        else
            echo "$t $c failed" >> "$ROWS"
            status=1
        fi
    done
done

echo "# instr (callgrind): cost inside the allocator per malloc+free pair, from micro st (churn over 4096"
echo "#   blocks of 8..1024 bytes), rep (the same, 80% of the sizes from 16 values) and live (churn over"
echo "#   $LIVE blocks, all filled first); (cost at $S2 steps - at $S1; live: $LS2 - $LS1) / pairs between them."
echo "#   instr = instructions, D1 = L1 data misses, brmiss = branch mispredictions; x_ = ratio to plain."
echo "#   shim = default heap, shim1G/cache1G = SLZ_HEAP_SIZE=1G, cache1G with SLZ_CACHE=1 (n/a: the"
echo "#   library has no cache);"
echo "#   secure1G with SLZ_SECURE=1 (the quarantine). Counts, not times: they do not move with the machine's load"
echo "#   (but jemalloc purges on a timer: its live row moved from 229 to 10 instructions between two runs)."
echo "#   core1G/corecache1G: the core alone (build/bench/microcore, flags 0/SLZ_CACHE): the shim's own cost"
echo "#   per pair is shim1G - core1G, and cache1G - corecache1G. proto: the ffstudy prototype p1 preloaded"
echo "#   (floor.sh's ffpre.so): exact first fit at its floor, without checks, keys, page release or statistics."
echo "#   unchecked1G: the shim built without its in-band checks (SLZ_UNCHECKED), SLZ_HEAP_SIZE=1G."
awk '
function per(i) { return (r[i + 4] - r[i]) / (r[4] - r[0]) }
{ if (!($1 in seen)) { seen[$1] = 1; order[++nt] = $1 } if (!($2 in cseen)) { cseen[$2] = 1; corder[++nc] = $2 } }
{
    if ($3 == "n/a" || $3 == "failed") { for (i = 0; i < 3; i++) v[$1, $2, i] = $3; next }
    split($3 " " $4 " " $5 " " $6 " " $7 " " $8 " " $9 " " $10, a, " ")
    for (i = 0; i < 8; i++) r[i] = a[i + 1]
    if (r[4] <= r[0]) { for (i = 0; i < 3; i++) v[$1, $2, i] = "failed"; next }
    for (i = 0; i < 3; i++) v[$1, $2, i] = per(i + 1)
}
function fmt(x, d) { return x == "n/a" || x == "failed" ? x : sprintf("%." d "f", x) }
function ratio(x, b) { return x == "n/a" || x == "failed" || b == "n/a" || b == "failed" || b + 0 == 0 ? "n/a" : sprintf("%.2f", x / b) }
END {
    printf "%-5s %-11s %8s %8s %7s %7s %7s %8s\n", "test", "config", "instr", "x_instr", "D1", "x_D1", "brmiss", "x_brmiss"
    for (i = 1; i <= nt; i++) {
        t = order[i]
        for (k = 1; k <= nc; k++) {
            c = corder[k]
            printf "%-5s %-11s %8s %8s %7s %7s %7s %8s\n", t, c, fmt(v[t, c, 0], 1), ratio(v[t, c, 0], v[t, "plain", 0]), \
                fmt(v[t, c, 1], 2), ratio(v[t, c, 1], v[t, "plain", 1]), fmt(v[t, c, 2], 2), ratio(v[t, c, 2], v[t, "plain", 2])
        }
    }
}' "$ROWS"
exit "${status:-0}"
