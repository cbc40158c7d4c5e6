#!/usr/bin/env bats
# fork.bats - fork against stdio and from signal handlers, threads that exit
# or fail, posix_memalign in threads, and errno after every failing entry
# point, each compared with glibc alone (issue 9). Every program runs its
# scenario 100 times (forks, signals, rounds) in one run, without the shim
# (glibc passes: the test itself is right), under it with the default
# one-page heap (owners mix, most blocks fall back to glibc) and with
# SLZ_HEAP_SIZE=1G (the core serves everything). A deadlock must not hang the
# suite: every run is bounded by `timeout`, which kills the program with its
# whole process group (children, signal senders) and fails the test with
# "hung".
load test_helper

BOUND=20 # seconds; a passing run takes 0.1 to 3

# bounded CONFIG prog args...: run prog within BOUND seconds, CONFIG being
# plain (glibc alone), default (the shim, default heap) or a heap size (the
# shim with SLZ_HEAP_SIZE=CONFIG); it must exit 0, with no slzmalloc: line.
bounded() {
    local config=$1 pre=()
    shift
    case $config in
    plain) ;;
    default) pre=(LD_PRELOAD="$LIB") ;;
    *) pre=(LD_PRELOAD="$LIB" SLZ_HEAP_SIZE="$config") ;;
    esac
    run --separate-stderr timeout -k 5 "$BOUND" env "${pre[@]}" "$@"
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "# [$config] hung: killed after $BOUND s" >&3
        echo "hung: ${*##*/} ($config) killed after $BOUND s; stderr: $stderr"
        return 1
    fi
    echo "# [$config] ${output##*$'\n'}" >&3 # the summary, the last line
    echo "exit status $status; stderr: $stderr"
    [ "$status" -eq 0 ]
    [[ "$stderr" != *slzmalloc:* ]]
}

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

# ---- threads -----------------------------------------------------------------

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

# ---- address-space limits (issue 21): the heaps map what they use -------
rlimit_thread() {
    bounded "$1" "$BIN/shim_rlimit" thread
    [ "$output" = "under a 200 MB RLIMIT_AS: thread creation works, 50 MB in the thread works, 50 MB in main works" ]
}

@test "limits: RLIMIT_AS lowered to 200 MB after start; a thread is created and 50 MB allocated (glibc alone)" {
    rlimit_thread plain
}

@test "limits: RLIMIT_AS lowered to 200 MB after start; a thread is created and 50 MB allocated (1M heap)" {
    rlimit_thread 1M
}

@test "limits: RLIMIT_AS lowered to 200 MB after start; a thread is created and 50 MB allocated (1G heap)" {
    rlimit_thread 1G
}

@test "limits: glibc's tst-malloc-thread-fail scenario: 9 threads fill a 200 MB RLIMIT_AS, 24 ways, and free it all (glibc alone, 1G heap)" {
    for config in plain 1G; do
        bounded $config "$BIN/shim_rlimit" fail
        [ "$output" = "under a 200 MB RLIMIT_AS, 9 threads filled memory: 24 runs, 0 failed" ]
    done
}

@test "limits: python's bytearray(1.7e9) under ulimit -v 3500000 with a 1G heap, as with glibc alone" {
    command -v python3 >/dev/null || skip "no python3"
    for config in plain 1G; do
        bounded $config bash -c 'ulimit -v 3500000 && exec python3 -c "print(len(bytearray(int(1.7e9))))"'
        [ "$output" = 1700000000 ]
    done
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
