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
