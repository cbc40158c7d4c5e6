#!/usr/bin/env bats
# shim.bats - exact behaviour of the shim's entry points (tests/c/shim_*.c,
# run under LD_PRELOAD): errno as glibc sets it, alignment, calloc, the
# fallback to glibc, and the routing of every block to its owner. Each
# program prints what it compared and exits with the number of failed
# checks; most also pass without the shim, which checks the test itself.
load test_helper

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
    [[ "$output" == *"(67108864 bytes)"* ]]
    line=$(grep '^slzmalloc: stats: ' <<<"$stderr")
    core=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc; heap \([0-9]*\) bytes.*/\1/p' <<<"$line")
    heap=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc; heap \([0-9]*\) bytes.*/\3/p' <<<"$line")
    [ "$heap" -eq 67108864 ]
    [ "$core" -ge 5000 ] # 5000 allocations (and their frees) by the program
    run ! env SLZ_HEAP_SIZE=64M "$BIN/shim_served"
}

# ---- errno: glibc is the oracle ------------------------------------------------

# the facts the comparison rests on, as glibc 2.36 has them
@test "errno: glibc alone sets ENOMEM after a failed posix_memalign, EINVAL after aligned_alloc and memalign with an alignment above 2^63, and keeps errno in free" {
    bounded plain "$BIN/shim_errno_glibc"
    [[ "$output" == *"posix_memalign(64, SIZE_MAX)"*"-> returns ENOMEM, errno ENOMEM, *memptr untouched"* ]]
    [[ "$output" == *"posix_memalign(3, 16)"*"-> returns EINVAL, errno EDOM (left alone), *memptr untouched"* ]]
    [[ "$output" == *"aligned_alloc(SIZE_MAX, 16)"*"-> NULL, errno EINVAL"* ]]
    [[ "$output" == *"memalign(SIZE_MAX, 16)"*"-> NULL, errno EINVAL"* ]]
    [[ "$output" == *"free(NULL)"*"-> errno EDOM (left alone)"* ]]
    [[ "$output" == *$'\n'"82 calls" ]]
}

# errno_as_glibc CONFIG: the same program's output under the shim, line for
# line, is glibc's; the diff names every call that differs
errno_as_glibc() {
    run -0 "$BIN/shim_errno_glibc"
    local glibc=$output
    bounded "$1" "$BIN/shim_errno_glibc"
    diff <(echo "$glibc") <(echo "$output")
}

@test "errno: every failing entry point (malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc) answers and sets errno as glibc does (default heap)" {
    errno_as_glibc default
}

@test "errno: every failing entry point (malloc, calloc, realloc, reallocarray, posix_memalign, aligned_alloc, memalign, valloc, pvalloc) answers and sets errno as glibc does (1G heap)" {
    errno_as_glibc 1G
}

@test "no single request takes a heap whole: above 1/16 of a heap (and above 128 KiB) a request, or a realloc, goes to glibc; the heap serves the rest (1G, 64M, 1M, 64K, the default page)" {
    local heap
    for heap in 1073741824 67108864 1048576 65536; do
        run -0 under_slz SLZ_HEAP_SIZE=$heap "$BIN/shim_big" $heap
        echo "# $heap: $output"
        [ "$output" = "8 checks, 0 failed" ]
    done
    run -0 under_slz "$BIN/shim_big" 4096
    [ "$output" = "8 checks, 0 failed" ]
}
