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

@test "one size parser: slz_parse_size in include/slz_report.h, no other parse_size body" {
    cd "$ROOT"
    # every function named *parse_size* that takes a string, declarations aside
    run -0 bash -c "grep -rn 'parse_size[a-z_]*(const char' include src preload tests scripts --include=*.c --include=*.h |
        grep -vE '[)];[[:space:]]*(/[*].*)?\$'"
    echo "# $output"
    [ "$(grep -c 'include/slz_report.h:.*static inline size_t slz_parse_size' <<<"$output")" -eq 1 ]
    [ "$(wc -l <<<"$output")" -eq 1 ]
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
}

@test "nothing outside tests/ is built from tests/: no include of a tests/ header, no tests/ source in a rule" {
    cd "$ROOT"
    run grep -nE '#include "[^"]*tests/' src include preload scripts -r
    [ -z "$output" ]
    run grep -nE 'tests/[A-Za-z0-9_./-]*\.(c|h)' Makefile scripts/scripts.mk
    [ -z "$output" ]
    # the checks find such a line when there is one
    run grep -nE 'tests/[A-Za-z0-9_./-]*\.(c|h)' tests/fuzz/fuzz.mk
    [ -n "$output" ]
}
