#!/usr/bin/env bats
# sites.bats - SLZ_SITES=1: misuse reports name where the block was
# allocated (and first freed), as one line; the exit report lists what is
# still allocated by allocation site; with sites off none of it appears.
#
# The programs are tests/sites/*.c, built with -g -O0 (tests/sites/sites.mk).
# slz-run --sites turns the frames into function:file:line with addr2line,
# so these tests find the programs' own function names and source lines
# (the lines marked SITE:<name> in the sources): addr2line must be
# installed (.ci/run installs binutils), or those tests fail.
load test_helper

SITES="$ROOT/build/sites"
SRC="$ROOT/tests/sites"
SLZ_RUN="$ROOT/scripts/slz-run"

setup() {
    ulimit -c 0
    unset SLZ_HEAP_SIZE SLZ_CHECK SLZ_STATS SLZ_STATS_FILE SLZ_SITES SLZ_HEAPMAP SLZ_TRACE
}

# at FILE NAME: "file.c:N" for the line of FILE marked SITE:NAME
at() {
    local n
    n=$(grep -n "SITE:$2 " "$SRC/$1" | cut -d: -f1)
    [ -n "$n" ] || { echo "no SITE:$2 in $1" >&2; return 1; }
    echo "$1:$n"
}

# frame FUNCTION FILE NAME: a regex for one named frame, function:path/file.c:N
frame() { echo "$1:[^ ]*/tests/sites/$(at "$2" "$3")"; }

# report PROGRAM ARGS...: run under slz-run --sites, expecting SIGABRT; the
# slzmalloc lines of stderr in $lines_slz (there must be exactly one)
report() {
    run -134 --separate-stderr "$SLZ_RUN" -q --sites "$@"
    echo "# stdout [$output]"
    echo "# stderr [$stderr]"
    lines_slz=$(grep '^slzmalloc:' <<<"$stderr")
    [ "$(grep -c '^slzmalloc:' <<<"$stderr")" -eq 1 ]
}

# ---- (a) misuse reports name the sites --------------------------------------

@test "sites: a double free names the allocation and the first free (make_block, drop_block)" {
    report "$SITES/misuse" double
    local re="^slzmalloc: free\(\): double free \(0x[0-9a-f]+\): allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller) .* ; first freed at $(frame drop_block misuse.c first_free) $(frame main misuse.c drop)( |$)"
    echo "# want $re"
    [[ "$lines_slz" =~ $re ]]
}

@test "sites: a block freed by another thread, then by its owner: the first free is the other thread's" {
    report "$SITES/misuse" thread
    local re="^slzmalloc: free\(\): double free \(0x[0-9a-f]+\): allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller) .* ; first freed at $(frame drop_in_thread misuse.c thread_free)( |$)"
    echo "# want $re"
    [[ "$lines_slz" =~ $re ]]
}

@test "sites: realloc of a freed block names the allocation and the free" {
    report "$SITES/misuse" realloc
    local re="^slzmalloc: realloc\(\): double free \(0x[0-9a-f]+\): allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller) .* ; first freed at $(frame drop_block misuse.c first_free) $(frame main misuse.c drop_then_realloc)( |$)"
    echo "# want $re"
    [[ "$lines_slz" =~ $re ]]
}

@test "sites: an invalid free (inside a live block) names the block and where it was allocated" {
    report "$SITES/misuse" invalid
    local re="^slzmalloc: free\(\): invalid pointer \(0x[0-9a-f]+\): inside the block 0x[0-9a-f]+ \(48 bytes\) allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller)( |$)"
    echo "# want $re"
    [[ "$lines_slz" =~ $re ]]
    [[ "$lines_slz" != *"freed at"* ]]
}

@test "sites: an overflow found at free names where the overflowed block was allocated, and no free" {
    report "$SITES/misuse" overflow
    local re="^slzmalloc: free\(\): corrupted next chunk \(write past the end of a block\?\) \(0x[0-9a-f]+\): allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller)( |$)"
    echo "# want $re"
    [[ "$lines_slz" =~ $re ]]
    [[ "$lines_slz" != *"freed at"* ]]
}

@test "sites: free of a block whose header an overflow damaged names it and the block below, with both allocation sites" {
    report "$SITES/misuse" header
    local re="^slzmalloc: free\(\): corrupted chunk header \(write past the end of the block below\?\) \(0x[0-9a-f]+\): allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller_q) .* ; the block below \(0x[0-9a-f]+\) allocated at $(frame make_block misuse.c alloc) $(frame main misuse.c caller)( |$)"
    echo "# want $re"
    [[ "$lines_slz" =~ $re ]]
    [[ "$lines_slz" != *"freed at"* ]]
}

@test "sites: without slz-run the frames are module+offset, and addr2line names them" {
    run -134 --separate-stderr under_slz SLZ_SITES=1 "$SITES/misuse" double
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 1 ]
    local re="^slzmalloc: free\(\): double free \(0x[0-9a-f]+\): allocated at ([^ ]*/build/sites/misuse)\+(0x[0-9a-f]+) [^ ]+\+0x[0-9a-f]+ .* ; first freed at [^ ]*/build/sites/misuse\+0x[0-9a-f]+ "
    [[ "$stderr" =~ $re ]]
    run addr2line -f -e "${BASH_REMATCH[1]}" "${BASH_REMATCH[2]}"
    echo "# addr2line: $output"
    [ "${lines[0]}" = make_block ]
    [[ "${lines[1]}" == */tests/sites/$(at misuse.c alloc) ]]
}

# ---- (b) leaks at exit, by site ---------------------------------------------

@test "sites: SLZ_STATS=1 lists the leaks by site, largest first: 2 x 5000 from b, 3 x 100 from a" {
    run -0 --separate-stderr "$SLZ_RUN" -q --sites --stats --heap-size 1M "$SITES/leaks"
    echo "# stderr [$stderr]"
    local summary leaks
    summary=$(grep '^slzmalloc:   leaks: ' <<<"$stderr")
    leaks=$(grep '^slzmalloc:   leak: ' <<<"$stderr")
    [[ "$summary" =~ ^"slzmalloc:   leaks: 5 blocks (10300 bytes) still allocated in the slz heaps, from 2 sites"( \(and [0-9]+ made before sites were on, not listed\))?"; largest first:"$ ]]
    [ "$(wc -l <<<"$leaks")" -eq 2 ]
    local re1="^slzmalloc:   leak: 2 blocks, 10000 bytes, allocated at $(frame b leaks.c b) $(frame main leaks.c call_b)( |$)"
    local re2="^slzmalloc:   leak: 3 blocks, 300 bytes, allocated at $(frame a leaks.c a) $(frame main leaks.c call_a)( |$)"
    [[ "$(sed -n 1p <<<"$leaks")" =~ $re1 ]]
    [[ "$(sed -n 2p <<<"$leaks")" =~ $re2 ]]
}

@test "sites: SLZ_STATS=json has the same leaks under \"leaks\"" {
    run -0 --separate-stderr "$SLZ_RUN" -q --sites --json --heap-size 1M "$SITES/leaks"
    echo "# stderr [$stderr]"
    A=$(at leaks.c a) CA=$(at leaks.c call_a) B=$(at leaks.c b) CB=$(at leaks.c call_b) python3 -c '
import json, os, re, sys
r = json.loads(sys.stdin.read())["leaks"]
e = os.environ
def site(s, f, line, caller):
    return re.fullmatch(f + r":.*/tests/sites/" + re.escape(line), s[0]) and re.fullmatch(r"main:.*/tests/sites/" + re.escape(caller), s[1])
assert (r["blocks"], r["bytes"], r["sites"]) == (5, 10300, 2), r
s = r["by_site"]
assert len(s) == 2, s
assert (s[0]["count"], s[0]["bytes"]) == (2, 10000) and site(s[0]["site"], "b", e["B"], e["CB"]), s[0]
assert (s[1]["count"], s[1]["bytes"]) == (3, 300) and site(s[1]["site"], "a", e["A"], e["CA"]), s[1]
assert r["more"] == {"sites": 0, "count": 0, "bytes": 0}, r["more"]
' <<<"$stderr"
}

@test "sites: a block another thread freed (still pending in its heap at exit) is no leak" {
    run -0 --separate-stderr "$SLZ_RUN" -q --sites --stats --heap-size 1M "$SITES/leaks" thread
    echo "# stderr [$stderr]"
    local ours
    ours=$(grep '^slzmalloc:   leak: ' <<<"$stderr" | grep -E '^slzmalloc:   leak: [^,]*, [^,]*, allocated at [^ ]*leaks\.c' || true)
    [ "$(wc -l <<<"$ours")" -eq 2 ]
    [[ "$stderr" != *"$(at leaks.c pending)"* ]]
    # glibc's own blocks for the thread are still there: listed, from libc
    grep -q '^slzmalloc:   leaks: [0-9]* blocks .* from 3 sites' <<<"$stderr"
}

@test "sites: the raw JSON report (no slz-run) is valid JSON with module+offset frames" {
    run -0 --separate-stderr under_slz SLZ_SITES=1 SLZ_STATS=json SLZ_HEAP_SIZE=1M "$SITES/leaks"
    python3 -c '
import json, re, sys
r = json.loads(sys.stdin.read())["leaks"]
assert r["blocks"] == 5, r
for s in r["by_site"]:
    assert re.fullmatch(r".*/build/sites/leaks\+0x[0-9a-f]+", s["site"][0]), s
' <<<"$stderr"
}

# ---- (c) sites off: no site text anywhere -----------------------------------

@test "sites off: misuse reports are the core's plain line" {
    local env
    for env in "" SLZ_SITES=0 SLZ_SITES=off; do
        run -134 --separate-stderr under_slz $env "$SITES/misuse" double
        echo "# $env: stderr [$stderr]"
        [ "${#stderr_lines[@]}" -eq 1 ]
        [[ "$stderr" =~ ^slzmalloc:\ free\(\):\ double\ free\ \(0x[0-9a-f]+\)$ ]]
    done
    run -134 --separate-stderr "$SLZ_RUN" -q "$SITES/misuse" invalid
    [[ "$stderr" =~ (^|$'\n')slzmalloc:\ free\(\):\ invalid\ pointer\ \(0x[0-9a-f]+\)($'\n'|$) ]]
    [[ "$stderr" != *"allocated at"* ]]
}

@test "sites off: the statistics say nothing of leaks or sites" {
    run -0 --separate-stderr under_slz SLZ_STATS=1 SLZ_HEAP_SIZE=1M "$SITES/leaks"
    echo "# stderr [$stderr]"
    grep -q '^slzmalloc: stats: ' <<<"$stderr"
    [[ "$stderr" != *leak* ]]
    [[ "$stderr" != *"allocated at"* ]]
    run -0 --separate-stderr under_slz SLZ_STATS=json SLZ_HEAP_SIZE=1M "$SITES/leaks"
    python3 -c 'import json, sys; r = json.loads(sys.stdin.read()); assert "leaks" not in r and "core" in r, r' <<<"$stderr"
}

@test "sites: a bad SLZ_SITES value warns and leaves sites off" {
    run -134 --separate-stderr under_slz SLZ_SITES=maybe "$SITES/misuse" double
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 2 ]
    [ "${stderr_lines[0]}" = "slzmalloc: ignoring SLZ_SITES=maybe: not 1/on/yes/true or 0/off/no/false; call sites off" ]
    [[ "${stderr_lines[1]}" =~ ^slzmalloc:\ free\(\):\ double\ free\ \(0x[0-9a-f]+\)$ ]]
}

# ---- Sites on, programs that do not misuse -----------------------------------

@test "sites: threads passing blocks and freeing each other's, with sites on, run clean" {
    run -0 --separate-stderr under_slz SLZ_SITES=1 SLZ_STATS=1 "$BIN/shim_threads" 4 1
    echo "# stderr [$stderr]"
    grep -q '^slzmalloc:   leaks: ' <<<"$stderr"
}

@test "sites: a fork-heavy threaded program with sites on runs clean" {
    run -0 --separate-stderr under_slz SLZ_SITES=1 SLZ_HEAP_SIZE=64M "$BIN/shim_fork" 10 worker
    echo "# stderr [$stderr]"
}
