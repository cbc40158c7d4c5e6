#!/usr/bin/env bats
# newuser.bats - the tools tried as a new user would (issue 19): each test
# is one surprise a newcomer met, checked gone.

load test_helper

RUN="$ROOT/scripts/slz-run"
REPLAY="$ROOT/build/slz-replay"
PY=/usr/bin/python3

@test "slz-run: a program killed by a signal: one line of slz-run's own, no job notice, status 128+N" {
    run -134 --separate-stderr "$RUN" -q -- sh -c 'echo mine >&2; kill -ABRT $$'
    echo "# stderr [$stderr]"
    [ "${stderr_lines[0]}" = mine ]
    [ "${#stderr_lines[@]}" -eq 2 ]
    [ "${stderr_lines[1]}" = "slz-run: sh was killed by signal 6 (SIGABRT)" ]
    run -137 --separate-stderr "$RUN" -- sh -c 'kill -KILL $$'
    [ "$stderr" = "slz-run: sh was killed by signal 9 (SIGKILL)" ]
}

@test "SLZ_HEAPMAP=1, SLZ_TRACE=1: no file named 1, a warning that says they take a file name" {
    mkdir "$BATS_TEST_TMPDIR/here" && cd "$BATS_TEST_TMPDIR/here"
    for v in SLZ_HEAPMAP SLZ_TRACE; do
        for val in 1 yes true on; do
            run -0 --separate-stderr under_slz "$v=$val" ls /
            echo "# $v=$val: stderr [$stderr]"
            [ "$stderr" = "slzmalloc: ignoring $v=$val: it takes a file name (as $v=$( [ $v = SLZ_TRACE ] && echo prog.rep || echo heap.svg)), not a switch; ./$val names a file $val" ]
            echo "# files [$(ls)]"
            [ -z "$(ls)" ]
        done
        # 0/off/no: off, silently
        run -0 --separate-stderr under_slz "$v=0" ls /
        [ -z "$stderr" ]
        [ -z "$(ls)" ]
    done
    # ./1 is a file name
    run -0 --separate-stderr under_slz SLZ_HEAPMAP=./1 ls /
    [ -z "$stderr" ]
    [ -s 1 ]
}

@test "SLZ_STATS: the warning lists every value accepted, true and false among them" {
    run -0 --separate-stderr under_slz SLZ_STATS=maybe true
    [ "$stderr" = "slzmalloc: ignoring SLZ_STATS=maybe: not 1/on/yes/true, 0/off/no/false or json" ]
    for v in true TRUE yes on 1; do
        run -0 --separate-stderr under_slz SLZ_STATS=$v true
        [[ "$stderr" == "slzmalloc: stats: "* ]]
    done
    for v in false no off 0; do
        run -0 --separate-stderr under_slz SLZ_STATS=$v true
        [ -z "$stderr" ]
    done
    run -0 --separate-stderr under_slz SLZ_CHECK=maybe true
    [ "$stderr" = "slzmalloc: ignoring SLZ_CHECK=maybe: not 1/on/yes/true or 0/off/no/false" ]
}

@test "heap map: the error names the reason, as the stats-file one does" {
    run -0 --separate-stderr under_slz SLZ_HEAPMAP=/nonexistent/x.svg true
    [ "$stderr" = "slzmalloc: heap map: cannot write /nonexistent/x.svg (ENOENT); no heap map" ]
    run -0 --separate-stderr under_slz SLZ_STATS_FILE=/nonexistent/s true
    [ "$stderr" = "slzmalloc: stats: cannot open SLZ_STATS_FILE=/nonexistent/s (ENOENT); no statistics" ]
}

@test "statistics: one block is '1 block', not '1 blocks'" {
    printf '0\n2\n3\n100\na 0 100\na 1 50\nf 1\n' >"$BATS_TEST_TMPDIR/one.rep"
    run -0 "$REPLAY" "$BATS_TEST_TMPDIR/one.rep"
    echo "$output"
    [[ "$output" == *" bytes in 1 block; peak use "* ]]
    [[ "$output" != *" 1 blocks"* ]]
    printf '0\n2\n2\n100\na 0 100\na 1 50\n' >"$BATS_TEST_TMPDIR/two.rep"
    run -0 "$REPLAY" "$BATS_TEST_TMPDIR/two.rep"
    [[ "$output" == *" bytes in 2 blocks; peak use "* ]]
}

@test "slz-replay: an option without its value, or no trace, says what is missing" {
    run -2 "$REPLAY" --html
    [ "${lines[0]}" = "slz-replay: --html needs a value (FILE.html)" ]
    run -2 "$REPLAY" --heap-size
    [ "${lines[0]}" = "slz-replay: --heap-size needs a value (N)" ]
    run -2 "$REPLAY" --html "$BATS_TEST_TMPDIR/p.html"
    [ "${lines[0]}" = "slz-replay: no trace file given" ]
    run -2 "$REPLAY" --html "$BATS_TEST_TMPDIR/p.html" "$BATS_TEST_TMPDIR/missing.rep"
    [ "${lines[0]}" = "slz-replay: $BATS_TEST_TMPDIR/missing.rep: cannot read: No such file or directory" ]
    [ ! -e "$BATS_TEST_TMPDIR/p.html" ]
}

# unfinished FILE: the prose paragraphs of a markdown file whose last line
# does not end a sentence (code blocks, tables, lists, headings left out)
unfinished() {
    awk '/^```/ { code = !code; next }
        code { next }
        /^$/ || /^#/ || /^\|/ || /^    / || /^!\[/ { end(); next }
        last == "" && (/^- / || /^[0-9]+\. /) { list = 1 }
        { last = $0; n = NR }
        function end() { if (!list && last != "" && last !~ /[.:!?)]$/) print FILENAME ":" n ": " last; last = ""; list = 0 }
        END { end() }' "$1"
}

@test "README.md and scripts/README.md: no paragraph stops mid-sentence" {
    run unfinished "$ROOT/scripts/README.md"
    echo "$output"
    [ -z "$output" ]
    run unfinished "$ROOT/README.md"
    echo "$output"
    [ -z "$output" ]
    # the check sees a cut paragraph
    printf 'A sentence that stops in\n\n## Next\n' >"$BATS_TEST_TMPDIR/cut.md"
    run unfinished "$BATS_TEST_TMPDIR/cut.md"
    [ -n "$output" ]
}

@test "README's first screen: a command that has slz serve a whole program, which does" {
    cmd=$(head -40 "$ROOT/README.md" | grep -m1 '^scripts/slz-run --heap-size .* --stats -- ' | sed 's/ *#.*//')
    echo "# $cmd"
    [ -n "$cmd" ]
    cd "$ROOT"
    run -0 --separate-stderr $cmd
    [[ "$stderr" =~ slzmalloc:\ stats:\ ([0-9]+)\ calls\ served\ by\ the\ core,\ 0\ by\ glibc ]]
    (( BASH_REMATCH[1] > 100 ))
}

@test "stats file: a program that starts another: s.json holds the program's report, the other process its own s.PID.json" {
    d="$BATS_TEST_TMPDIR"
    run -0 "$RUN" --stats-file "$d/s.json" -- bash -c 'ls / >/dev/null; exit 0'
    echo "$output"
    $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["program"] == "bash", d["program"]' "$d/s.json"
    kids=("$d"/s.[0-9]*.json)
    [ "${#kids[@]}" -eq 1 ]
    $PY -c 'import json, sys; d = json.load(open(sys.argv[1])); assert d["program"] == "ls", d["program"]' "${kids[0]}"
    [[ "$output" == *"statistics in $d/s.json"* ]]
    [[ "$output" == *"statistics of another process in ${kids[0]}"* ]]
    # a second run replaces them all
    run -0 "$RUN" -q --stats-file "$d/s.json" -- true
    [ -z "$(ls "$d"/s.[0-9]*.json 2>/dev/null)" ]
    $PY -m json.tool "$d/s.json" >/dev/null
}

@test "stats file: a name ending in .jsonl collects one JSON line per process" {
    d="$BATS_TEST_TMPDIR"
    run -0 under_slz SLZ_STATS_FILE="$d/s.jsonl" bash -c 'ls / >/dev/null; ls / >/dev/null; exit 0'
    [ "$(wc -l <"$d/s.jsonl")" -eq 3 ]
    run -0 $PY -c 'import json, sys; print(sorted(json.loads(l)["program"] for l in open(sys.argv[1])))' "$d/s.jsonl"
    [ "$output" = "['bash', 'ls', 'ls']" ]
    # under the shim alone, a .json name: the first report takes it, the others their own files
    run -0 under_slz SLZ_STATS_FILE="$d/t.json" bash -c 'ls / >/dev/null; ls / >/dev/null; exit 0'
    for f in "$d"/t.json "$d"/t.[0-9]*.json; do $PY -m json.tool "$f" >/dev/null; done
    [ "$(ls "$d"/t.json "$d"/t.[0-9]*.json | wc -l)" -eq 3 ]
}

# page_data PAGE EXPR: EXPR on the page's data d (its JSON script element)
page_data() {
    $PY -c 'import json, re, sys
s = open(sys.argv[1]).read()
d = json.loads(re.search(r"id=\"slz-data\">(.*?)</script>", s, re.S).group(1))
print(eval(sys.argv[2]))' "$1" "$2"
}

@test "slz-run --heap-size 64K --html: the run's heap, the calls slz served, titled after the program, mode 0600" {
    d="$BATS_TEST_TMPDIR"
    umask 022
    run -0 "$RUN" --heap-size 64K --json --stats-file "$d/s.json" --html "$d/p.html" -- $PY -c 1
    echo "$output"
    [ "$(stat -c %a "$d/p.html")" = 600 ]
    [ "$(page_data "$d/p.html" "d['heap']")" -eq 65536 ]
    [ "$(page_data "$d/p.html" "d['trace']")" = python3 ]
    grep -q '<title>slz heap timeline</title>' "$d/p.html"   # the JS sets the title from the data
    [ "$(page_data "$d/p.html" "d['failed']")" -eq 0 ]
    # the calls glibc served in the run are left out of the page, and counted
    glibc=$(json_get_s "$d/s.json" "d['served_by_glibc']")
    core=$(json_get_s "$d/s.json" "d['served_by_core']")
    echo "# core $core glibc $glibc page $(page_data "$d/p.html" "(d['ops'], d['glibc'])")"
    [ "$glibc" -gt 100 ]
    [ "$core" -gt 100 ]
    [ "$(page_data "$d/p.html" "d['glibc']")" -eq "$glibc" ]   # the same calls as in the run
    # the page's high water is within the run's heap and the core's peak
    [ "$(page_data "$d/p.html" "d['extent'] <= 65536")" = True ]
    # without --heap-size: the run's one-page heap
    run -0 "$RUN" -q --html "$d/q.html" -- $PY -c 1
    [ "$(page_data "$d/q.html" "d['heap']")" -eq "$(getconf PAGESIZE)" ]
}

json_get_s() {
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

@test "slz-replay --plot: memory over time as SVG, drawn by slz-replay itself, its peak the heap's after that op" {
    d="$BATS_TEST_TMPDIR"
    gen_trace 64 mix 3000 9 "$d/t.rep"
    umask 022
    run -0 "$REPLAY" --heap-size 1M --plot "$d/m.svg" "$d/t.rep"
    [[ "$output" == *"memory over time in $d/m.svg (peak "*" bytes live after op "* ]]
    [ "$(stat -c %a "$d/m.svg")" = 600 ]
    run -0 $PY - "$d/m.svg" <<'PYEOF'
import sys, xml.etree.ElementTree as E
ns = '{http://www.w3.org/2000/svg}'
root = E.parse(sys.argv[1]).getroot()
assert root.tag == ns + 'svg', root.tag
lines = {p.get('id'): p.get('points').split() for p in root.iter(ns + 'polyline')}
assert sorted(lines) == ['plot-free', 'plot-hw', 'plot-largest', 'plot-live'], sorted(lines)
for k, pts in lines.items():
    assert len(pts) == 3001, (k, len(pts))       # one point per operation, and op 0
    xs = [float(p.split(',')[0]) for p in pts]
    ys = [float(p.split(',')[1]) for p in pts]
    assert xs == sorted(xs) and max(xs) - min(xs) > 500, k
    assert k == 'plot-hw' or max(ys) - min(ys) > 20, (k, min(ys), max(ys))   # they move
peak = root.find(".//*[@id='plot-peak']")
label = root.find(".//*[@id='plot-peak-label']").text
print(peak.get('data-bytes'), peak.get('data-op'), label)
PYEOF
    echo "# $output"
    read -r bytes op _ <<<"$output"
    [[ "$output" == *"peak "*" live, after op $op (footprint "* ]]
    # the peak: the bytes of the used chunks the heap holds after that op
    # (--dump-at), more than just before and after it, and within the
    # core's own peak use (which also counts a moving realloc's two blocks)
    used_at() { "$REPLAY" -q --heap-size 1M --dump-at "$1" "$d/t.rep" | awk '$3 == "used" { s += $2 } END { print s + 0 }'; }
    [ "$(used_at "$op")" -eq "$bytes" ]
    [ "$(used_at $((op - 1)))" -le "$bytes" ]
    [ "$op" -eq 3000 ] || [ "$(used_at $((op + 1)))" -le "$bytes" ]
    run -0 "$REPLAY" --heap-size 1M --json "$d/t.rep"
    core_peak=$(echo "$output" | $PY -c 'import json,sys; print(json.load(sys.stdin)["core"]["peak_in_use"])')
    [ "$bytes" -le "$core_peak" ]
    [ "$bytes" -gt $((core_peak * 9 / 10)) ]
    run -2 "$REPLAY" --plot "$d/m.svg" --map "$d/x.svg" "$d/t.rep"
}

@test "slz-run --plot: the run's memory over time, with the run's heap" {
    d="$BATS_TEST_TMPDIR"
    run -0 "$RUN" -q --heap-size 64K --plot "$d/m.svg" -- $PY -c 1
    grep -q '<title>memory over time: python3, [0-9]* operations, heap 64 KiB</title>' "$d/m.svg"
    grep -q 'id="plot-live" .*points="[0-9]' "$d/m.svg"
}

@test "slz-run --html: a program that execs another (a wrapper script): the page is of the program it became" {
    d="$BATS_TEST_TMPDIR"
    run -0 "$RUN" --trace "$d/t.rep" --html "$d/p.html" -- bash -c "exec $PY -c 'x = [bytes(100) for i in range(300)]'"
    echo "$output"
    kids=("$d"/t.[0-9]*.rep)
    [ "${#kids[@]}" -eq 1 ]
    ops=$(sed -n 3p "${kids[0]}" | tr -d ' ')
    [ "$ops" -gt "$(sed -n 3p "$d/t.rep" | tr -d ' ')" ]
    [ "$(page_data "$d/p.html" "d['ops']")" -eq "$ops" ]
}
