#!/usr/bin/env bats
# env.bats - bad SLZ_* values: exactly one "slzmalloc:" warning line naming
# the variable, the default is kept, and the program gives the same output
# and status as without the shim. SLZ_CHECK=1 on stock programs passes.
load test_helper

PY=/usr/bin/python3
PY_WORK='import json; d = {str(i): list(range(i % 50)) for i in range(20000)}; print(len(json.dumps(d)), sum(map(len, d.values())))'

setup() {
    unset SLZ_HEAP_SIZE SLZ_STATS SLZ_STATS_FILE SLZ_CHECK
    seq 1 30000 | sed 's/$/ lines to sort/' | tac >"$BATS_TEST_TMPDIR/in"
}

# one_warning VAR=VALUE CMD...: CMD under the shim with VAR=VALUE gives the
# stdout and status CMD gives without the shim, and stderr is exactly one
# line, "slzmalloc: ... VAR=VALUE ...".
one_warning() {
    local setting=$1
    shift
    run --separate-stderr "$@"
    local want_status=$status want="$output"
    [ -n "$want" ]
    run --separate-stderr under_slz "$setting" "$@"
    echo "# status $status, stderr [$stderr]"
    [ "$status" -eq "$want_status" ]
    [ "$output" = "$want" ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: "*"$setting"* ]]
}

# ---- SLZ_HEAP_SIZE ----------------------------------------------------------

@test "SLZ_HEAP_SIZE empty: one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE= sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=-1 (negative): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=-1 sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=-64M (negative with a suffix): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=-64M sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=lots (not a number): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=lots sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=0: one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=0 sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=1 (below one page): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=1 sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=64Mjunk (junk after the suffix): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=64Mjunk sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=64X (unknown suffix): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=64X sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=99999999999999999999999 (overflows 64 bits): one warning, sort gives the same output" {
    one_warning SLZ_HEAP_SIZE=99999999999999999999999 sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE twice the machine's memory: one warning, sort gives the same output" {
    mem_k=$(awk '/^MemTotal:/ {print $2}' /proc/meminfo)
    one_warning "SLZ_HEAP_SIZE=$((2 * mem_k))K" sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_HEAP_SIZE=65G: one warning naming the 64 GiB a heap can be, whatever the machine's memory" {
    run --separate-stderr under_slz SLZ_HEAP_SIZE=65G sort -n "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: ignoring SLZ_HEAP_SIZE=65G: larger than the 64 GiB a heap can be; using one page" ]]
}

@test "SLZ_HEAP_SIZE=lots: one warning, python3 gives the same output" {
    one_warning SLZ_HEAP_SIZE=lots "$PY" -c "$PY_WORK"
}

@test "SLZ_HEAP_SIZE=100000G: one warning, python3 gives the same output" {
    one_warning SLZ_HEAP_SIZE=100000G "$PY" -c "$PY_WORK"
}

# ---- SLZ_STATS and SLZ_CHECK --------------------------------------------------

@test "SLZ_STATS=2 (not a boolean): one warning, no report, sort gives the same output" {
    one_warning SLZ_STATS=2 sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_STATS=maybe: one warning, no report, python3 gives the same output" {
    one_warning SLZ_STATS=maybe "$PY" -c "$PY_WORK"
}

@test "SLZ_CHECK=2 (not a boolean): one warning, sort gives the same output" {
    one_warning SLZ_CHECK=2 sort -n "$BATS_TEST_TMPDIR/in"
}

@test "SLZ_CHECK=sometimes: one warning, python3 gives the same output" {
    one_warning SLZ_CHECK=sometimes "$PY" -c "$PY_WORK"
}

@test "two bad values at once: one warning each" {
    run --separate-stderr under_slz SLZ_HEAP_SIZE=0 SLZ_CHECK=2 sort -n "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$output" = "$(sort -n "$BATS_TEST_TMPDIR/in")" ]
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 2 ]
    [ "$(grep -c '^slzmalloc: .*SLZ_HEAP_SIZE=0' <<<"$stderr")" -eq 1 ]
    [ "$(grep -c '^slzmalloc: .*SLZ_CHECK=2' <<<"$stderr")" -eq 1 ]
}

# ---- SLZ_CHECK=1 on stock programs --------------------------------------------

@test "SLZ_CHECK=1 with a 64M heap: sort runs clean, same output, nothing on stderr" {
    run --separate-stderr under_slz SLZ_CHECK=1 SLZ_HEAP_SIZE=64M sort -n "$BATS_TEST_TMPDIR/in"
    [ "$status" -eq 0 ]
    [ "$output" = "$(sort -n "$BATS_TEST_TMPDIR/in")" ]
    [ -z "$stderr" ]
}

@test "SLZ_CHECK=1 with a 64M heap: python3 runs clean, same output, nothing on stderr" {
    want="$("$PY" -c "$PY_WORK")"
    run --separate-stderr under_slz SLZ_CHECK=1 SLZ_HEAP_SIZE=64M "$PY" -c "$PY_WORK"
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
    [ -z "$stderr" ]
}

@test "SLZ_CHECK=1 with the default heap: ls -l /usr/bin runs clean, same output" {
    want="$(ls -l /usr/bin)"
    run --separate-stderr under_slz SLZ_CHECK=yes ls -l /usr/bin
    [ "$status" -eq 0 ]
    [ "$output" = "$want" ]
    [ -z "$stderr" ]
}

# ---- SLZ_HEAP_SIZE: the warning says what is wrong -----------------------------

# heap_size_says VALUE TEXT: one warning for SLZ_HEAP_SIZE=VALUE that says TEXT
# (and the default one page is used: sort gives the same output).
heap_size_says() {
    one_warning "SLZ_HEAP_SIZE=$1" sort -n "$BATS_TEST_TMPDIR/in"
    [[ "${stderr_lines[0]}" == *"$2"*"using one page" ]]
    [[ "${stderr_lines[0]}" != *"not a size above zero"* ]]
}

@test "SLZ_HEAP_SIZE=1T: the warning names an unknown suffix and K, M or G" {
    heap_size_says 1T "unknown suffix (use K, M or G"
}

@test "SLZ_HEAP_SIZE=16MiB: the warning names an unknown suffix" {
    heap_size_says 16MiB "unknown suffix (use K, M or G"
}

@test "SLZ_HEAP_SIZE=1.5G: the warning says it is not a whole number" {
    heap_size_says 1.5G "not a whole number"
}

@test "SLZ_HEAP_SIZE=' 16M' (leading space): the warning says not a number" {
    heap_size_says " 16M" "not a number"
}

@test "SLZ_HEAP_SIZE=99999999999999999999G (overflows): the warning says too large" {
    heap_size_says 99999999999999999999G "too large"
}
