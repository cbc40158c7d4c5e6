#!/usr/bin/env bats
# random.bats - the randomized differential test of the core
# (tests/c/core_random.c, checks in tests/c/ops.h): every result equal to
# first fit over a heap walk, block contents intact, slz_heap_check() clean
# after every step. Bounded here; run `build/tests/core_random 10000000` for
# the long run, or any other count and seed.
load test_helper

@test "core_random: 1,000,000 operations with the fixed seed, all predicted and checked" {
    run -0 "$BIN/core_random" 1000000
    echo "# $output"
    [[ "$output" == "core_random: seed 1: 1000000 operations ("*" 0 violations, "* ]]
}

@test "core_random: the baseline line operations (SSE2 or plain C, not AVX2), 300,000 operations" {
    run -0 "$BIN/core_random" 300000 7 0
    echo "# $output"
    [[ "$output" == "core_random: seed 7: 300000 operations ("*" 0 violations, "* ]]
}

@test "core_random: a seed from the command line (300,000 operations, seed 20261126)" {
    run -0 "$BIN/core_random" 300000 20261126
    echo "# $output"
    [[ "$output" == "core_random: seed 20261126: 300000 operations ("*" 0 violations, "* ]]
}
