#!/usr/bin/env bats
# threads.bats - the shim under threads and fork: blocks passed between
# threads with content checks and cross-thread frees, threads created and
# joined in a loop, fork from a multithreaded process while others allocate.
# Each program exits 0 only if no block was damaged and the work really
# happened (blocks crossed threads, every child exited cleanly); each runs
# with the default one-page heap (most blocks fall back to glibc, owners mix)
# and with a 256M heap (the core serves almost everything).
load test_helper

# ok_under [VAR=v ...] prog args...: exit 0 under the shim, no slzmalloc line
ok_under() {
    run -0 --separate-stderr under_slz "$@"
    echo "# $output" >&3
    [[ "$stderr" != *slzmalloc:* ]]
}

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

@test "fork: 50 forks from the main thread while 4 threads allocate; children use pre-fork blocks (default heap)" {
    ok_under "$BIN/shim_fork" 50 main
    [[ "$output" == "50 forks from the main thread"*": 0 children failed, 0 errors in the parent, 0 pre-fork"* ]]
}

@test "fork: 50 forks from the main thread while 4 threads allocate; children use pre-fork blocks (256M heap)" {
    ok_under SLZ_HEAP_SIZE=256M "$BIN/shim_fork" 50 main
    [[ "$output" == "50 forks from the main thread"*": 0 children failed, 0 errors in the parent, 0 pre-fork"* ]]
}

@test "fork: 20 forks from an allocating worker thread (64K heap, heap checked after every call)" {
    ok_under SLZ_HEAP_SIZE=64K SLZ_CHECK=1 "$BIN/shim_fork" 20 worker
    [[ "$output" == "20 forks from a worker thread"*": 0 children failed, 0 errors in the parent, 0 pre-fork"* ]]
}

@test "fork: 20 forks from an allocating worker thread (256M heap)" {
    ok_under SLZ_HEAP_SIZE=256M "$BIN/shim_fork" 20 worker
    [[ "$output" == "20 forks from a worker thread"*": 0 children failed, 0 errors in the parent, 0 pre-fork"* ]]
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
