# test_helper.bash - loaded by every .bats file: paths and small helpers.

ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")" && while [ ! -f Makefile ] && [ "$PWD" != / ]; do cd ..; done; pwd)"
LIB="$ROOT/libslzmalloc.so"
BIN="$ROOT/build/tests"
bats_require_minimum_version 1.5.0

# under_slz [VAR=value ...] cmd...: run cmd with the shim preloaded.
under_slz() {
    env LD_PRELOAD="$LIB" "$@"
}

# gen_trace FORMAT KIND OPS SEED FILE: a deterministic malloc-lab trace of our
# own (tests/data/gen-trace.awk), so no test needs outside trace files.
gen_trace() {
    awk -v format="$1" -v kind="$2" -v ops="$3" -v seed="$4" -f "$ROOT/tests/data/gen-trace.awk" >"$5"
}

# BOUND, bounded: a run that may hang (fork, threads) under a timeout, which
# kills it with its whole process group and fails the test with "hung"
BOUND=20 # seconds; a passing run takes 0.1 to 3

# bounded CONFIG prog args...: run prog within BOUND seconds, CONFIG being
# plain (glibc alone), default (the shim, default heap) or a heap size (the
# shim with SLZ_HEAP_SIZE=CONFIG); it must exit 0, with no slzmalloc: line.
bounded() {
    local config=$1 pre=()
    shift
    case $config in
    plain) ;;
    default) pre=(LD_PRELOAD="$LIB") ;;
    *) pre=(LD_PRELOAD="$LIB" SLZ_HEAP_SIZE="$config") ;;
    esac
    run --separate-stderr timeout -k 5 "$BOUND" env "${pre[@]}" "$@"
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "# [$config] hung: killed after $BOUND s" >&3
        echo "hung: ${*##*/} ($config) killed after $BOUND s; stderr: $stderr"
        return 1
    fi
    echo "# [$config] ${output##*$'\n'}" >&3 # the summary, the last line
    echo "exit status $status; stderr: $stderr"
    [ "$status" -eq 0 ]
    [[ "$stderr" != *slzmalloc:* ]]
}

# ok_under [VAR=v ...] prog args...: exit 0 under the shim, no slzmalloc line
ok_under() {
    run -0 --separate-stderr under_slz "$@"
    echo "# $output" >&3
    [[ "$stderr" != *slzmalloc:* ]]
}
