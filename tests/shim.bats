#!/usr/bin/env bats
# shim.bats - the shim preloaded into stock programs.
load test_helper

@test "shim: ls runs under the shim with the same output" {
    expected="$(ls -la /usr/bin)"
    run under_slz ls -la /usr/bin
    [ "$status" -eq 0 ]
    [ "$output" = "$expected" ]
}

@test "shim: python3 with a 256M heap is served mostly by the core" {
    run --separate-stderr under_slz SLZ_HEAP_SIZE=256M SLZ_STATS=1 /usr/bin/python3 -c 'print(sum(range(10**6)))'
    [ "$status" -eq 0 ]
    [ "$output" = 499999500000 ]
    core=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc.*/\1/p' <<<"$stderr")
    glibc=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc.*/\2/p' <<<"$stderr")
    [ -n "$core" ] && [ -n "$glibc" ]
    [ "$core" -gt $((9 * glibc)) ]
}
