#!/usr/bin/env bats
# registry.bats - the registry of the blocks glibc serves (preload/registry.c,
# issue 18): its protocol between threads through its API, plain and under
# ThreadSanitizer; then, through the shim with the default heap, frees of
# glibc-served blocks judged as strictly as slz's own.
load test_helper

@test "registry stress: pages given back by a trim, shared words, racing double frees, new leaves made at once, a live block added twice (plain build)" {
    run -0 "$ROOT/build/tests/registry_stress"
    echo "# $output"
    [ "${lines[0]}" = "ok trim" ]
    [ "${lines[1]}" = "ok words" ]
    [[ "${lines[2]}" == "ok race ("* ]]
    [ "${lines[3]}" = "ok leaves" ]
    [ "${lines[4]}" = "ok twice" ]
}

@test "registry stress under ThreadSanitizer: no data race reported" {
    run -0 --separate-stderr env TSAN_OPTIONS="halt_on_error=1 exitcode=66" "$ROOT/build/tsan/registry_stress"
    echo "# $output"
    echo "# stderr [$stderr]"
    [ "${#lines[@]}" -eq 5 ]
    [ "${lines[4]}" = "ok twice" ]
    [ -z "$stderr" ]
}

@test "the registry through the shim (default heap): every place glibc serves from is its own, no false report: main heap, 6 threads' arenas, aligned and mapped blocks, realloc of a mapped block" {
    run -0 --separate-stderr under_slz "$BIN/shim_glibc_places"
    echo "# $output [$stderr]"
    [ "$output" = "13 checks, 0 failed" ]
    [ -z "$stderr" ]
    run -0 under_slz SLZ_HEAP_SIZE=64K "$BIN/shim_glibc_places"
    [ "$output" = "13 checks, 0 failed" ]
}

@test "the registry through the shim: glibc told to map every block on its own (MALLOC_MMAP_THRESHOLD_=0, or the tunable) is still judged right" {
    run -0 --separate-stderr under_slz MALLOC_MMAP_THRESHOLD_=0 "$BIN/shim_glibc_places"
    echo "# $output [$stderr]"
    [ "$output" = "13 checks, 0 failed" ]
    run -0 --separate-stderr under_slz GLIBC_TUNABLES=glibc.malloc.mmap_threshold=0 "$BIN/shim_glibc_places"
    [ "$output" = "13 checks, 0 failed" ]
}

@test "the break cannot grow (a page mapped just above it): glibc carries its main heap on in mapped memory, and the shim takes those places as glibc's, no false report [before: glibc returned memory outside its heaps]" {
    run -0 "$BIN/shim_brk_blocked"
    [ "$output" = "3 checks, 0 failed" ]
    run -0 --separate-stderr under_slz "$BIN/shim_brk_blocked"
    echo "# $output [$stderr]"
    [ "$output" = "3 checks, 0 failed" ]
    [ -z "$stderr" ]
}

@test "process_vm_readv refused (a seccomp filter; qemu-user lacks the call): glibc's chunk headers are still read (a futex probe of each page): no false report with threads or in every kind of place, and a poisoned tcache link to a stack, a mapping, libc's data or a global is still reported" {
    run -0 --separate-stderr under_slz "$BIN/deny_vm_readv" "$BIN/shim_glibc_places"
    echo "# $output [$stderr]"
    [ "$output" = "13 checks, 0 failed" ]
    [ -z "$stderr" ]
    run -0 --separate-stderr under_slz "$BIN/deny_vm_readv" "$BIN/shim_threads" 8 1
    echo "# $output [$stderr]"
    [[ "$output" == *", 0 errors" ]]
    [ -z "$stderr" ]
    local target
    for target in stack mmap lib bss; do
        run -134 --separate-stderr under_slz "$BIN/deny_vm_readv" "$ROOT/build/attacks/glibc_side" tcache "$target"
        echo "# $target: [$output] [$stderr]"
        [ -z "$output" ]
        [[ "$stderr" == "slzmalloc: malloc(): glibc returned memory outside its heaps (corrupted free list?) (0x"*")" ]]
    done
}
