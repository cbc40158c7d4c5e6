#!/usr/bin/env bats
# core.bats - exact behaviour of the slz core on its own (tests/c/core_*.c,
# linked with build/libslz.a, no shim; a heap on a static array or a mapped
# heap): first fit against a model, the split rule, coalescing, in-place
# realloc, calloc on dirty memory, alignment, errno, the checker and the
# misuse reports. Each program prints what it compared and exits with the
# number of failed checks.
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

@test "core: big free chunks give their pages back (the resident set drops), slz_heap_trim the rest beyond a page, and the heap stays whole" {
    core core_release
}

@test "core: a heap made with SLZ_GROWS uses its arena a part at a time, grown by slz_heap_grow up to its plan" {
    core core_grow
}

@test "core: a heap grows a page at a time while another thread frees its blocks (slz_free_deferred): every block of the grown granules is taken, the heap stays whole" {
    core core_grow_threads
    [[ "$output" == *" grows, "* ]]
}

@test "core: a heap passed between owners, drained by the threads that free its blocks while it is abandoned, stays whole" {
    core core_drain
}

@test "core: a free landing in a drain's window (a pending word, or a summary word, read empty, its summary bit not yet cleared) is taken by that drain (hook_drain_gap: both windows met every run)" {
    core hook_drain_gap
}

@test "core: every size 0..4096 and every alignment 16..64K is met" {
    core core_align
}

@test "core: impossible sizes give NULL and ENOMEM, malloc(0) is unique, free keeps errno" {
    core core_errno
}

@test "core: the counters: every block handed out or given up counted once (a moving realloc: one of each), none for a realloc in place" {
    core core_stats
}

@test "core: slz_heap_check names each kind of damage to the bits, index, summary, headers and counters" {
    core core_check
}

@test "core: slz_heap_check_at names damage next to a block (headers, canaries, adjacency, sizes, leads, the index path), leaves damage far away to slz_heap_check, and finds its chunks in a 1 GiB heap" {
    core core_check_at
}

@test "core: double frees (merged or not, deferred or not), bad pointers and damaged headers are reported; pending frees are taken back" {
    core core_reports
}

@test "core: slz_heap_malloc_fn and slz_heap_free_fn are the heap's own mode's (plain, cache, quarantine); a double free through them is reported" {
    core core_entry_fns
}

@test "core: first fit, split and coalesce on caller memory" {
    run "$BIN/core_basic"
    [ "$status" -eq 0 ]
}

@test "core: the cross-thread hand-over under stress: blocks other threads free keep their contents, the checker finds nothing" {
    core core_handover
    [[ "$output" == *" freed by other threads"* ]]
}

@test "core: the hand-over's orders, made deterministic by stopping the freeing thread at each access (protected pages): a reuse after its mark is reported; a stale free after reuse frees the new block" {
    core core_handover_race
}
