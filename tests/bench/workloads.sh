#!/usr/bin/env bash
# workloads.sh - the allocation-heavy workloads (build/bench/workloads) run
# plainly on glibc, under the shim with its default one-page heap, under the
# shim with SLZ_HEAP_SIZE=1G, and under jemalloc, mimalloc and tcmalloc when
# installed. Median seconds of the runs and the ratio of each shim column to
# plain glibc (above 1: slower than glibc); then the aligned-allocation table
# (issue 9) with its quarters. Figures only: nothing here asserts on time.
#
#   tests/bench/workloads.sh [--quick] [--runs N]
#
# Exit status 1 when a run found a wrong block, got NULL, or failed.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WL="$ROOT/build/bench/workloads"
LIB="$ROOT/libslzmalloc.so"
RUNS=3 QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1 RUNS=1 ;;
    --runs) RUNS="$2"; shift ;;
    *) echo "usage: workloads.sh [--quick] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done
for f in "$WL" "$LIB"; do
    [ -e "$f" ] || { echo "workloads.sh: $f missing (make bench-build)" >&2; exit 2; }
done

# configurations: the preloaded library and the heap size given to the shim
. "$ROOT/tests/bench/peers.sh"
shim_and_peers "$LIB"

# the workloads: "NAME THREADS ARGS..." (arguments after THREADS per workloads.c)
if [ "$QUICK" = 1 ]; then
    TESTS=("larson 2 40000" "xmalloc 2 20000" "cfrac 1 40000" "cfrac 2 20000"
        "simple 1 100 16" "simple 1 100 256" "simple 1 100 1024" "simple 1 100 4096"
        "simple 2 100 16" "simple 2 100 256" "simple 2 100 1024" "simple 2 100 4096"
        "mthread 1 40000" "mthread 2 20000" "mthread 4 10000" "large 1 40" "mstress 2 6" "mstress 4 3")
    ALIGNED=2000
else
    # sized for about 0.2-1 s a run on glibc (bench-malloc-simple with 4096 bytes is
    # the slow one there: glibc trims its heap after every round)
    TESTS=("larson 2 500000" "xmalloc 2 1000000" "cfrac 1 1000000" "cfrac 2 500000"
        "simple 1 2000 16" "simple 1 2000 256" "simple 1 1000 1024" "simple 1 500 4096"
        "simple 2 2000 16" "simple 2 2000 256" "simple 2 1000 1024" "simple 2 500 4096"
        "mthread 1 1000000" "mthread 2 500000" "mthread 4 250000" "large 1 2000" "mstress 2 200" "mstress 4 100")
    ALIGNED=16000
fi

RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
NC=${#CONFIGS[@]}
# run_one CONFIG ARGS...: one run of the workloads program; prints its row
# (a row with an error when it failed)
run_one() {
    local c=$1 out rc
    shift
    out=$(env -u SLZ_HEAP_SIZE ${PRE[$c]:+LD_PRELOAD=${PRE[$c]}} ${HEAP[$c]:+SLZ_HEAP_SIZE=${HEAP[$c]}} \
        timeout 900 "$WL" "$@" 2>/dev/null)
    rc=$?
    if [ -z "$out" ]; then
        echo "# workloads $* under $c: exit $rc, no result" >&2
        echo "$1 ${2:-1} 0 0 1"
    else
        [ $rc -eq 0 ] || echo "# workloads $* under $c: exit $rc" >&2
        echo "$out"
    fi
}
for ((r = 1; r <= RUNS; r++)); do
    for t in "${TESTS[@]}" "aligned $ALIGNED"; do
        for ((k = 0; k < NC; k++)); do
            c=${CONFIGS[$(((k + r) % NC))]} # each round starts with another configuration
            # shellcheck disable=SC2086,SC2046 # t and the row are split into words
            set -- $(run_one "$c" $t)
            name=$1
            case "$t" in simple*) name="simple-${t##* }" ;; esac
            # row: test-key threads config seconds errors [quarters]
            echo "$name $2 $c $4 $5 ${6:-} ${7:-} ${8:-} ${9:-}" >> "$RAW"
        done
    done
done

echo "# workloads (tests/bench/workloads.c; after larson, xmalloc-test, cfrac, glibc's bench-malloc-simple"
echo "#   and bench-malloc-thread, malloc-large, mstress): seconds, median of $RUNS run(s)."
echo "#   shim = default one-page heap, shim1G = SLZ_HEAP_SIZE=1G; x = seconds / plain seconds (above 1: slower"
echo "#   than glibc); errors = wrong blocks, NULL returns or failed runs, all configurations."
awk -v configs="${CONFIGS[*]}" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 != "aligned" {
    key = $1 " " $2
    if (!(key in seen)) { seen[key] = 1; order[++nt] = key }
    v[key, $3] = v[key, $3] " " $4; e[key] += $5
}
END {
    nc = split(configs, C, " ")
    printf "%-13s %3s", "workload", "thr"
    for (k = 1; k <= nc; k++) printf " %9s", C[k] "_s"
    printf " %8s %8s %6s\n", "x_shim", "x_shim1G", "errors"
    for (i = 1; i <= nt; i++) {
        split(order[i], w, " ")
        printf "%-13s %3d", w[1], w[2]
        for (k = 1; k <= nc; k++) { m[C[k]] = median(v[order[i], C[k]]); printf " %9.4f", m[C[k]] }
        base = m["plain"]
        printf " %8.2f %8.2f %6d\n", (base > 0 ? m["shim"] / base : 0), (base > 0 ? m["shim1G"] / base : 0), e[order[i]]
    }
}' "$RAW"

echo
echo "# aligned (issue 9): $ALIGNED page-aligned blocks (memalign(4096) and valloc in turn, 64..1024 bytes),"
echo "#   each followed by a small malloc, all live to the end; seconds for all of them and per quarter,"
echo "#   median of $RUNS run(s); x_plain = total / plain total; q4/q1 = last quarter / first quarter."
awk -v configs="${CONFIGS[*]}" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
$1 == "aligned" {
    tot[$3] = tot[$3] " " $4; e[$3] += $5
    for (q = 1; q <= 4; q++) qs[$3, q] = qs[$3, q] " " $(5 + q)
}
END {
    nc = split(configs, C, " ")
    printf "%-9s %9s %8s %9s %9s %9s %9s %7s %6s\n", "config", "total_s", "x_plain", "q1_s", "q2_s", "q3_s", "q4_s", "q4/q1", "errors"
    base = median(tot["plain"])
    for (k = 1; k <= nc; k++) {
        c = C[k]; t = median(tot[c])
        for (q = 1; q <= 4; q++) mq[q] = median(qs[c, q])
        printf "%-9s %9.4f %8.2f %9.4f %9.4f %9.4f %9.4f %7.2f %6d\n", c, t, (base > 0 ? t / base : 0), \
            mq[1], mq[2], mq[3], mq[4], (mq[1] > 0 ? mq[4] / mq[1] : 0), e[c]
    }
}' "$RAW"
# a wrong block or a failed run makes the run fail
! awk '$5 != 0 { bad = 1 } END { exit !bad }' "$RAW"
