# test_helper.bash - loaded by every .bats file: paths and small helpers.

ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")" && while [ ! -f Makefile ] && [ "$PWD" != / ]; do cd ..; done; pwd)"
LIB="$ROOT/libslzmalloc.so"
BIN="$ROOT/build/tests"
bats_require_minimum_version 1.5.0

# under_slz [VAR=value ...] cmd...: run cmd with the shim preloaded.
under_slz() {
    env LD_PRELOAD="$LIB" "$@"
}
