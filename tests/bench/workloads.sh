#!/usr/bin/env bash
# workloads.sh - the allocation-heavy workloads (build/bench/workloads) run
# plainly on glibc, under the shim with its default one-page heap, under the
# shim with SLZ_HEAP_SIZE=1G (and with SLZ_CACHE=1 too: cache1G), and under
# jemalloc, mimalloc and tcmalloc when installed. Median seconds of the runs
# and the ratio of each shim column to plain glibc (above 1: slower than
# glibc); then one figure per public benchmark (the geomean of its rows) and
# their geomean; then instructions per workload (valgrind, whole program) for
# plain, shim1G and cache1G; then the aligned-allocation table (issue 9) with
# its quarters. Figures only: nothing here asserts on time.
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
# cache1G: the 1G heap with the fast mode of issue 17, after shim1G
CONFIGS=("${CONFIGS[@]:0:3}" cache1G "${CONFIGS[@]:3}")
# shellcheck disable=SC2154 # PRE and HEAP are associative (peers.sh)
PRE[cache1G]="$LIB" HEAP[cache1G]=1G
declare -A ENV=([cache1G]="SLZ_CACHE=1") # other variables of a configuration

# the workloads: "NAME THREADS ARGS..." (arguments after THREADS per workloads.c)
if [ "$QUICK" = 1 ]; then
    TESTS=("larson 2 40000" "xmalloc 2 20000" "cfrac 1 40000" "cfrac 2 20000" "espresso 1 40000" "espresso 2 20000"
        "simple 1 100 16" "simple 1 100 256" "simple 1 100 1024" "simple 1 100 4096"
        "simple 2 100 16" "simple 2 100 256" "simple 2 100 1024" "simple 2 100 4096"
        "mthread 1 40000" "mthread 2 20000" "mthread 4 10000" "large 1 40" "mstress 2 6" "mstress 4 3")
    ALIGNED=2000
    INSTR=("cfrac 1 2000" "espresso 1 4000" "simple 1 10 256")
else
    # sized for about 0.2-1 s a run on glibc (bench-malloc-simple with 4096 bytes is
    # the slow one there: glibc trims its heap after every round)
    TESTS=("larson 2 500000" "xmalloc 2 1000000" "cfrac 1 1000000" "cfrac 2 500000" "espresso 1 2000000" "espresso 2 1000000"
        "simple 1 2000 16" "simple 1 2000 256" "simple 1 1000 1024" "simple 1 500 4096"
        "simple 2 2000 16" "simple 2 2000 256" "simple 2 1000 1024" "simple 2 500 4096"
        "mthread 1 1000000" "mthread 2 500000" "mthread 4 250000" "large 1 2000" "mstress 2 200" "mstress 4 100")
    ALIGNED=16000
    # one row of each public benchmark for the instruction counts, at about
    # 0.1 s natively (a second or two under valgrind)
    INSTR=("larson 2 50000" "xmalloc 2 100000" "cfrac 1 100000" "espresso 1 200000" "simple 1 200 256"
        "mthread 1 100000" "large 1 200" "mstress 2 20")
fi

# instructions TEST...: one run of each workload (smaller sizes) under
# valgrind for plain, shim1G and cache1G: the program's instructions in all,
# its own work included (so the ratio understates the allocator's share);
# counts, they do not move with the machine's load
instructions() {
    local t c line n
    if ! command -v valgrind >/dev/null; then
        echo; echo "# workloads: valgrind not installed, no instruction counts"
        return 0
    fi
    echo
    echo "# instructions (valgrind --tool=cachegrind, whole program, one run at the size shown); x = / plain"
    printf "%-20s %12s %12s %12s %10s %10s\n" "workload" "plain_I" "shim1G_I" "cache1G_I" "x_shim1G" "x_cache1G"
    for t in "$@"; do
        line=""
        for c in plain shim1G cache1G; do
            # shellcheck disable=SC2086 # t and ENV are split into words
            n=$(env -u SLZ_HEAP_SIZE ${PRE[$c]:+LD_PRELOAD=${PRE[$c]}} ${HEAP[$c]:+SLZ_HEAP_SIZE=${HEAP[$c]}} ${ENV[$c]:-} \
                valgrind --tool=cachegrind --cache-sim=no --cachegrind-out-file=/dev/null "$WL" $t 2>&1 >/dev/null |
                awk '/I +refs:/ { gsub(/,/, "", $NF); print $NF }')
            [ -n "$n" ] || { echo "# workloads: $t under $c and valgrind: no count" >&2; n=0; }
            line="$line $n"
        done
        # shellcheck disable=SC2086
        set -- $line
        awk -v t="${t// /_}" -v a="$1" -v b="$2" -v c="$3" 'BEGIN {
            printf "%-20s %12d %12d %12d %10.2f %10.2f\n", t, a, b, c, (a > 0 ? b / a : 0), (a > 0 ? c / a : 0)
            exit !(a > 0 && b > 0 && c > 0) }' || return 1
    done
}

RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
NC=${#CONFIGS[@]}
# run_one CONFIG ARGS...: one run of the workloads program; prints its row
# (a row with an error when it failed)
run_one() {
    local c=$1 out rc
    shift
    # shellcheck disable=SC2086 # ENV holds whole VAR=VALUE words
    out=$(env -u SLZ_HEAP_SIZE ${PRE[$c]:+LD_PRELOAD=${PRE[$c]}} ${HEAP[$c]:+SLZ_HEAP_SIZE=${HEAP[$c]}} ${ENV[$c]:-} \
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

echo "# workloads (tests/bench/workloads.c; after larson, xmalloc-test, cfrac, espresso, glibc's"
echo "#   bench-malloc-simple and bench-malloc-thread, malloc-large, mstress): seconds, median of $RUNS run(s)."
echo "#   shim = default one-page heap, shim1G = SLZ_HEAP_SIZE=1G, cache1G = the same with SLZ_CACHE=1;"
echo "#   x = seconds / plain seconds (above 1: slower than glibc); errors = wrong blocks, NULL returns or"
echo "#   failed runs, all configurations."
awk -v configs="${CONFIGS[*]}" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
# the public benchmark a row stands for: simple-SIZE and mthread are those of glibc
function bench(w) { return w ~ /^simple-/ || w == "mthread" ? "glibc" : w }
$1 != "aligned" {
    key = $1 " " $2
    if (!(key in seen)) { seen[key] = 1; order[++nt] = key }
    v[key, $3] = v[key, $3] " " $4; e[key] += $5
}
END {
    nc = split(configs, C, " "); nx = split("shim shim1G cache1G", X, " ")
    printf "%-13s %3s", "workload", "thr"
    for (k = 1; k <= nc; k++) printf " %9s", C[k] "_s"
    for (x = 1; x <= nx; x++) printf " %9s", "x_" X[x]
    printf " %6s\n", "errors"
    for (i = 1; i <= nt; i++) {
        split(order[i], w, " "); b = bench(w[1])
        if (!(b in nrow)) border[++nb] = b
        nrow[b]++
        printf "%-13s %3d", w[1], w[2]
        for (k = 1; k <= nc; k++) { m[C[k]] = median(v[order[i], C[k]]); printf " %9.4f", m[C[k]] }
        base = m["plain"]
        for (x = 1; x <= nx; x++) {
            r = base > 0 && (X[x] in m) ? m[X[x]] / base : 0
            printf " %9.2f", r
            if (r > 0) lg[b, x] += log(r); else bad[b, x] = 1
            if (r > worst[x]) { worst[x] = r; wrow[x] = w[1] ", " w[2] " thread(s)" }
        }
        printf " %6d\n", e[order[i]]
    }
    print ""
    for (x = 1; x <= nx; x++) printf "# worst row %s: %.2f (%s)\n", X[x], worst[x], wrow[x]
    print "# per public benchmark: the geomean of the x of its rows (glibc = bench-malloc-simple and -thread);"
    print "#   geomean = of the benchmarks"
    printf "%-13s", "benchmark"
    for (x = 1; x <= nx; x++) printf " %9s", "x_" X[x]
    printf "\n"
    for (i = 1; i <= nb; i++) {
        b = border[i]; printf "%-13s", b
        for (x = 1; x <= nx; x++) {
            g = bad[b, x] ? 0 : exp(lg[b, x] / nrow[b]); printf " %9.2f", g
            if (g > 0) { all[x] += log(g); nall[x]++ }
        }
        printf "\n"
    }
    printf "%-13s", "geomean"
    for (x = 1; x <= nx; x++) printf " %9.2f", nall[x] == nb && nb ? exp(all[x] / nb) : 0
    printf "\n"
}' "$RAW"

instructions "${INSTR[@]}" || status=1

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
# a wrong block, a failed run or a missing instruction count makes the run fail
awk '$5 != 0 { bad = 1 } END { exit bad }' "$RAW" && [ "${status:-0}" = 0 ]
