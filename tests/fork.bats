#!/usr/bin/env bats
# fork.bats - fork against stdio and from signal handlers, from the main
# thread and from workers while threads allocate, each compared with glibc
# alone where glibc can pass (issue 9). Every program runs its
# scenario 100 times (forks, signals, rounds) in one run, without the shim
# (glibc passes: the test itself is right), under it with the default
# one-page heap (owners mix, most blocks fall back to glibc) and with
# SLZ_HEAP_SIZE=1G (the core serves everything). A deadlock must not hang the
# suite: every run is bounded by `timeout`, which kills the program with its
# whole process group (children, signal senders) and fails the test with
# "hung".
load test_helper

# ---- fork against stdio (glibc bug 19431) ----------------------------------

stdio() {
    bounded "$1" "$BIN/shim_fork_stdio" 100
    [[ "$output" == "100 forks from 2 threads"*": 0 children failed, 0 errors, 0 pre-fork blocks damaged" ]]
}

@test "fork vs stdio: 100 forks while fflush(NULL) and getline() hold stdio's locks and others allocate; no deadlock, children allocate (glibc alone)" {
    stdio plain
}

@test "fork vs stdio: 100 forks while fflush(NULL) and getline() hold stdio's locks and others allocate; no deadlock, children allocate (default heap)" {
    stdio default
}

@test "fork vs stdio: 100 forks while fflush(NULL) and getline() hold stdio's locks and others allocate; no deadlock, children allocate (1G heap)" {
    stdio 1G
}

# ---- fork from a signal handler (glibc bugs 838, 24161) ---------------------

signal_fork() {
    bounded "$2" "$BIN/shim_fork_signal" "$1" 100
    [[ "$output" == "mode $1: "*": 0 children failed, 0 errors, 0 kept blocks damaged" ]]
}

@test "fork in a signal handler: 100 signals that land inside malloc, free or realloc each fork a child that exits (glibc alone)" {
    signal_fork exit plain
}

@test "fork in a signal handler: 100 signals that land inside malloc, free or realloc each fork a child that exits (default heap)" {
    signal_fork exit default
}

@test "fork in a signal handler: 100 signals that land inside malloc, free or realloc each fork a child that exits (1G heap)" {
    signal_fork exit 1G
}

@test "fork in a signal handler: 100 signals that land inside a fork() in progress each fork a child that allocates (glibc alone)" {
    signal_fork fork plain
}

@test "fork in a signal handler: 100 signals that land inside a fork() in progress each fork a child that allocates (default heap)" {
    signal_fork fork default
}

@test "fork in a signal handler: 100 signals that land inside a fork() in progress each fork a child that allocates (1G heap)" {
    signal_fork fork 1G
}

# glibc alone cannot pass this one: a child whose parent was stopped in the
# middle of glibc's malloc aborts ("corrupted double-linked list"), and so
# does a shim child whose parent was inside a fallback to glibc. With a 1G
# heap the core serves every request, so glibc's heap is always intact and
# the core alone must cope with the operation it was cut in.
@test "fork in a signal handler: the child allocates and frees although its parent was stopped inside malloc, free or realloc, 100 times (1G heap; glibc alone aborts)" {
    signal_fork alloc 1G
}

fork_threads() {
    bounded "$1" "$BIN/shim_fork_threads" 100
    [[ "$output" == "100 forks while 4 threads allocated"*": 0 children failed, 0 errors, 0 blocks damaged in the parent" ]]
}

@test "fork with 4 allocating threads: 100 children check and free every thread's pre-fork blocks, then allocate, in threads of their own too (glibc alone)" {
    fork_threads plain
}

@test "fork with 4 allocating threads: 100 children check and free every thread's pre-fork blocks, then allocate, in threads of their own too (default heap)" {
    fork_threads default
}

@test "fork with 4 allocating threads: 100 children check and free every thread's pre-fork blocks, then allocate, in threads of their own too (1G heap)" {
    fork_threads 1G
}

# ---- fork from the main thread or a worker, while threads allocate ----------

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
