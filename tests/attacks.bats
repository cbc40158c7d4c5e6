#!/usr/bin/env bats
# attacks.bats - classic heap-exploitation techniques, aimed at slz's design,
# do not work under the shim: each program (tests/attacks/*.c; see each
# file's head for its goal and variants) must either be stopped by slz
# (SIGABRT, status 134, after exactly one stderr line "slzmalloc: ...") or
# end harmless (status 0, one stdout line "goal not reached: ..."). A program
# that prints "GOAL REACHED: ..." (status 1), dies of another signal
# (SIGSEGV: a crash without a message), is stopped by glibc's checks
# instead of slz's, or could not even aim ("goal not reached: cannot aim":
# the blocks were not where exact first fit puts them), fails its test.
#
# Every case runs under the shim twice: with SLZ_HEAP_SIZE=1G (the core
# serves everything) and with the default one-page heap (the core serves the
# small blocks, glibc the rest). Each test name ends with what glibc 2.36
# does with the same program run without the shim, as observed on Debian 12
# (tests/attacks/compare.sh prints the two side by side again).
load test_helper

ATTACKS="$ROOT/build/attacks"

setup() {
    ulimit -c 0
    unset SLZ_HEAP_SIZE SLZ_CHECK SLZ_STATS SLZ_STATS_FILE SLZ_HEAPMAP SLZ_TRACE
}

# resists PROGRAM ARGS...: under the shim, with a 1G and with the default
# heap, PROGRAM is either reported by slz or ends without reaching its goal.
resists() {
    local prog=$1
    shift
    local heap
    for heap in 1G default; do
        local env=(SLZ_HEAP_SIZE=$heap)
        [ "$heap" != default ] || env=()
        run --separate-stderr under_slz "${env[@]}" "$ATTACKS/$prog" "$@"
        echo "# heap $heap: status $status, stdout [$output], stderr [$stderr]"
        case $status in
        134) # reported: one slzmalloc line, nothing else
            [ -z "$output" ]
            [ "${#stderr_lines[@]}" -eq 1 ]
            [ "${stderr#slzmalloc: }" != "$stderr" ]
            ;;
        0) # harmless: the program says so, and slz said nothing; an attack
            # that could not even aim (blocks not where first fit puts them,
            # a header unlike the design's) proves nothing and fails
            [ "${#lines[@]}" -eq 1 ]
            [ "${output#goal not reached: }" != "$output" ]
            [ "${output#goal not reached: cannot aim}" = "$output" ]
            [ -z "$stderr" ]
            ;;
        *) # 1: GOAL REACHED; anything else: killed without a report
            false
            ;;
        esac
    done
}

# ---- What a fresh block shows -------------------------------------------------

@test "leak: a fresh block holds only zeros or what the program wrote, after reuse, merges, splits and the top [glibc: goal reached: a tcache link]" {
    resists leak
}

@test "calloc_dirty top: calloc over attacker bytes written past the high-water mark is zero [glibc: goal not reached]" {
    resists calloc_dirty top
}

@test "calloc_dirty freed: calloc over attacker bytes written into a freed block is zero [glibc: goal not reached]" {
    resists calloc_dirty freed
}

# ---- Forged and replayed headers ----------------------------------------------

@test "keyed(): SipHash-1-3 and the AES rounds (where the CPU has them) each flip about half the output bits for any one input or key bit flipped (the old mix: 2 bits for the value's top bit)" {
    run -0 "$ROOT/build/tests/core_keyed"
    echo "# $output"
    [ "${lines[0]:0:16}" = "siphash-1-3: ok " ]
    [[ "${lines[1]}" == "aes: ok "* || "${lines[1]}" == "aes: not on this CPU" ]]
    [ "${lines[-1]}" = "5 checks, 0 failed" ] || [ "${lines[-1]}" = "4 checks, 0 failed" ]
}

@test "key_recovery: the check-word key recovered from 24 headers read through under-reads predicts no new check word [glibc: no check words]" {
    resists key_recovery
}

@test "forged_header stale: a larger size written over a live neighbour's header, then free, gives no overlap [glibc: goal reached]" {
    resists forged_header stale
}

@test "forged_header copied: a live neighbour's header replaced by a real header copied from elsewhere, then free, gives no overlap [glibc: goal reached]" {
    resists forged_header copied
}

@test "replay: an old header written back at its own address, then free, gives no overlap [glibc: goal not reached: glibc does not reuse the chunk for the smaller blocks]" {
    resists replay
}

@test "off_by_one: one byte past a block raising the next chunk's size, then free, gives no overlap [glibc: goal reached]" {
    resists off_by_one
}

@test "overlapping: a free chunk's size enlarged over a live block, then malloc, gives no overlap [glibc: aborts: malloc(): invalid next->prev_inuse (unsorted)]" {
    resists overlapping
}

@test "null_byte: the poison null byte shrinking a free chunk, then a backward merge, gives no overlap [glibc: aborts: malloc(): invalid next size (unsorted)]" {
    resists null_byte
}

@test "einherjar: an off-by-one NUL clearing prev-in-use plus a fake free chunk inside a live block gives no overlap [glibc: goal reached]" {
    resists einherjar
}

@test "unlink: a fake free chunk with links to the program's pointer, merged into by free, writes nothing there [glibc: goal reached]" {
    resists unlink
}

# ---- House of force: the free space above the last block ------------------------

@test "house_of_force bss: a huge size forged over the top, then malloc does not return a global [glibc: aborts: malloc(): corrupted top size]" {
    resists house_of_force bss
}

@test "house_of_force stdout: a huge size forged over the top, then malloc does not return *stdout [glibc: aborts: malloc(): corrupted top size]" {
    resists house_of_force stdout
}

# ---- Writes into freed blocks -----------------------------------------------------

@test "unlink_write malloc: addresses written into a freed block, then malloc over it: the allocator writes nothing there [glibc: goal not reached]" {
    resists unlink_write malloc
}

@test "unlink_write split: addresses written into a freed block, then malloc carving it: the allocator writes nothing there [glibc: goal not reached]" {
    resists unlink_write split
}

@test "unlink_write merge: addresses written into a freed block, then frees merging with it: the allocator writes nothing there [glibc: goal not reached]" {
    resists unlink_write merge
}

@test "poisoning: a global's address written into a freed block, then malloc does not return the global [glibc: goal reached]" {
    resists poisoning
}

@test "house_of_lore: a freed block's links pointed at fake chunks on the stack, then malloc does not return one [glibc: goal reached]" {
    resists house_of_lore
}

# ---- Double frees ---------------------------------------------------------------

@test "tcache_dup plain: free(a) twice, then two mallocs do not return the same block [glibc: aborts: free(): double free detected in tcache 2]" {
    resists tcache_dup plain
}

@test "tcache_dup interleaved: free(a), free(b), free(a), then two mallocs do not return the same block [glibc: aborts: free(): double free detected in tcache 2]" {
    resists tcache_dup interleaved
}

@test "tcache_dup fastbin: the cache filled, then free(a), free(b), free(a): no two mallocs return the same block [glibc: goal reached]" {
    resists tcache_dup fastbin
}

@test "thread_double_free sequential: thread 1 frees a block, then thread 2 frees it: the threads' mallocs do not both get it [glibc: goal reached]" {
    resists thread_double_free sequential
}

@test "thread_double_free racing: two threads free a block at once: the threads' mallocs do not both get it [glibc: goal reached]" {
    resists thread_double_free racing
}

@test "thread_handover_race: another thread frees a block while its owner frees and reallocates it in a loop: the two never hold one block [glibc: goal reached]" {
    resists thread_handover_race
}

# ---- Pointers that are no block --------------------------------------------------
# house_of_spirit frees memory slz does not own. The shim's registry of the
# blocks glibc serves knows no block begins there and reports the free;
# glibc would take the fake chunk into its cache and hand it out once the
# one-page slz heap is full ("full").

@test "house_of_spirit stack: a fake chunk on the stack, freed, is never returned by malloc [glibc: goal reached]" {
    resists house_of_spirit stack
}

@test "house_of_spirit bss: a fake chunk in a global, freed, is never returned by malloc [glibc: goal reached]" {
    resists house_of_spirit bss
}

@test "house_of_spirit full: a fake chunk in a global, freed, then 300 mallocs (past the one-page heap, into glibc) never return it [glibc: goal reached]" {
    resists house_of_spirit full
}

# Bare, these programs aim at the mapping that holds glibc's first block (its
# brk heap), which has no guards.
@test "guard_pointer base: free() of the heap's first byte is reported [glibc: SIGSEGV]" {
    resists guard_pointer base
}

@test "guard_pointer below: free() of a pointer 16 bytes below the heap is reported [glibc: SIGSEGV]" {
    resists guard_pointer below
}

@test "guard_pointer guard_lo: free() of a pointer into the guard below the heap is reported [glibc: SIGSEGV]" {
    resists guard_pointer guard_lo
}

@test "guard_pointer end: free() of the first byte past the heap is reported [glibc: aborts: free(): invalid pointer]" {
    resists guard_pointer end
}

@test "guard_pointer above: free() of a pointer 16 bytes past the heap is reported [glibc: SIGSEGV]" {
    resists guard_pointer above
}

@test "guard_pointer guard_hi: free() of a pointer into the guard above the heap is reported [glibc: SIGSEGV]" {
    resists guard_pointer guard_hi
}

@test "guard_pointer meta: free() of a pointer into the metadata beyond a guard is reported [glibc: SIGSEGV: no guard, the page below its heap]" {
    resists guard_pointer meta
}

# ---- The blocks glibc serves, once the heap is full -------------------------------
# glibc_side fills the thread's slz heap (16 blocks a round, 64 MiB down to
# 16 bytes) until small requests come from glibc's main heap, then attacks
# glibc's own lists. The registry of glibc's blocks stops each one: a free
# of a place no block began at, a second free, or glibc handing out a place
# that is not its own.

@test "glibc_side tcache stack: the heap filled, a glibc block's tcache link pointed at another thread's stack: malloc does not return it [glibc: goal reached]" {
    resists glibc_side tcache stack
}

@test "glibc_side tcache mmap: the heap filled, a glibc block's tcache link pointed into an anonymous mapping: malloc does not return it [glibc: goal reached]" {
    resists glibc_side tcache mmap
}

@test "glibc_side tcache lib: the heap filled, a glibc block's tcache link pointed at libc's data: malloc does not return it [glibc: goal reached]" {
    resists glibc_side tcache lib
}

@test "glibc_side tcache bss: the heap filled, a glibc block's tcache link pointed at a global: malloc does not return it [glibc: goal reached]" {
    resists glibc_side tcache bss
}

@test "glibc_side fastbin: the heap filled, free(a), free(b), free(a) of glibc blocks: no two mallocs return the same block [glibc: goal reached]" {
    resists glibc_side fastbin
}

@test "glibc_side spirit stack: the heap filled, a fake chunk on another thread's stack, freed, is never returned by malloc [glibc: goal reached]" {
    resists glibc_side spirit stack
}

@test "glibc_side spirit mmap: the heap filled, a fake chunk in an anonymous mapping, freed, is never returned by malloc [glibc: goal reached]" {
    resists glibc_side spirit mmap
}

@test "glibc_side spirit lib: the heap filled, a fake chunk in libc's data, freed, is never returned by malloc [glibc: goal reached]" {
    resists glibc_side spirit lib
}

@test "glibc_side spirit bss: the heap filled, a fake chunk in a global, freed, is never returned by malloc [glibc: goal reached]" {
    resists glibc_side spirit bss
}

@test "glibc_side leak: the heap filled, glibc blocks written, freed and taken again hold no list link [glibc: goal reached: a tcache link]" {
    resists glibc_side leak
}
