#!/usr/bin/env bats
# misuse.bats - heap misuse inside the slz heap is caught: one line
# "slzmalloc: <function>(): <what> (0x...)" on stderr, then SIGABRT (134).
#
# The programs are tests/misuse/*.c (see each file's head for its variants).
# Every case runs under the shim twice: with SLZ_HEAP_SIZE=64M and with the
# default one-page heap (the blocks are small, so the core serves them in
# both; a block served by glibc would give glibc's message and fail).
# Each test name ends with what glibc 2.36 does with the same program run
# without the shim, as observed on Debian 12 (tests/misuse/compare.sh prints
# the two side by side again).
load test_helper

MISUSE="$ROOT/build/misuse"

setup() {
    ulimit -c 0
    unset SLZ_HEAP_SIZE SLZ_CHECK SLZ_STATS SLZ_STATS_FILE
}

# aborts FUNCTION WHAT PROGRAM ARGS...: under the shim, with a 64M and with
# the default heap, PROGRAM ends by SIGABRT with exactly one stderr line,
# "slzmalloc: FUNCTION(): WHAT (0x<hex>)", and writes nothing to stdout.
aborts() {
    local fn=$1 what=$2 prog=$3
    shift 3
    local heap
    for heap in 64M default; do
        local env=(SLZ_HEAP_SIZE=$heap)
        [ "$heap" != default ] || env=()
        run -134 --separate-stderr under_slz "${env[@]}" "$MISUSE/$prog" "$@"
        echo "# heap $heap: stdout [$output] stderr [$stderr]"
        [ -z "$output" ]
        [ "${#stderr_lines[@]}" -eq 1 ]
        local rest="${stderr#"slzmalloc: $fn(): $what (0x"}"
        [ "$rest" != "$stderr" ]
        [[ "$rest" =~ ^[0-9a-f]+\)$ ]]
    done
}

# ---- Double free -----------------------------------------------------------

@test "double free plain: free() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts free "double free" double_free plain free
}

@test "double free plain: realloc() says double free [glibc: silent]" {
    aborts realloc "double free" double_free plain realloc
}

@test "double free plain: malloc_usable_size() says double free [glibc: silent]" {
    aborts malloc_usable_size "double free" double_free plain usable
}

@test "double free plain: realloc() to more than the heap holds says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts realloc "double free" double_free plain realloc_big
}

@test "double free after the block merged into the free one below it: free() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts free "double free" double_free merged_down free
}

@test "double free after the block merged into the free one below it: realloc() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts realloc "double free" double_free merged_down realloc
}

@test "double free after the block merged into the free one below it: malloc_usable_size() says double free [glibc: silent]" {
    aborts malloc_usable_size "double free" double_free merged_down usable
}

@test "double free after the block took in the free one above it: free() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts free "double free" double_free merged_up free
}

@test "double free after the block took in the free one above it: realloc() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts realloc "double free" double_free merged_up realloc
}

@test "double free after the block took in the free one above it: malloc_usable_size() says double free [glibc: silent]" {
    aborts malloc_usable_size "double free" double_free merged_up usable
}

@test "double free after its memory went to a bigger block: free() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts free "double free" double_free reused free
}

@test "double free after its memory went to a bigger block: realloc() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts realloc "double free" double_free reused realloc
}

@test "double free after its memory went to a bigger block: malloc_usable_size() says double free [glibc: silent]" {
    aborts malloc_usable_size "double free" double_free reused usable
}

@test "double free after its memory went to a bigger block that was then filled: free() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts free "double free" double_free reused_written free
}

@test "double free after its memory went to a bigger block that was then filled: realloc() says double free [glibc: aborts: free(): double free detected in tcache 2]" {
    aborts realloc "double free" double_free reused_written realloc
}

@test "double free after its memory went to a bigger block that was then filled: malloc_usable_size() says double free [glibc: silent]" {
    aborts malloc_usable_size "double free" double_free reused_written usable
}

# ---- Pointers that are not a live block ------------------------------------

@test "pointer inside a live block: free() says invalid pointer [glibc: aborts: free(): invalid pointer]" {
    aborts free "invalid pointer" bad_pointer interior free
}

@test "pointer inside a live block: realloc() says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer interior realloc
}

@test "pointer inside a live block: malloc_usable_size() says invalid pointer [glibc: silent]" {
    aborts malloc_usable_size "invalid pointer" bad_pointer interior usable
}

@test "pointer inside a live block: realloc() to more than the heap holds says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer interior realloc_big
}

@test "pointer unaligned: free() says invalid pointer [glibc: aborts: free(): invalid pointer]" {
    aborts free "invalid pointer" bad_pointer unaligned free
}

@test "pointer unaligned: realloc() says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer unaligned realloc
}

@test "pointer unaligned: malloc_usable_size() says invalid pointer [glibc: silent]" {
    aborts malloc_usable_size "invalid pointer" bad_pointer unaligned usable
}

@test "pointer inside a free chunk: free() says invalid pointer [glibc: aborts: free(): invalid pointer]" {
    aborts free "invalid pointer" bad_pointer in_free free
}

@test "pointer inside a free chunk: realloc() says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer in_free realloc
}

@test "pointer inside a free chunk: malloc_usable_size() says invalid pointer [glibc: silent]" {
    aborts malloc_usable_size "invalid pointer" bad_pointer in_free usable
}

@test "pointer at a chunk header: free() says invalid pointer [glibc: aborts: free(): invalid pointer]" {
    aborts free "invalid pointer" bad_pointer metadata free
}

@test "pointer at a chunk header: realloc() says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer metadata realloc
}

@test "pointer at a chunk header: malloc_usable_size() says invalid pointer [glibc: silent]" {
    aborts malloc_usable_size "invalid pointer" bad_pointer metadata usable
}

# pointers no heap can own, found by the shim, reported by the core's one error path
@test "pointer into the main stack: free() says invalid pointer [glibc: aborts: free(): invalid pointer]" {
    aborts free "invalid pointer" bad_pointer stack free
}

@test "pointer into the main stack: realloc() says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer stack realloc
}

@test "pointer into the main stack: malloc_usable_size() says invalid pointer [glibc: silent]" {
    aborts malloc_usable_size "invalid pointer" bad_pointer stack usable
}

@test "pointer into the program's data: free() says invalid pointer [glibc: aborts: free(): invalid pointer]" {
    aborts free "invalid pointer" bad_pointer image free
}

@test "pointer into the program's data: realloc() says invalid pointer [glibc: aborts: realloc(): invalid pointer]" {
    aborts realloc "invalid pointer" bad_pointer image realloc
}

@test "pointer into the program's data: malloc_usable_size() says invalid pointer [glibc: silent]" {
    aborts malloc_usable_size "invalid pointer" bad_pointer image usable
}

# ---- Writes past the end of a block ----------------------------------------

@test "write of one byte past the end, then free() of the block [glibc: silent]" {
    aborts free "corrupted next chunk (write past the end of a block?)" overflow byte free_self
}

@test "write of one byte past the end, then realloc() of the block [glibc: silent]" {
    aborts realloc "corrupted next chunk (write past the end of a block?)" overflow byte realloc_self
}

@test "write of one byte past the end, then free() of the damaged block [glibc: silent]" {
    aborts free "corrupted chunk header (write past the end of the block below?)" overflow byte free_next
}

@test "write of one byte past the end, then realloc() of the damaged block [glibc: aborts: realloc(): invalid next size]" {
    aborts realloc "corrupted chunk header (write past the end of the block below?)" overflow byte realloc_next
}

@test "write of one byte past the end, then free() of the block above merging down into the damaged free chunk [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" overflow byte coalesce
}

@test "write of one byte past the end, then free() of the block merging up into the damaged free chunk [glibc: silent]" {
    aborts free "corrupted next chunk (write past the end of a block?)" overflow byte merge_up
}

@test "write of one byte past the end, then malloc() searching the damaged free chunk [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" overflow byte search
}

@test "write of one byte past the end, then malloc() splitting the damaged free chunk [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" overflow byte split
}

@test "write of 16 bytes past the end, then free() of the block [glibc: silent]" {
    aborts free "corrupted next chunk (write past the end of a block?)" overflow head free_self
}

@test "write of 16 bytes past the end, then realloc() of the block [glibc: aborts: realloc(): invalid next size]" {
    aborts realloc "corrupted next chunk (write past the end of a block?)" overflow head realloc_self
}

@test "write of 16 bytes past the end, then free() of the damaged block [glibc: aborts: double free or corruption (out)]" {
    aborts free "corrupted chunk header (write past the end of the block below?)" overflow head free_next
}

@test "write of 16 bytes past the end, then realloc() of the damaged block [glibc: aborts: realloc(): invalid old size]" {
    aborts realloc "corrupted chunk header (write past the end of the block below?)" overflow head realloc_next
}

@test "write of 16 bytes past the end, then free() of the block above merging down into the damaged free chunk [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" overflow head coalesce
}

@test "write of 16 bytes past the end, then free() of the block merging up into the damaged free chunk [glibc: silent]" {
    aborts free "corrupted next chunk (write past the end of a block?)" overflow head merge_up
}

@test "write of 16 bytes past the end, then malloc() searching the damaged free chunk [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" overflow head search
}

@test "write of 16 bytes past the end, then malloc() splitting the damaged free chunk [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" overflow head split
}

# ---- Writes into freed blocks (free-chunk metadata) ------------------------

@test "write after free over the index links, then malloc() that finds it [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" corrupt_free links search
}

@test "write after free over the index links, then malloc() that splits it [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" corrupt_free links split
}

@test "write after free over the index links, then free() of the block above [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" corrupt_free links coalesce
}

@test "write after free over the index links, then free() of the block below [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" corrupt_free links insert
}

@test "write after free over bytes 24..31 (the old index sizes), then malloc() that searches: harmless, nothing of the allocator is there [glibc: silent]" {
    harmless corrupt_free max search
}

@test "write after free over the top chunk's header, then malloc() only the top can serve [glibc: silent]" {
    aborts malloc "corrupted top chunk" corrupt_free top big
}

@test "write after free over the whole block, then malloc() that finds it [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" corrupt_free all search
}

@test "write after free over the whole block, then malloc() that splits it [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" corrupt_free all split
}

@test "write after free over the whole block, then free() of the block above [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" corrupt_free all coalesce
}

@test "write after free over the whole block, then free() of the block below [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" corrupt_free all insert
}

@test "write after free over the last 8 bytes (the old foot), then malloc() that finds it: harmless, nothing of the allocator is there [glibc: silent]" {
    harmless corrupt_free foot search
}

@test "write after free over the last 8 bytes (the old foot), then malloc() that splits it: harmless, nothing of the allocator is there [glibc: silent]" {
    harmless corrupt_free foot split
}

@test "write after free over the last 8 bytes (the old foot), then free() of the block above: harmless, nothing of the allocator is there [glibc: aborts: munmap_chunk(): invalid pointer]" {
    harmless corrupt_free foot coalesce
}

@test "write after free over the last 8 bytes (the old foot), then free() of the block below: harmless, nothing of the allocator is there [glibc: silent]" {
    harmless corrupt_free foot insert
}

@test "write after free over the size word below, then malloc() that finds it [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" corrupt_free size search
}

@test "write after free over the size word below, then malloc() that splits it [glibc: silent]" {
    aborts malloc "corrupted free chunk (write after free?)" corrupt_free size split
}

@test "write after free over the size word below, then free() of the block above [glibc: silent]" {
    aborts free "corrupted free chunk (write after free?)" corrupt_free size coalesce
}

@test "write after free over the size word below, then free() of the block below [glibc: silent]" {
    aborts free "corrupted next chunk (write past the end of a block?)" corrupt_free size insert
}

# ---- SLZ_CHECK=1: the full checker after every call ----------------------------

# harmless PROGRAM ARGS...: the write hit bytes the allocator keeps nothing
# in (its metadata is out of band): under the shim with SLZ_CHECK=1 (so every
# invariant is checked before and after each call), 64M and default heap,
# PROGRAM runs to its end ("survived") with nothing on stderr.
harmless() {
    local heap
    for heap in 64M default; do
        local env=(SLZ_HEAP_SIZE=$heap)
        [ "$heap" != default ] || env=()
        run -0 --separate-stderr under_slz SLZ_CHECK=1 "${env[@]}" "$MISUSE/$@"
        echo "# heap $heap: stdout [$output] stderr [$stderr]"
        [ "$output" = survived ]
        [ -z "$stderr" ]
    done
}

# checker_aborts PROGRAM ARGS...: with SLZ_CHECK=1 (64M and default heap),
# SIGABRT after one line "slzmalloc: heap check failed: <violation>".
checker_aborts() {
    local heap
    for heap in 64M default; do
        local env=(SLZ_HEAP_SIZE=$heap)
        [ "$heap" != default ] || env=()
        run -134 --separate-stderr under_slz SLZ_CHECK=1 "${env[@]}" "$MISUSE/$@"
        echo "# heap $heap: stdout [$output] stderr [$stderr]"
        [ -z "$output" ]
        [ "${#stderr_lines[@]}" -eq 1 ]
        [[ "$stderr" == "slzmalloc: heap check failed: "?* ]]
    done
}

@test "SLZ_CHECK=1: write after free over index links, then a call that reads no free chunk: the checker names it [without SLZ_CHECK: found when the chunk is next touched]" {
    checker_aborts corrupt_free links usable
}

@test "SLZ_CHECK=1: write after free over a free chunk's last bytes is harmless: the checker finds nothing wrong [the allocator keeps nothing there]" {
    harmless corrupt_free foot usable
}

# check_near HOW: shim_check_near HOW with a 1G heap (high-water mark 2 MiB:
# the local check around each call, the full one now and then) survives
# without SLZ_CHECK and, with it, aborts after "damaged" with one line
# "slzmalloc: heap check failed: chunk header differs from the heap's bits".
check_near() {
    run -0 under_slz SLZ_HEAP_SIZE=1G "$BIN/shim_check_near" "$1"
    [[ "$output" == *survived ]]
    run -134 --separate-stderr under_slz SLZ_HEAP_SIZE=1G SLZ_CHECK=1 "$BIN/shim_check_near" "$1"
    echo "# stdout [$output] stderr [$stderr]"
    [ "${lines[0]}" = damaged ] && [[ "$output" != *survived* ]]
    [ "$stderr" = "slzmalloc: heap check failed: chunk header differs from the heap's bits" ]
}

@test "SLZ_CHECK=1, 1G heap: an overflow into the next block's header is named at the next call on a block beside it, the local check [without SLZ_CHECK: unseen]" {
    check_near near
    [ "$output" = damaged ]
}

@test "SLZ_CHECK=1, 1G heap: the same damage away from every later call is named by the full check within about 1,000 calls (a check per KiB below the high-water mark) [without SLZ_CHECK: unseen]" {
    check_near far
    [[ "$output" == *"calls 00500"* ]]
}

# ---- Not misuse, or not ours ------------------------------------------------

@test "a double free of a block glibc served (too big for the one-page heap) is reported by slz (the registry of glibc's blocks) [glibc: aborts]" {
    run -134 --separate-stderr "$MISUSE/double_free" big
    [ -n "$stderr" ]
    run -134 --separate-stderr under_slz "$MISUSE/double_free" big
    echo "# under the shim: [$stderr]"
    [[ "$stderr" =~ ^slzmalloc:\ free\(\):\ double\ free\ \(0x[0-9a-f]+\)$ ]]
}

@test "impossible sizes and bad alignments fail with ENOMEM/EINVAL, not abort (glibc: the same)" {
    run -0 "$MISUSE/bad_args"
    run -0 under_slz "$MISUSE/bad_args"
    run -0 under_slz SLZ_HEAP_SIZE=64M "$MISUSE/bad_args"
    [ "$output" = "22 checks, 0 failed" ]
}
