#!/usr/bin/env bash
# micro.sh - the allocation microbenchmarks (build/bench/micro) run plainly,
# under the shim with SLZ_HEAP_SIZE=1G (and again with SLZ_CACHE=1: the fast
# mode of issue 17; with SLZ_SITES=1: the cost of recording call sites; and
# with the library built without its in-band header and canary checks,
# build/bench/unchecked/: what the checks cost), and under jemalloc, mimalloc
# and tcmalloc when installed; median Mops/s of the runs and the ratio to plain.
#
#   tests/bench/micro.sh [--quick] [--runs N]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MICRO="$ROOT/build/bench/micro"
LIB="$ROOT/libslzmalloc.so"
RUNS=5 STEPS=5000000 BLOCKS=1000000
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) RUNS=1 STEPS=100000 BLOCKS=20000 ;;
    --runs) RUNS="$2"; shift ;;
    *) echo "usage: micro.sh [--quick] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done
for f in "$MICRO" "$LIB"; do
    [ -e "$f" ] || { echo "micro.sh: $f missing (make bench-build)" >&2; exit 2; }
done

UNCHECKED="$ROOT/build/bench/unchecked/libslzmalloc.so"
CONFIGS=(plain shim1G cache1G sites1G)
declare -A PRE=([plain]="" [shim1G]="$LIB" [cache1G]="$LIB" [sites1G]="$LIB")
if [ -e "$UNCHECKED" ]; then
    CONFIGS+=(unchecked1G)
    PRE[unchecked1G]="$UNCHECKED"
fi
declare -A ENV=([sites1G]="SLZ_SITES=1" [cache1G]="SLZ_CACHE=1") # other variables of a configuration
. "$ROOT/tests/bench/peers.sh"
add_peer() { CONFIGS+=("$1"); PRE[$1]="$2"; }
each_peer add_peer
TESTS=("st $STEPS" "mt 2 $BLOCKS" "mt 4 $BLOCKS")

RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
NC=${#CONFIGS[@]}
for ((r = 1; r <= RUNS; r++)); do
    for t in "${TESTS[@]}"; do
        for ((k = 0; k < NC; k++)); do
            c=${CONFIGS[$(((k + r) % NC))]} # each round starts with another configuration
            # shellcheck disable=SC2086
            line=$(env ${PRE[$c]:+LD_PRELOAD=${PRE[$c]}} SLZ_HEAP_SIZE=1G ${ENV[$c]:-} "$MICRO" $t) ||
                echo "# micro $t under $c: exit $?" >&2
            # shellcheck disable=SC2086 # split the row into fields
            set -- $line
            name=${1:-?}; [ "$name" = mt ] && name=mt$2
            echo "$name $c ${5:-0} ${6:-1}" >> "$RAW"
        done
    done
done

echo "# micro: st = one thread, pool of 4096 blocks, random sizes 8..1024, free+malloc per step;"
echo "#   mt T = T threads in a ring passing blocks of 8..1024 bytes to the next one, which frees them."
echo "#   Mops = millions of malloc+free calls per second, median of $RUNS run(s); x = ratio to plain;"
echo "#   every slz row with SLZ_HEAP_SIZE=1G: cache1G with SLZ_CACHE=1, sites1G with SLZ_SITES=1,"
echo "#   unchecked1G built without the in-band checks"
awk -v configs="${CONFIGS[*]}" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ if (!($1 in seen)) { seen[$1] = 1; order[++nt] = $1 } v[$1, $2] = v[$1, $2] " " $3; e[$1, $2] += $4 }
END {
    nc = split(configs, C, " ")
    printf "%-5s %-11s %9s %9s %8s %6s\n", "test", "config", "Mops", "x_plain", "slowdown", "errors"
    for (i = 1; i <= nt; i++) {
        t = order[i]; base = median(v[t, "plain"])
        for (k = 1; k <= nc; k++) {
            m = median(v[t, C[k]])
            printf "%-5s %-11s %9.2f %9.3f %8.2f %6d\n", t, C[k], m, (base > 0 ? m / base : 0), (m > 0 ? base / m : 0), e[t, C[k]]
        }
    }
}' "$RAW"
# wrong block contents or a failed run make the run fail
! awk '$4 != 0 { bad = 1 } END { exit !bad }' "$RAW"
