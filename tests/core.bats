#!/usr/bin/env bats
# core.bats - the slz core on its own (no shim).
load test_helper

@test "core: first fit, split and coalesce on caller memory" {
    run "$BIN/core_basic"
    [ "$status" -eq 0 ]
}
