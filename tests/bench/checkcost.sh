#!/usr/bin/env bash
# checkcost.sh - what SLZ_CHECK=1 costs a call (issue 21, item 5): the
# micro churns under the shim, without and with SLZ_CHECK=1: st (a pool of
# 4096 blocks of 8..1024 bytes) with SLZ_HEAP_SIZE=1M and 1G, and live (the
# same churn over BLOCKS blocks all live: a high-water mark of tens of MB)
# with 1G. ns = nanoseconds per malloc or free call, median of the runs;
# x_off = the ratio to the same row without SLZ_CHECK. Each call checks the
# chunks around its block, and the whole heap once every as many checks as
# KiB below its high-water mark (preload/shim.c, check_heap): the figure
# should not grow with the heap (1G against 1M).
#
#   tests/bench/checkcost.sh [--quick] [--runs N]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MICRO="$ROOT/build/bench/micro"
LIB="$ROOT/libslzmalloc.so"
RUNS=3 STEPS=20000 BLOCKS=100000
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) RUNS=1 STEPS=2000 BLOCKS=20000 ;;
    --runs) RUNS="$2"; shift ;;
    *) echo "usage: checkcost.sh [--quick] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done
for f in "$MICRO" "$LIB"; do
    [ -e "$f" ] || { echo "checkcost.sh: $f missing (make bench-build)" >&2; exit 2; }
done

ROWS=("st 1M st $STEPS" "st 1G st $STEPS" "live 1G live $STEPS $BLOCKS")
RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
status=0
for ((r = 1; r <= RUNS; r++)); do
    for row in "${ROWS[@]}"; do
        read -r name heap args <<<"$row"
        for check in 0 1; do
            # shellcheck disable=SC2086 # args: the micro test and its numbers
            line=$(env LD_PRELOAD="$LIB" SLZ_HEAP_SIZE="$heap" SLZ_CHECK=$check "$MICRO" $args) || {
                echo "# micro $args with SLZ_CHECK=$check, $heap heap: exit $?" >&2
                status=1
            }
            read -r _ _ _ _ mops errors <<<"$line"
            echo "$name $heap $check ${mops:-0} ${errors:-1}" >>"$RAW"
        done
    done
done

echo "# SLZ_CHECK=1: ns per malloc or free call, median of $RUNS run(s); st $STEPS steps (pool of 4096), live $STEPS steps over $BLOCKS live blocks"
awk '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ k = $1 " " $2; if (!(k in seen)) { seen[k] = 1; order[++n] = k } v[k, $3] = v[k, $3] " " $4; e[k] += $5 }
END {
    printf "%-5s %-5s %10s %10s %8s %6s\n", "test", "heap", "ns_off", "ns_check", "x_off", "errors"
    for (i = 1; i <= n; i++) {
        k = order[i]; off = median(v[k, 0]); on = median(v[k, 1])
        split(k, f, " ")
        printf "%-5s %-5s %10.1f %10.1f %8.1f %6d\n", f[1], f[2], (off > 0 ? 1000 / off : 0), (on > 0 ? 1000 / on : 0),
               (on > 0 && off > 0 ? off / on : 0), e[k]
    }
}' "$RAW"
! awk '$5 != 0 { bad = 1 } END { exit !bad }' "$RAW" && exit $status
