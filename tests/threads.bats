#!/usr/bin/env bats
# threads.bats - the shim under threads: blocks passed between threads with
# content checks and cross-thread frees, threads created and joined in a
# loop, threads that exit with live blocks or fail at once, posix_memalign
# in threads, the process exiting while threads allocate.
# Each program exits 0 only if no block was damaged and the work really
# happened (blocks crossed threads, every child exited cleanly); each runs
# with the default one-page heap (most blocks fall back to glibc, owners mix)
# and with a big heap (the core serves almost everything); the bounded ones
# also without the shim (glibc passes: the test itself is right).
load test_helper

@test "threads: 8 threads for 2 s pass blocks and free each other's (default heap)" {
    ok_under "$BIN/shim_threads" 8 2
    [[ "$output" == *", 0 errors" ]]
}

@test "threads: 8 threads for 2 s pass blocks and free each other's (256M heap)" {
    ok_under SLZ_HEAP_SIZE=256M "$BIN/shim_threads" 8 2
    [[ "$output" == *", 0 errors" ]]
}

@test "threads: 8 threads for 1 s on a 64K heap with the heap checked after every call" {
    ok_under SLZ_HEAP_SIZE=64K SLZ_CHECK=1 "$BIN/shim_threads" 8 1
    [[ "$output" == *", 0 errors" ]]
}

@test "threads: 1200 threads created and joined in a loop, blocks outliving their thread (default heap)" {
    ok_under "$BIN/shim_thread_loop" 300
    [[ "$output" == "1200 threads created and joined"*", 0 errors" ]]
}

@test "threads: 1200 threads created and joined in a loop, blocks outliving their thread (256M heap)" {
    ok_under SLZ_HEAP_SIZE=256M "$BIN/shim_thread_loop" 300
    [[ "$output" == "1200 threads created and joined"*", 0 errors" ]]
}

@test "exit: the process exits (from main or from a worker) while 4 threads allocate; 20 runs, stats still printed" {
    local i heap mode
    for i in $(seq 1 20); do
        heap=$([ $((i % 2)) -eq 0 ] && echo 256M || echo 64K)
        mode=$([ $((i % 4)) -lt 2 ] && echo main || echo worker)
        run -0 --separate-stderr under_slz SLZ_HEAP_SIZE=$heap SLZ_STATS=1 "$BIN/shim_exit_race" $mode $((i * 3))
        [[ "$stderr" == *"slzmalloc: stats: "* ]]
    done
}

# ---- threads that exit or fail, compared with glibc alone (bounded, test_helper) ----

thread_exit() {
    bounded "$1" "$BIN/shim_thread_exit" 100
    [[ "$output" == "800 threads (200 detached) in 100 rounds exited with live blocks; 31680 of their blocks freed by other threads (31680 expected)"*"; 0 errors" ]]
}

@test "threads: 800 threads exit with live blocks that later threads free; the address space does not grow (glibc alone)" {
    thread_exit plain
}

@test "threads: 800 threads exit with live blocks that later threads free; the address space does not grow (default heap)" {
    thread_exit default
}

@test "threads: 800 threads exit with live blocks that later threads free; the address space does not grow (1G heap)" {
    thread_exit 1G
}

@test "threads: an exited thread's heap keeps up to 4 MB of free pages for the next thread (no madvise at its exit, no faults again), 8 MB for all such heaps; more goes back (1G heap)" {
    local m
    for m in "" SLZ_CACHE=1; do
        ok_under SLZ_HEAP_SIZE=1G $m "$BIN/shim_exit_keep"
        [[ "$output" == "keep: 0 madvise calls at the exit, 0 at the next one"* ]]
    done
}

@test "threads: a thread whose first call frees a block of an exited thread's heap takes that heap (its next block is the freed one's place); one that frees nothing first takes the first such heap; a free after the thread left its heap takes none (1G heap, both modes)" {
    local m
    for m in "" SLZ_CACHE=1; do
        ok_under SLZ_HEAP_SIZE=1G $m "$BIN/shim_adopt_free"
        [[ "$output" == "C freed "*" and got its place again; D got a block of A's heap; blocks intact; 90 more threads kept the address space" ]]
    done
}

thread_fail() {
    bounded "$1" "$BIN/shim_thread_fail" 100
    [[ "$output" =~ ^"8 threads, 100 rounds: "([0-9]+)" of "([0-9]+)" impossible requests failed with ENOMEM and left their block intact, "[0-9]+" blocks handed between threads, 0 errors"$ ]]
    [ "${BASH_REMATCH[1]}" = "${BASH_REMATCH[2]}" ]
}

@test "threads: impossible requests in 8 threads at once all fail with ENOMEM and damage no block (glibc alone)" {
    thread_fail plain
}

@test "threads: impossible requests in 8 threads at once all fail with ENOMEM and damage no block (default heap)" {
    thread_fail default
}

@test "threads: impossible requests in 8 threads at once all fail with ENOMEM and damage no block (1G heap)" {
    thread_fail 1G
}

memalign_threads() {
    bounded "$1" "$BIN/shim_memalign_threads" 100
    [[ "$output" == "8 threads, 100 rounds of posix_memalign"*": "*" blocks freed by another thread, 0 requests failed, 0 misaligned, 0 shorter than asked, 0 bad alignments not refused with EINVAL, 0 blocks damaged" ]]
}

@test "threads: posix_memalign in 8 threads gives aligned blocks that stay intact when freed by another thread; bad alignments EINVAL (glibc alone)" {
    memalign_threads plain
}

@test "threads: posix_memalign in 8 threads gives aligned blocks that stay intact when freed by another thread; bad alignments EINVAL (default heap)" {
    memalign_threads default
}

@test "threads: posix_memalign in 8 threads gives aligned blocks that stay intact when freed by another thread; bad alignments EINVAL (1G heap)" {
    memalign_threads 1G
}
