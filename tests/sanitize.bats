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

@test "ASan+UBSan: every core test passes with no sanitizer report" {
    local t failed=()
    for t in $(core_tests); do
        run env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 UBSAN_OPTIONS=print_stacktrace=1 "$ROOT/build/asan/$t"
        if [ "$status" -ne 0 ] || grep -q 'Sanitizer\|runtime error' <<<"$output"; then
            echo "# $t: status $status"
            echo "$output" | tail -20
            failed+=("$t")
        fi
    done
    echo "# failed: ${failed[*]}"
    [ ${#failed[@]} -eq 0 ]
    [[ " $(core_tests | tr '\n' ' ') " == *" core_random "* ]]
}

@test "valgrind memcheck: every core test passes with no error and no leak" {
    command -v valgrind >/dev/null || skip "valgrind is not installed (apt-get install valgrind)"
    local t failed=()
    for t in $(core_tests); do
        local args=()
        [ "$t" != core_random ] || args=(50000) # valgrind is ~30x slower: keep to the budget
        [ "$t" != core_handover ] || args=(20000)
        # (core_handover_race stops a thread by protecting pages of the heap's
        # state and repeating the faulting access: valgrind does not run that
        # trick faithfully, so it runs natively and under ASan only)
        [ "$t" != core_handover_race ] || continue
        run valgrind -q --error-exitcode=99 --leak-check=full --errors-for-leak-kinds=definite "$BIN/$t" "${args[@]}"
        if [ "$status" -ne 0 ]; then
            echo "# $t: status $status"
            echo "$output" | tail -20
            failed+=("$t")
        fi
    done
    echo "# failed: ${failed[*]}"
    [ ${#failed[@]} -eq 0 ]
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
