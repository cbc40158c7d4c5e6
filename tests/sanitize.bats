#!/usr/bin/env bats
# sanitize.bats - the core's C tests (tests/c/core_*.c, core_random among
# them) under AddressSanitizer + UndefinedBehaviorSanitizer (build/asan/,
# see tests/sanitize.mk) and under valgrind memcheck: all clean.
load test_helper

# core_tests: the names of the core's C tests, from their sources, so that a
# test whose program was not built fails instead of being skipped.
core_tests() {
    local f
    for f in "$ROOT"/tests/c/core_*.c; do
        basename "$f" .c
    done
}

# two_at_a_time DIR: each line of stdin, "NAME PROGRAM ARGS...", run two at a
# time (the programs are independent; the slowest lines first keep both busy):
# PROGRAM's output in DIR/NAME.out, its exit status in DIR/NAME.rc.
two_at_a_time() {
    local dir=$1 name cmd
    while read -r name cmd; do
        # shellcheck disable=SC2086 # cmd is split into the program and its arguments
        (if $cmd >"$dir/$name.out" 2>&1; then echo 0; else echo $?; fi >"$dir/$name.rc") &
        while [ "$(jobs -rp | wc -l)" -ge 2 ]; do wait -n || true; done
    done
    wait
}

# failed_runs DIR NAME...: the NAMEs whose run failed (no status, a status
# other than 0, or PATTERN in the output when given as FAILED_IF), each
# with its status and the end of its output as a comment line.
failed_runs() {
    local dir=$1 name rc
    shift
    for name in "$@"; do
        rc=$(cat "$dir/$name.rc" 2>/dev/null || echo missing)
        if [ "$rc" != 0 ] || { [ -n "${FAILED_IF:-}" ] && grep -q "$FAILED_IF" "$dir/$name.out"; }; then
            echo "# $name: status $rc" >&3
            tail -20 "$dir/$name.out" | sed 's/^/# /' >&3
            echo "$name"
        fi
    done
}

@test "ASan+UBSan: every core test passes with no sanitizer report" {
    local t dir="$BATS_TEST_TMPDIR"
    export ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1
    for t in core_handover core_quarantine $(core_tests); do echo "$t"; done | awk '!seen[$0]++' |
        while read -r t; do echo "$t $ROOT/build/asan/$t"; done | two_at_a_time "$dir"
    local failed
    failed=$(FAILED_IF='Sanitizer\|runtime error' failed_runs "$dir" $(core_tests))
    echo "# failed: $failed"
    [ -z "$failed" ]
    [[ " $(core_tests | tr '\n' ' ') " == *" core_random "* ]]
}

@test "valgrind memcheck: every core test passes with no error and no leak" {
    command -v valgrind >/dev/null || skip "valgrind is not installed (apt-get install valgrind)"
    local t dir="$BATS_TEST_TMPDIR" names=()
    # valgrind is ~30x slower: the long programs run shorter than natively,
    # still through every kind of heap they rotate through (core_quarantine:
    # 20,000 operations on its 64K heap, then 5,000 on its 1M one; core_cache:
    # its 4K heap, then 10,000 operations on its 64K one), slowest first.
    # (core_handover_race stops a thread by protecting pages of the heap's
    # state and repeating the faulting access: valgrind does not run that
    # trick faithfully, so it runs natively and under ASan only)
    for t in core_quarantine core_cache $(core_tests); do echo "$t"; done | awk '!seen[$0]++' | grep -vx core_handover_race |
        while read -r t; do
            local args=
            case $t in
            core_quarantine) args=25000 ;;
            core_cache) args=60000 ;;
            core_random) args=50000 ;;
            core_handover) args=20000 ;;
            esac
            echo "$t valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite $BIN/$t $args"
        done | two_at_a_time "$dir"
    for t in $(core_tests); do [ "$t" = core_handover_race ] || names+=("$t"); done
    local failed
    failed=$(failed_runs "$dir" "${names[@]}")
    echo "# failed: $failed"
    [ -z "$failed" ]
}

@test "TSan: the cross-thread hand-over under stress, the pending frees, a heap drained while abandoned (core_drain), a heap grown while another thread frees (core_grow_threads): no ThreadSanitizer report" {
    local t failed=()
    for t in "core_handover 200000" core_reports "core_drain 300" "core_grow_threads 60000"; do
        run env TSAN_OPTIONS=halt_on_error=1:exitcode=66 $ROOT/build/tsan/$t
        if [ "$status" -ne 0 ] || grep -q 'ThreadSanitizer' <<<"$output" || [[ "$output" != *" checks, 0 failed"* ]]; then
            echo "# $t: status $status"
            echo "$output" | tail -30
            failed+=("$t")
        fi
    done
    echo "# failed: ${failed[*]}"
    [ ${#failed[@]} -eq 0 ]
}

@test "TSan: the fast mode's and the secure profile's hand-over (core_cache_threads): no ThreadSanitizer report" {
    local mode failed=()
    for mode in cache secure; do
        run env TSAN_OPTIONS=halt_on_error=1:exitcode=66 $ROOT/build/tsan/core_cache_threads 50000 $mode
        echo "# $mode: $output"
        if [ "$status" -ne 0 ] || grep -q 'ThreadSanitizer' <<<"$output" ||
            [[ "$output" != *" blocks freed by the other thread, "*"; 0 damaged, 0 violations, 0 live blocks, 1 free chunks at the end" ]]; then
            failed+=("$mode")
        fi
    done
    [ ${#failed[@]} -eq 0 ]
}
