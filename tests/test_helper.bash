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
