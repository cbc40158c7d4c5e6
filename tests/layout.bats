#!/usr/bin/env bats
# layout.bats - rules about the source that keep preload/ readable (issue 11).
load test_helper

# long_functions LIMIT FILE...: "file:line: N lines" for every function of
# more than LIMIT lines. A function starts at a line in column 0 that ends
# with ")" (its name and parameters), followed by "{" in column 0, or at a
# column-0 line ending in ") {"; it ends at the next "}" in column 0.
long_functions() {
    local limit=$1
    shift
    awk -v limit="$limit" '
        FNR == 1 { sig = 0; infn = 0 }
        /^[A-Za-z].*\)[ ]*$/ { sig = FNR; next }
        /^[A-Za-z].*\)[ ]*\{[ ]*$/ { start = FNR; infn = 1; next }
        /^\{/ { if (sig == FNR - 1) { start = sig; infn = 1 } next }
        /^\}/ { if (infn && FNR - start + 1 > limit) printf "%s:%d: %d lines\n", FILENAME, start, FNR - start + 1
                infn = 0 }' "$@"
}

@test "src, src/report and preload: no function longer than 60 lines" {
    cd "$ROOT"
    files=$(ls src/*.c src/report/*.c preload/*.c)
    run -0 long_functions 60 $files
    [ -z "$output" ]
    # the checker itself finds a long function
    run -0 long_functions 40 src/report/heapmap.c
    [ -n "$output" ]
}

@test "one size parser: SLZ_HEAP_SIZE and slz-replay --heap-size take and refuse the same sizes" {
    gen_trace 64 mix 200 7 "$BATS_TEST_TMPDIR/t.rep"
    local v shim replay good=0 bad=0
    for v in 64K 64k 128KB 1M 1m 2MB 1048576 1.5M 1,5M 10X 64KiB K abc 0 -1M " 1M"; do
        run --separate-stderr under_slz SLZ_HEAP_SIZE="$v" true
        shim=$([[ "$stderr" == *"ignoring SLZ_HEAP_SIZE"* ]] && echo refused || echo taken)
        run --separate-stderr "$ROOT/build/slz-replay" -q --heap-size "$v" "$BATS_TEST_TMPDIR/t.rep"
        replay=$([[ "$stderr" == *"--heap-size"*"not a size"* ]] && echo refused || echo taken)
        echo "# [$v] shim $shim, slz-replay $replay"
        [ "$shim" = "$replay" ]
        [ "$shim" = taken ] && good=$((good + 1)) || bad=$((bad + 1))
    done
    [ "$good" -eq 7 ] && [ "$bad" -eq 9 ] # both answers occur: the comparison can fail
}

@test "slz-replay links the core and the report layer, nothing of the shim" {
    cd "$ROOT"
    map=build/slz-replay.map
    [ -f "$map" ]
    # the objects that went in: the tool's own, the two libraries', none from preload/
    grep -q 'libslzreport\.a(heapmap\.o)' "$map"
    grep -q 'libslz\.a(alloc\.o)' "$map"
    run grep -n 'preload/\|build/pic/' "$map"
    [ -z "$output" ]
    # no function of the shim in the program (heaps_view was once faked there)
    run -0 nm build/slz-replay
    for f in heaps_view heaps_stats options_read stats_report report_fd watch_setup; do
        ! grep -qw "$f" <<<"$output"
    done
    grep -qw heapmap_write <<<"$output" # the check sees a function that is there
    # of preload/, the tools read one header, self-contained (the heaps' grow policy)
    run -0 grep -ho '[^ ]*preload/[^ :]*' build/replay/scripts/*.d
    [ "$(sort -u <<<"$output")" = "scripts/../preload/grow.h" ]
    run grep -n '^#include "' preload/grow.h
    [ -z "$output" ]
}

@test "nothing outside tests/ is built from tests/: no object of the core, the report layer, the shim or slz-replay read a file of tests/" {
    cd "$ROOT"
    # what each compile read, as the compiler wrote it (the .d files, see Makefile)
    local deps
    deps=$(ls build/core/*.d build/report/*.d build/pic/*.d build/pic/report/*.d build/replay/scripts/*.d)
    [ "$(wc -l <<<"$deps")" -ge 20 ]
    run grep -l 'tests/' $deps
    [ -z "$output" ]
    # the check sees a file of tests/ where one was read
    grep -q 'tests/c/check.h' build/tests/core_basic.d
}
