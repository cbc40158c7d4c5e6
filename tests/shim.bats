#!/usr/bin/env bats
# shim.bats - the shim preloaded into stock programs.
load test_helper

@test "shim: ls runs under the shim with the same output" {
    expected="$(ls -la /usr/bin)"
    run under_slz ls -la /usr/bin
    [ "$status" -eq 0 ]
    [ "$output" = "$expected" ]
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
