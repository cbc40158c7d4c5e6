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

@test "core: big free chunks give their pages back (the resident set drops) and the heap stays whole" {
    core core_release
}

@test "core: a heap made with SLZ_GROWS uses its arena a part at a time, grown by slz_heap_grow up to its plan" {
    core core_grow
}

@test "core: a heap passed between owners, drained by the threads that free its blocks while it is abandoned, stays whole" {
    core core_drain
}

@test "core: every size 0..4096 and every alignment 16..64K is met" {
    core core_align
}

@test "core: impossible sizes give NULL and ENOMEM, malloc(0) is unique, free keeps errno" {
    core core_errno
}

@test "core: slz_heap_check names each kind of damage to the bits, index, summary, headers and counters" {
    core core_check
}

@test "core: double frees (merged or not, deferred or not), bad pointers and damaged headers are reported; pending frees are taken back" {
    core core_reports
}

# shim_everywhere prog: glibc's semantics, so the program passes without the
# shim (which checks the test itself) and under it with the default one-page
# heap, a 64K heap and a 256M heap (SLZ_CHECK=1: the heap checked after every
# call).
shim_everywhere() {
    local heap
    run -0 "$BIN/$1"
    [[ "$output" == *" checks, 0 failed"* ]]
    for heap in default 64K 256M; do
        if [ "$heap" = default ]; then
            run -0 --separate-stderr under_slz "$BIN/$1"
        else
            run -0 --separate-stderr under_slz SLZ_HEAP_SIZE=$heap SLZ_CHECK=1 "$BIN/$1"
        fi
        [[ "$output" == *" checks, 0 failed"* ]]
        [[ "$stderr" != *slzmalloc:* ]]
    done
}

@test "shim: ENOMEM, EINVAL, *memptr untouched, free keeps errno, realloc(p, 0), unique malloc(0) as glibc" {
    shim_everywhere shim_errno
}

@test "shim: every size 0..4096 and every aligned entry point meet their alignment" {
    shim_everywhere shim_align
}

@test "shim: calloc zeroes reused dirty memory, whoever owns it" {
    shim_everywhere shim_calloc
}

@test "shim: with the one-page heap full, glibc serves, blocks keep contents, frees reach their owner" {
    run -0 under_slz "$BIN/shim_fallback"
    [[ "$output" == *" checks, 0 failed"* ]]
    run -0 under_slz SLZ_HEAP_SIZE=64K SLZ_CHECK=1 "$BIN/shim_fallback"
    [[ "$output" == *" checks, 0 failed"* ]]
    # without the shim the core serves nothing: the program must notice
    run -1 "$BIN/shim_fallback"
    [[ "$output" == *"0 from the core"* ]]
}

@test "shim: free, realloc and malloc_usable_size route blocks of every entry point to their owner" {
    run -0 under_slz SLZ_HEAP_SIZE=1M SLZ_CHECK=1 "$BIN/shim_routing"
    [[ "$output" == *" checks, 0 failed"* ]]
    run -0 under_slz SLZ_HEAP_SIZE=256M "$BIN/shim_routing"
    [[ "$output" == *" checks, 0 failed"* ]]
    run ! "$BIN/shim_routing"
}

@test "shim: blocks freed, reallocated or measured by another thread reach their owner's heap; a fork child ignores frees into a heap it lost" {
    run -0 under_slz SLZ_HEAP_SIZE=1M SLZ_CHECK=1 "$BIN/shim_remote"
    [[ "$output" == *" checks, 0 failed"* ]]
    run -0 under_slz SLZ_HEAP_SIZE=256M "$BIN/shim_remote"
    [[ "$output" == *" checks, 0 failed"* ]]
    run ! "$BIN/shim_remote"
}

@test "shim: the core served the program's blocks (addresses in the heap mapping, glibc untouched, stats)" {
    run -0 --separate-stderr under_slz SLZ_HEAP_SIZE=64M SLZ_STATS=1 "$BIN/shim_served"
    [[ "$output" == *" checks, 0 failed"* ]]
    [[ "$output" =~ "heap mapping 0x"[0-9a-f]+-0x[0-9a-f]+" ("([0-9]+)" bytes)" ]] # mapped as it fills:
    [ "${BASH_REMATCH[1]}" -gt 0 ] && [ "${BASH_REMATCH[1]}" -le 67108864 ]       # no more than the heap
    line=$(grep '^slzmalloc: stats: ' <<<"$stderr")
    core=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc; heap \([0-9]*\) bytes.*/\1/p' <<<"$line")
    heap=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc; heap \([0-9]*\) bytes.*/\3/p' <<<"$line")
    [ "$heap" -eq 67108864 ]
    [ "$core" -ge 5000 ] # 5000 allocations (and their frees) by the program
    run ! env SLZ_HEAP_SIZE=64M "$BIN/shim_served"
}
