#!/usr/bin/env bash
# holes.sh - aligned requests over many free holes (issue 16 item 5): time of
# one posix_memalign (page and two-page alignment in turn) over 1,000 and over
# 64,000 free holes that have no aligned spot (build/bench/micro holes), plain
# glibc and the shim with SLZ_HEAP_SIZE=1G; median of the runs, and the ratio
# many/few: 1 when a call does not depend on the holes, up to 64 when it walks
# every one.
#
#   tests/bench/holes.sh [--quick] [--runs N]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MICRO="$ROOT/build/bench/micro"
LIB="$ROOT/libslzmalloc.so"
RUNS=3 FEW=1000 MANY=64000 CALLS=400
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) RUNS=1 FEW=200 MANY=2000 CALLS=40 ;;
    --runs) RUNS="$2"; shift ;;
    *) echo "usage: holes.sh [--quick] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done
for f in "$MICRO" "$LIB"; do
    [ -e "$f" ] || { echo "holes.sh: $f missing (make bench-build)" >&2; exit 2; }
done

declare -A PRE=([plain]="" [shim1G]="LD_PRELOAD=$LIB SLZ_HEAP_SIZE=1G")
RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
for ((r = 1; r <= RUNS; r++)); do
    for c in plain shim1G; do
        for h in "$FEW" "$MANY"; do
            # shellcheck disable=SC2046,SC2086 # the row: holes 1 ops seconds ns errors
            set -- $(env -u SLZ_HEAP_SIZE ${PRE[$c]} "$MICRO" holes "$h" "$CALLS")
            echo "$c $h ${5:-0} ${6:-1}" >> "$RAW"
        done
    done
done

echo "# holes: posix_memalign of 64 bytes, alignment 4096 and 8192 in turn, each block freed at once, over"
echo "#   $FEW (few) and $MANY (many) free 256-byte holes without an aligned spot, each between live"
echo "#   blocks; ns per call, median of $RUNS run(s) of $CALLS calls; many/few = the ratio of the two."
awk -v few="$FEW" -v many="$MANY" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ v[$1, $2] = v[$1, $2] " " $3; e[$1] += $4 }
END {
    printf "%-8s %11s %11s %9s %6s\n", "config", "ns_few", "ns_many", "many/few", "errors"
    split("plain shim1G", C, " ")
    for (k = 1; k <= 2; k++) {
        a = median(v[C[k], few]); b = median(v[C[k], many])
        printf "%-8s %11.1f %11.1f %9.2f %6d\n", C[k], a, b, (a > 0 ? b / a : 0), e[C[k]]
    }
}' "$RAW"
# a misaligned block, a failure or a failed run makes the run fail
! awk '$4 != 0 { bad = 1 } END { exit !bad }' "$RAW"
