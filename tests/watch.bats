#!/usr/bin/env bats
# watch.bats - watching the heap: statistics, heap maps, traces and their
# replay, the slz-run wrapper and make install.

load test_helper

RUN="$ROOT/scripts/slz-run"
REPLAY="$ROOT/build/slz-replay"
PY=/usr/bin/python3

# svg_chunks FILE: "USED FREE" chunk elements of a heap map; fails unless
# the file is well-formed XML and every chunk element has a <title>.
svg_chunks() {
    $PY - "$1" <<'EOF'
import sys, xml.etree.ElementTree as E
ns = '{http://www.w3.org/2000/svg}'
root = E.parse(sys.argv[1]).getroot()
assert root.tag == ns + 'svg', root.tag
u = f = 0
for g in root.iter(ns + 'g'):
    c = g.get('class', '').split()
    if 'u' in c or 'f' in c:
        assert g.find(ns + 'title') is not None, 'chunk without a title'
        assert g.find(ns + 'rect') is not None, 'chunk without a box'
    u += 'u' in c
    f += 'f' in c
print(u, f)
EOF
}

# json_get FILE EXPR: evaluate EXPR on the JSON object d read from FILE.
json_get() {
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

# rep_ops FILE: the operation count of a trace's header, then its op lines.
rep_ops() {
    echo "$(sed -n 3p "$1" | tr -d ' ') $(($(wc -l <"$1") - 4))"
}

@test "stats: a table for a stock program, first line kept" {
    run --separate-stderr "$RUN" --stats -- ls /
    [ "$status" -eq 0 ]
    [[ "$output" == *usr* ]]
    [[ "$stderr" =~ slzmalloc:\ stats:\ ([0-9]+)\ calls\ served\ by\ the\ core,\ ([0-9]+)\ by\ glibc\;\ heap\ 4096\ bytes,\ peak\ use\ [0-9]+\ bytes ]]
    (( BASH_REMATCH[1] + BASH_REMATCH[2] > 0 ))
    [[ "$stderr" == *"slzmalloc:   malloc "* ]]
    [[ "$stderr" == *"glibc served because: no heap "*", too big "*", heap full "* ]]
    [[ "$stderr" == *"core: splits "*", coalesces "* ]]
    [[ "$stderr" == *"largest free "*"external fragmentation "* ]]
    [[ "$stderr" == *"slz-run: statistics above, on stderr"* ]]
}

@test "stats: survive a program that closes stderr" {
    run --separate-stderr under_slz SLZ_STATS=1 $PY -c 'import os; os.close(2); x = [bytes(100) for i in range(100)]'
    [ "$status" -eq 0 ]
    [[ "$stderr" == "slzmalloc: stats: "* ]]
    # ls closes stderr itself at exit (close_stdout), before the report
    run --separate-stderr under_slz SLZ_STATS=1 ls /
    [[ "$stderr" == "slzmalloc: stats: "* ]]
}

@test "stats: SLZ_STATS=json is JSON that adds up" {
    f="$BATS_TEST_TMPDIR/s.json"
    run "$RUN" -q --json --stats-file "$f" -- ls -l /
    [ "$status" -eq 0 ]
    $PY -m json.tool "$f" >/dev/null
    [ "$(json_get "$f" "sum(v['core'] for v in d['entry_points'].values()) == d['served_by_core'] > 0")" = True ]
    [ "$(json_get "$f" "sum(v['calls'] for v in d['entry_points'].values()) == d['served_by_core'] + d['served_by_glibc']")" = True ]
    [ "$(json_get "$f" "d['core']['heap_size']")" = 4096 ]
    [ "$(json_get "$f" "d['program']")" = ls ]
}

@test "stats: SLZ_STATS_FILE alone asks for the report; SLZ_STATS=0 beside it still turns it off" {
    d="$BATS_TEST_TMPDIR"
    run -0 --separate-stderr under_slz SLZ_STATS_FILE="$d/s.txt" ls /
    [ -z "$stderr" ]
    [[ "$(head -1 "$d/s.txt")" == "slzmalloc: stats: "* ]]
    run -0 --separate-stderr under_slz SLZ_STATS_FILE="$d/s.json" ls /
    $PY -m json.tool "$d/s.json" >/dev/null
    run -0 --separate-stderr under_slz SLZ_STATS=0 SLZ_STATS_FILE="$d/off.txt" ls /
    [ -z "$stderr" ]
    [ ! -e "$d/off.txt" ]
}

@test "heap map: well-formed SVG with one element per chunk of a one-page heap" {
    d="$BATS_TEST_TMPDIR"
    run "$RUN" --json --stats-file "$d/s.json" --map "$d/m.svg" -- ls -l /
    [ "$status" -eq 0 ]
    [[ "$output" == *"heap map in $d/m.svg"* ]]
    read -r used free < <(svg_chunks "$d/m.svg")
    [ "$used" -eq "$(json_get "$d/s.json" "d['core']['live_blocks']")" ]
    [ "$free" -eq "$(json_get "$d/s.json" "d['core']['free_chunks']")" ]
    [ "$used" -gt 5 ]
    grep -q '<title>used chunk at +0x0 ' "$d/m.svg"
}

@test "heap map: one more file per SIGUSR1 while the program runs" {
    d="$BATS_TEST_TMPDIR"
    run "$RUN" --heap-size 1M --map "$d/m.svg" -- $PY -c '
import os, signal
a = [bytearray(1000 + i) for i in range(50)]
os.kill(os.getpid(), signal.SIGUSR1)
b = [bytearray(3000) for i in range(10)]
del a[::2]
os.kill(os.getpid(), signal.SIGUSR1)
c = [bytearray(5000) for i in range(10)]'
    [ "$status" -eq 0 ]
    [[ "$output" == *"heap map on SIGUSR1 in $d/m.1.svg"* ]]
    [[ "$output" == *"heap map on SIGUSR1 in $d/m.2.svg"* ]]
    [ ! -e "$d/m.3.svg" ]
    for f in m.1.svg m.2.svg m.svg; do svg_chunks "$d/$f" >/dev/null; done
    grep -q 'on SIGUSR1 #2' "$d/m.2.svg"
}

@test "trace: ls -l and a threaded python3 replay with the same op count and no errors" {
    d="$BATS_TEST_TMPDIR"
    run "$RUN" --trace "$d/ls.rep" -- ls -l /usr
    [ "$status" -eq 0 ]
    run "$RUN" --trace "$d/py.rep" -- $PY -c '
import json, threading
def work():
    for i in range(300):
        json.dumps({"k": [str(j) * 40 for j in range(i % 40)]})
ts = [threading.Thread(target=work) for _ in range(4)]
[t.start() for t in ts]
[t.join() for t in ts]'
    [ "$status" -eq 0 ]
    for t in ls py; do
        read -r header lines < <(rep_ops "$d/$t.rep")
        [ "$header" -gt 100 ]
        [ "$header" -eq "$lines" ]
        run "$REPLAY" --json "$d/$t.rep"
        [ "$status" -eq 0 ]
        echo "$output" >"$d/$t.json"
        [ "$(json_get "$d/$t.json" "d['replayed']")" -eq "$header" ]
        [ "$(json_get "$d/$t.json" "d['errors']")" -eq 0 ]
        [ "$(json_get "$d/$t.json" "d['peak_payload']")" -eq "$(sed -n 4p "$d/$t.rep" | tr -d ' ')" ]
    done
}

@test "trace: one record for every allocator call the statistics count" {
    d="$BATS_TEST_TMPDIR"
    run "$RUN" -q --stats-file "$d/s.json" --trace "$d/t.rep" -- ls -l /  # *.json: JSON
    [ "$status" -eq 0 ]
    calls=$(json_get "$d/s.json" "sum(v['calls'] for k, v in d['entry_points'].items() if k != 'malloc_usable_size')")
    records=$(tail -n +5 "$d/t.rep" | grep -cv '^f -1$')  # free(NULL) is not counted
    [ "$calls" -gt 100 ]
    [ "$records" -eq "$calls" ]
}

@test "trace: a program started by the traced one writes its own file" {
    d="$BATS_TEST_TMPDIR"
    run "$RUN" --trace "$d/t.rep" -- bash -c 'ls / >/dev/null; exit 0'
    [ "$status" -eq 0 ]
    kids=("$d"/t.[0-9]*.rep)
    [ "${#kids[@]}" -eq 1 ]
    for t in "$d/t.rep" "${kids[0]}"; do
        run "$REPLAY" -q "$t"
        [ "$status" -eq 0 ]
    done
}

@test "slz-replay: numbered frames every N operations and a final map" {
    d="$BATS_TEST_TMPDIR"
    gen_trace 64 mix 34000 7 "$d/t.rep"
    run "$REPLAY" --map "$d/f.svg" --every 4000 "$d/t.rep"
    [ "$status" -eq 0 ]
    [[ "$output" == *"replayed $(sed -n 3p "$d/t.rep") ops"*", 0 errors"* ]]
    [ -f "$d/f.0008.svg" ]
    [ ! -e "$d/f.0009.svg" ]
    [ -f "$d/f.svg" ]
    svg_chunks "$d/f.0004.svg" >/dev/null
    # thousands of chunks: drawn as cells of address ranges, still one page of SVG
    n=$(grep -c 'class="cell"' "$d/f.0004.svg")
    [ "$n" -gt 100 ]
    [ "$n" -le 5000 ]
    [ "$(svg_chunks "$d/f.svg")" = "0 1" ]   # all freed: one free chunk
}

@test "slz-run: passes the program's exit status through" {
    run -7 "$RUN" -- sh -c 'exit 7'
    run -0 "$RUN" -q -- true
    run -137 "$RUN" -q -- sh -c 'kill -9 $$'
    run -2 "$RUN" --no-such-option -- true
}

@test "slz-run: --help documents every option it accepts" {
    run -0 "$RUN" --help
    help=$output
    # the patterns of the option loop: "    --map)", "    -q | --quiet)"
    opts=$(sed -n 's/^    \(-[-a-z |]*\)).*/\1/p' "$RUN" | tr '|' '\n' | tr -d ' ')
    [ "$(wc -l <<<"$opts")" -ge 12 ]
    for o in $opts; do
        [ "$o" = -- ] || [[ "$help" == *"$o"* ]] || { echo "undocumented: $o"; false; }
    done
}

@test "make install: into DESTDIR, and the installed slz-run uses the installed library" {
    stage="$BATS_TEST_TMPDIR/stage"
    run make -C "$ROOT" install DESTDIR="$stage" PREFIX=/opt/slz
    [ "$status" -eq 0 ]
    for f in bin/slz-run bin/slz-replay lib/slzmalloc/libslzmalloc.so lib/libslz.a include/slz.h; do
        [ -f "$stage/opt/slz/$f" ]
    done
    run --separate-stderr "$stage/opt/slz/bin/slz-run" --stats -- cat /proc/self/maps
    [ "$status" -eq 0 ]
    [[ "$output" == *"$stage/opt/slz/lib/slzmalloc/libslzmalloc.so"* ]]
    [[ "$stderr" == "slzmalloc: stats: "* ]]
    gen_trace 64 mix 200 8 "$BATS_TEST_TMPDIR/t.rep"
    run -0 "$stage/opt/slz/bin/slz-replay" -q "$BATS_TEST_TMPDIR/t.rep"
}

# ---- The report fd: where reports go at exit ----------------------------------

# a program that opens a file of its own (it gets the lowest free fd) and writes to it
PY_OWN_FILE='import os; fd = os.open("own.txt", os.O_WRONLY | os.O_CREAT | os.O_TRUNC); os.write(fd, b"my data\n"); print(fd)'

@test "report fd: stderr closed at start: no statistics in the file the program opens as fd 2" {
    cd "$BATS_TEST_TMPDIR"
    run -0 bash -c 'exec 2>&-; exec env LD_PRELOAD="$1" SLZ_STATS=1 "$2" -c "$3"' - "$LIB" "$PY" "$PY_OWN_FILE"
    [ "$output" = 2 ]                           # the program's file is fd 2
    [ "$(cat own.txt)" = "my data" ]
}

@test "report fd: stderr closed at start: no heap-map message in the file the program opens as fd 2" {
    cd "$BATS_TEST_TMPDIR"
    run -0 bash -c 'exec 2>&-; exec env LD_PRELOAD="$1" SLZ_HEAPMAP=/nonexistent/x.svg "$2" -c "$3"' - "$LIB" "$PY" "$PY_OWN_FILE"
    [ "$output" = 2 ]
    [ "$(cat own.txt)" = "my data" ]
}

@test "report fd: the stderr copy closed and its number reused by the program: no report in that file" {
    cd "$BATS_TEST_TMPDIR"
    run -0 --separate-stderr under_slz SLZ_STATS=1 $PY -c '
import os
os.closerange(3, 1024)
fds = [os.open("f%03d.dat" % i, os.O_WRONLY | os.O_CREAT | os.O_TRUNC) for i in range(120)]
for fd in fds: os.write(fd, b"x\n")
print(min(fds), max(fds))'
    [ "$output" = "3 122" ]                     # fd 100 was one of them
    run grep -l slzmalloc f*.dat
    [ "$status" -eq 1 ]
    [ "$(cat f*.dat | sort -u)" = x ]
}

@test "report fd: the stderr copy left alone: the report still arrives" {
    run -0 --separate-stderr under_slz SLZ_STATS=1 $PY -c 'import os; os.closerange(3, 99)'
    [[ "${stderr_lines[0]}" == "slzmalloc: stats: "* ]]
}

@test "stats: SLZ_STATS_FILE that cannot be opened: one slzmalloc line says so" {
    run -0 --separate-stderr under_slz SLZ_STATS=1 SLZ_STATS_FILE=/nonexistent/s $PY -c pass
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: "*"/nonexistent/s"* ]]
}

@test "heap map: 'cannot write' reaches stderr even from ls, which closes stderr at exit" {
    run -0 --separate-stderr under_slz SLZ_HEAPMAP=/nonexistent/x.svg ls /
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: heap map: cannot write /nonexistent/x.svg (ENOENT); no heap map" ]]
}

# ---- Relative paths: the directory at start-up ------------------------------

@test "relative SLZ_STATS_FILE, SLZ_HEAPMAP, SLZ_TRACE: all in the start directory after a chdir" {
    cd "$BATS_TEST_TMPDIR"
    mkdir sub
    run -0 --separate-stderr under_slz SLZ_STATS=1 SLZ_STATS_FILE=stats.txt SLZ_HEAPMAP=map.svg \
        SLZ_TRACE=t.rep $PY -c 'import os; os.chdir("sub")'
    [ -z "$stderr" ]
    [ -s stats.txt ]
    [ -s map.svg ]
    [ -s t.rep ]
    [ -z "$(ls sub)" ]
}

@test "relative SLZ_STATS_FILE too long to make absolute: one warning, used as given" {
    cd "$BATS_TEST_TMPDIR"
    long=$(printf 'd%.0s' {1..200})
    rel="$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/$long/s.txt"
    run -0 --separate-stderr under_slz SLZ_STATS=1 SLZ_STATS_FILE="$rel" $PY -c pass
    echo "# stderr [$stderr]"
    [ "$(grep -c '^slzmalloc: SLZ_STATS_FILE: relative path too long .*used as given' <<<"$stderr")" -eq 1 ]
}

# ---- Fork ---------------------------------------------------------------------

@test "stats: a fork child reports its own calls, not the parent's before the fork" {
    f="$BATS_TEST_TMPDIR/s.jsonl"
    run -0 under_slz SLZ_HEAP_SIZE=16M SLZ_STATS=json SLZ_STATS_FILE="$f" $PY -c '
import os, sys
x = [bytes(600 + i % 100) for i in range(50000)]
pid = os.fork()
if pid == 0: sys.exit(0)
os.waitpid(pid, 0)
print(pid)'
    child=$output
    [ "$(wc -l <"$f")" -eq 2 ]
    run -0 $PY -c '
import json, sys
for l in open(sys.argv[1]):
    d = json.loads(l)
    who = "child" if d["pid"] == int(sys.argv[2]) else "parent"
    e = d["entry_points"]
    print(who, e["malloc"]["calls"] + e["calloc"]["calls"], d.get("calls_since_fork"))' "$f" "$child"
    echo "# $output"
    read -r who n since <<<"$(grep child <<<"$output")"
    [ "$n" -lt 20000 ]
    [ "$since" = True ]
    read -r who n since <<<"$(grep parent <<<"$output")"
    [ "$n" -gt 50000 ]
    [ "$since" = False ]
}

@test "stats: a fork child's text report says its calls are counted since the fork" {
    run -0 --separate-stderr under_slz SLZ_STATS=1 $PY -c '
import os, sys
pid = os.fork()
if pid == 0: sys.exit(0)
os.waitpid(pid, 0)'
    [ "$(grep -c '^slzmalloc: stats: ' <<<"$stderr")" -eq 2 ]
    [ "$(grep -c '^slzmalloc:   (a fork child: calls counted since the fork' <<<"$stderr")" -eq 1 ]
}
