#!/usr/bin/env bats
# shim.bats - the shim preloaded into stock programs.
load test_helper

@test "shim: ls runs under the shim with the same output" {
    expected="$(ls -la /usr/bin)"
    run under_slz ls -la /usr/bin
    [ "$status" -eq 0 ]
    [ "$output" = "$expected" ]
}
