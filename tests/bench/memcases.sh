#!/usr/bin/env bash
# memcases.sh - the three memory cases of issue 8 point 7 (build/bench/memcases)
# run plainly on glibc, under the shim with its default one-page heap and with
# SLZ_HEAP_SIZE=1G, and under jemalloc, mimalloc and tcmalloc when installed:
# peak RSS and RSS after the case freed its blocks, in MB, and the ratio of
# each shim column to plain glibc (above 1: more memory than glibc).
# Memory figures are deterministic enough that one run each is shown.
#
#   tests/bench/memcases.sh [--quick]
#
# Exit status 1 when a case found wrong contents, got NULL, or failed.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
MC="$ROOT/build/bench/memcases"
LIB="$ROOT/libslzmalloc.so"
. "$ROOT/tests/bench/args.sh"
bench_args memcases.sh "$@"
need_built memcases.sh "$MC" "$LIB"

. "$ROOT/tests/bench/peers.sh"
shim_and_peers "$LIB"

if [ "$QUICK" = 1 ]; then
    CASES=("calloc 16 1048576 2" "realloc 64 4" "pin 10000 4000 2000")
else
    CASES=("calloc 135 1048576 3" "realloc 1147 16" "pin 100000 4000 5000")
fi

RAW="$(mktemp)"
trap 'rm -f "$RAW"' EXIT
for t in "${CASES[@]}"; do
    for c in "${CONFIGS[@]}"; do
        # shellcheck disable=SC2086 # t is split into the program's arguments
        out=$(env -u SLZ_HEAP_SIZE ${PRE[$c]:+LD_PRELOAD=${PRE[$c]}} ${HEAP[$c]:+SLZ_HEAP_SIZE=${HEAP[$c]}} \
            timeout 600 "$MC" $t 2>/dev/null)
        rc=$?
        [ $rc -eq 0 ] || echo "# memcases $t under $c: exit $rc" >&2
        [ -n "$out" ] || out="${t%% *} 0 0 1"
        echo "$c $out" >> "$RAW"
    done
done

echo "# memory cases (issue 8 point 7; tests/bench/memcases.c): resident set in MB from /proc/self/status."
echo "#   calloc:  $(printf '%s' "${CASES[0]}" | awk '{ printf "%d rounds: %d MB in %d-byte blocks malloc'"'"'d (1 page in 8 written), freed, calloc'"'"'d (1 page in 8 touched), freed", $4, $2, $3 }')"
echo "#   realloc: $(printf '%s' "${CASES[1]}" | awk '{ printf "one block grown by realloc to %d MB in %d MB steps, every page written", $2, $3 }')"
echo "#   pin:     $(printf '%s' "${CASES[2]}" | awk '{ printf "%d blocks of %d bytes, a small block after every %d, big ones freed", $2, $3, $4 }')"
echo "#   peak = VmHWM at the end; after = VmRSS once the case freed its blocks (pin: small ones still live)."
echo "#   shim = default one-page heap, shim1G = SLZ_HEAP_SIZE=1G; x = MB / plain MB (above 1: more than glibc)"
awk -v configs="${CONFIGS[*]}" '
{ if (!($2 in seen)) { seen[$2] = 1; order[++nt] = $2 } peak[$2, $1] = $3 / 1024; after[$2, $1] = $4 / 1024; e[$2] += $5 }
END {
    nc = split(configs, C, " ")
    printf "%-8s %-6s", "case", "rss"
    for (k = 1; k <= nc; k++) printf " %11s", C[k] "_MB"
    printf " %8s %8s %6s\n", "x_shim", "x_shim1G", "errors"
    for (i = 1; i <= nt; i++) {
        t = order[i]
        for (w = 1; w <= 2; w++) {
            printf "%-8s %-6s", t, (w == 1 ? "peak" : "after")
            for (k = 1; k <= nc; k++) { m[C[k]] = (w == 1 ? peak[t, C[k]] : after[t, C[k]]); printf " %11.1f", m[C[k]] }
            base = m["plain"]
            printf " %8.2f %8.2f %6d\n", (base > 0 ? m["shim"] / base : 0), (base > 0 ? m["shim1G"] / base : 0), e[t]
        }
    }
}' "$RAW"
# wrong contents or a failed case make the run fail
! awk '$5 != 0 { bad = 1 } END { exit !bad }' "$RAW"
