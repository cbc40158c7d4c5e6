#!/usr/bin/env bash
# run.sh - the whole benchmark suite (what `make bench` runs): trace replay,
# scaling, microbenchmarks, their callgrind counts per malloc+free, aligned
# requests over free holes, real programs, allocation-heavy workloads (with
# aligned allocation), memory cases, the heap timeline page; then the figures
# of issues 16 and 17 against their targets (summary.sh, on a copy of the
# output kept in build/bench/last-run.txt). Prints tables; asserts nothing
# about time. Exit status is nonzero only if a benchmark found
# wrong contents, failed to run, or a program of the battery failed.
#
#   tests/bench/run.sh [--quick] [--runs N] [--only replay,scaling,micro,instr,holes,programs,workloads,memory,html]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
B="$ROOT/build/bench"
# trace replay: the traces tests/bench/gen-traces.c writes into build/bench/traces
# (the same every time, from a fresh clone); the CS:APP malloc-lab traces, which
# are not part of this repository, when SLZ_TRACES (classic set) and/or
# SLZ_TRACES64 (64-bit set) name their folders (by default ../shared/traces and
# ../shared/traces64 when they exist; set them empty to leave them out): an
# extra section. Every replay has the core with SLZ_CACHE beside exact first
# fit (--cache: issue 17's footprint figure).
GEN="$B/traces"
TR="${SLZ_TRACES-$( [ -d "$ROOT/../shared/traces" ] && cd "$ROOT/../shared/traces" && pwd)}"
TR64="${SLZ_TRACES64-$( [ -d "$ROOT/../shared/traces64" ] && cd "$ROOT/../shared/traces64" && pwd)}"
QUICK=() RUNS=() ONLY="replay,scaling,micro,instr,holes,programs,workloads,memory,html"
. "$ROOT/tests/bench/peers.sh"
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=(--quick) ;;
    --runs) RUNS=(--runs "$2"); shift ;;
    --only) ONLY="$2"; shift ;;
    *) echo "usage: run.sh [--quick] [--runs N] [--only replay,scaling,micro,instr,holes,programs,workloads,memory,html]" >&2; exit 2 ;;
    esac
    shift
done
want() { case ",$ONLY," in *",$1,"*) return 0 ;; *) return 1 ;; esac; }
LOG="$B/last-run.txt"

# every section, its output copied into LOG for the summary
{

echo "# slzmalloc benchmarks: $(date -u '+%Y-%m-%d %H:%M UTC'), $(uname -sr), $(nproc) cores,"
echo "#   $(. /etc/os-release 2>/dev/null && echo "$PRETTY_NAME"), commit $(git -C "$ROOT" rev-parse --short HEAD 2>/dev/null)$(git -C "$ROOT" diff --quiet HEAD -- src preload 2>/dev/null || echo ' (core/shim with uncommitted changes)')"
echo "#   load average at start: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine makes times noisy)"
status=0

if want replay; then
    echo; echo "## 1. Trace replay"
    WITH=(--cache --with "shim1G=$ROOT/libslzmalloc.so")
    add_peer() { WITH+=(--with "$1=$2"); }
    each_peer add_peer
    # SLZ_HEAP_SIZE reaches only the shim column: the core in the driver reads no environment
    echo; echo "### 1a. Generated traces (tests/bench/gen-traces.c, written to build/bench/traces/)"
    if "$B/gen-traces" "$GEN"; then
        if [ ${#QUICK[@]} -gt 0 ]; then
            TRACES=("$GEN"/gen-{binary,coalescing,random,realloc,program,string}.rep)
        else
            TRACES=("$GEN"/*.rep)
        fi
        SLZ_HEAP_SIZE=1G "$B/replay" "${QUICK[@]}" "${WITH[@]}" "${TRACES[@]}" || status=1
    else
        echo "# gen-traces failed: no generated traces"; status=1
    fi
    if [ -n "$TR$TR64" ]; then
        echo; echo "### 1b. CS:APP malloc-lab traces (SLZ_TRACES=${TR:-unset}, SLZ_TRACES64=${TR64:-unset})"
        if [ ${#QUICK[@]} -gt 0 ]; then
            TRACES=(${TR:+"$TR"/short*.rep} ${TR64:+"$TR64"/*-short.rep "$TR64"/ngram-fox1.rep "$TR64"/syn-mix-realloc.rep})
        else
            TRACES=(${TR:+"$TR"/*.rep} ${TR64:+"$TR64"/*.rep})
        fi
        TRACES=($(for t in "${TRACES[@]}"; do [ -r "$t" ] && echo "$t"; done))
        if [ ${#TRACES[@]} -eq 0 ]; then
            echo "# no readable .rep files there"
        else
            SLZ_HEAP_SIZE=1G "$B/replay" "${QUICK[@]}" "${WITH[@]}" "${TRACES[@]}" || status=1
        fi
    fi
fi
if want scaling; then
    echo; echo "## 2. Scaling"
    "$B/scaling" "${QUICK[@]}" || status=1
fi
if want micro; then
    echo; echo "## 3. Microbenchmarks"
    "$ROOT/tests/bench/micro.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
    echo; "$ROOT/tests/bench/floor.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
fi
if want instr; then
    echo; echo "## 3b. Instructions, L1 data misses and branch mispredictions per malloc+free (callgrind)"
    "$ROOT/tests/bench/instr.sh" "${QUICK[@]}" || status=1
fi
if want holes; then
    echo; echo "## 3c. Aligned requests over free holes"
    "$ROOT/tests/bench/holes.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
fi
if want micro; then
    echo; echo "## 3d. What SLZ_CHECK=1 costs a call, 1M against 1G heap"
    "$ROOT/tests/bench/checkcost.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
fi
if want programs; then
    echo; echo "## 4. Real programs"
    "$ROOT/tests/bench/programs.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
fi
if want workloads; then
    echo; echo "## 5. Allocation-heavy workloads and aligned allocation"
    "$ROOT/tests/bench/workloads.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
fi
if want memory; then
    echo; echo "## 6. Memory cases"
    "$ROOT/tests/bench/memcases.sh" "${QUICK[@]}" || status=1
    echo; "$ROOT/tests/bench/memload.sh" "${QUICK[@]}" || status=1
fi
if want html; then
    echo; echo "## 7. Heap timeline page"
    "$ROOT/tests/bench/html.sh" "${QUICK[@]}" "${RUNS[@]}" || status=1
fi
exit $status
} | tee "$LOG"
status=${PIPESTATUS[0]}
echo; echo "## 8. Summary: issues 16 and 17 (tests/bench/summary.sh, again by make bench-summary)"
"$ROOT/tests/bench/summary.sh" "$LOG" || status=1
exit $status
