#!/usr/bin/env bats
# behaviour.bats - exact behaviour of the core (tests/c/core_*.c, a heap on a
# static array or a mapped heap) and of the shim's entry points
# (tests/c/shim_*.c, run under LD_PRELOAD). Each program prints what it
# compared and exits with the number of failed checks.
load test_helper

# core: programs linked with build/libslz.a, no shim
core() {
    run -0 "$BIN/$1"
    [[ "$output" == *" checks, 0 failed"* ]]
}

@test "core: first fit takes the lowest-addressed hole, even over a better fit higher up (model of 20000 steps)" {
    core core_firstfit
}

@test "core: a chunk is split exactly when the remainder is at least 64 bytes" {
    core core_split
}

@test "core: a freed chunk coalesces with its previous, next or both neighbours" {
    core core_coalesce
}

@test "core: realloc grows into a free successor and shrinks in place, keeping the address" {
    core core_realloc
}

@test "core: calloc zeroes reused dirty memory (caller memory and mapped heap)" {
    core core_calloc
}

@test "core: every size 0..4096 and every alignment 16..64K is met" {
    core core_align
}

@test "core: impossible sizes give NULL and ENOMEM, malloc(0) is unique, free keeps errno" {
    core core_errno
}
