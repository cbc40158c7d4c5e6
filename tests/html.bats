#!/usr/bin/env bats
# html.bats - the heap timeline page (slz-replay --html, slz-run --html) in
# headless Chromium. The page runs a self-test when its URL ends in
# #selftest=K: it steps K times with the right arrow key and writes what it
# drew into the DOM, which --dump-dom prints. Each test checks that the page
# loads with no error or console message, that stepping changes the picture,
# that the chunks drawn are the heap the core holds after that many operations
# (slz-replay --dump-at, a plain heap walk) and the blocks the trace itself
# has live then (counted here with awk), and that the holes marked for a
# malloc are the free chunks below the one it took, all too small.
# Only the browser tests skip, and only when chromium is not installed.

load test_helper

REPLAY="$ROOT/build/slz-replay"
DUMP_ARGS=() # how the page was replayed (slz-run --html: the run's heap, --fallback)
RUN="$ROOT/scripts/slz-run"
PY=/usr/bin/python3
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}

need_chromium() {
    [ -n "$CHROMIUM" ] || skip "chromium is not installed (apt-get install chromium; .ci/run installs it)"
}

# open_page FILE K: loads FILE#selftest=K; leaves the page's self-test lines
# in $T/selftest and every page error or console message in $T/errors.
open_page() {
    T=$BATS_TEST_TMPDIR
    local profile
    profile=$(mktemp -d "$T/profile.XXXX")
    timeout 300 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$profile" --window-size=1280,900 --enable-logging=stderr --v=0 \
        --dump-dom --virtual-time-budget=10000 "file://$1#selftest=$2" >"$T/dom.html" 2>"$T/chromium.log"
    $PY - "$T/dom.html" "$T/selftest" "$T/errors" <<'EOF'
import sys
from html.parser import HTMLParser
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.now, self.text = None, {'selftest': '', 'errors': ''}
    def handle_starttag(self, tag, attrs):
        if tag == 'pre' and dict(attrs).get('id') in self.text:
            self.now = dict(attrs)['id']
    def handle_endtag(self, tag):
        if tag == 'pre':
            self.now = None
    def handle_data(self, data):
        if self.now:
            self.text[self.now] += data
p = P()
p.feed(open(sys.argv[1]).read())
open(sys.argv[2], 'w').write(p.text['selftest'] + '\n')
open(sys.argv[3], 'w').write(p.text['errors'].strip() + '\n' if p.text['errors'].strip() else '')
EOF
    # console messages (uncaught exceptions among them) from Chromium's own log
    grep ':CONSOLE' "$T/chromium.log" >>"$T/errors" || true
}

# live_after TRACE K: "id size" of the blocks the trace has live after K
# operations, by id (from the trace text alone)
live_after() {
    awk -v k="$2" 'NR > 4 && NR <= 4 + k {
            if ($1 == "a" || ($1 == "r" && $3 > 0)) live[$2] = $3
            else if ($1 == "f" || $1 == "r") delete live[$2]
        }
        END { for (i in live) print i, live[i] }' "$1" | sort -n
}

# check_page PAGE TRACE K: the page at step K against the core and the trace
check_page() {
    local page=$1 trace=$2 k=$3
    open_page "$page" "$k"
    T=$BATS_TEST_TMPDIR
    echo "# errors: $(cat "$T/errors")"
    [ ! -s "$T/errors" ]
    grep -q '^ST end$' "$T/selftest"
    read -r _ _ step _ op _ slider _ _ < <(grep '^ST step ' "$T/selftest")
    echo "# step $step op $op slider $slider"
    [ "$step" -eq "$k" ]
    [ "$slider" -eq "$k" ]
    # stepping changed the picture
    read -r _ _ h0 _ hk < <(grep '^ST hash0 ' "$T/selftest")
    [ "$h0" != "$hk" ]
    # a step back with the slider and forward with the key draws the same chunks
    grep -qx 'ST back-and-forth same' "$T/selftest"
    # step 0: the heap before any operation; step k: the heap after op operations
    "$REPLAY" -q "${DUMP_ARGS[@]}" --dump-at 0 "$trace" | grep -v '^#' >"$T/dump0"
    "$REPLAY" -q "${DUMP_ARGS[@]}" --dump-at "$op" "$trace" | grep -v '^#' >"$T/dumpk"
    [ "$(wc -l <"$T/dump0")" -ge 1 ]
    [ "$(wc -l <"$T/dumpk")" -gt 2 ]
    diff <(sed -n 's/^ST0 //p' "$T/selftest") "$T/dump0"
    diff <(sed -n 's/^STK //p' "$T/selftest") "$T/dumpk"
    # the used chunks drawn are the trace's live blocks, each big enough for its request
    live_after "$trace" "$op" >"$T/live"
    [ -s "$T/live" ]
    diff <(awk '$3 == "used" { print $4 }' "$T/dumpk" | sort -n) <(cut -d' ' -f1 "$T/live")
    join <(awk '$3 == "used" { print $4, $2 }' "$T/dumpk" | sort) <(sort "$T/live") |
        awk '$2 < $3 { print "block " $1 ": chunk " $2 " for " $3 " bytes"; bad = 1 } END { exit bad }'
}

# check_holes: for the malloc the page stopped at, the holes drawn as passed
# over are the free chunks of the heap before it (--dump-at op-1) below the
# one it took, each smaller than the chunk it placed; and the placed block is
# drawn in its colour and named by the tooltip.
check_holes() {
    local trace=$1
    T=$BATS_TEST_TMPDIR
    read -r _ placed kind id _ < <(grep '^STP ' "$T/selftest")
    [ "$kind" = a ]
    read -r _ _ _ _ op _ < <(grep '^ST step ' "$T/selftest")
    "$REPLAY" -q --dump-at $((op - 1)) "$trace" | grep -v '^#' >"$T/before"
    read -r took tsize < <(awk -v p="$placed" '$1 <= p && p < $1 + $2 && $3 == "free" { print $1, $2 }' "$T/before")
    [ -n "$took" ]
    grep -qx "STT $took $tsize" "$T/selftest"
    diff <(sed -n 's/^STH //p' "$T/selftest") <(awk -v t="$took" '$3 == "free" && $1 < t { print $1, $2 }' "$T/before")
    grep -qx "ST holes $(awk -v t="$took" '$3 == "free" && $1 < t' "$T/before" | wc -l)" "$T/selftest"
    psize=$(awk -v p="$placed" '$1 == p { print $2 }' "$T/dumpk")
    awk -v s="$psize" '$3 == "free" && $2 >= s { print "hole " $1 " of " $2 " bytes fits " s; bad = 1 } END { exit bad }' \
        <(awk -v t="$took" '$3 == "free" && $1 < t' "$T/before")
    grep -qx 'ST pixel 228,87,46' "$T/selftest"
    grep -q "^ST tip block id $id (just placed) | size $psize B" "$T/selftest"
    # the first hole's mark is painted at least 6 px wide at the zoom that fits the heap
    grep '^ST holemark ' "$T/selftest"
    read -r _ _ px _ < <(grep '^ST holemark ' "$T/selftest")
    [ "$px" -ge 6 ]
}

# check_rows: rows hold a round number of bytes, labelled in round units
check_rows() {
    T=$BATS_TEST_TMPDIR
    read -r _ _ bytes l0 l1 l2 l3 < <(grep '^ST rows ' "$T/selftest" | sed 's/ \([KMG]*i*B\)/_\1/g')
    echo "# rows of $bytes bytes: $l0 $l1 $l2 $l3"
    [ "$l0" = +0 ]
    for l in $l1 $l2 $l3; do [[ "$l" =~ ^\+[0-9]+(\.[0-9]{1,2})?_(B|KiB|MiB|GiB)$ ]]; done
    $PY -c 'import sys
b = int(sys.argv[1])
k = 1 << (b.bit_length() - 1)
assert b % k == 0 and b // k == 1 or (b * 4) % k == 0 and (b * 4) // k in (5, 6, 7), b' "$bytes"
}

# first_malloc_after TRACE N: the number of operations up to and including
# the first malloc after op N that has at least two free holes below it
first_malloc_after() {
    local trace=$1 n=$2 k
    for k in $(awk -v n="$n" 'NR > 4 + n && $1 == "a" { print NR - 4 }' "$trace" | head -200); do
        "$REPLAY" -q --dump-at $((k - 1)) "$trace" >"$BATS_TEST_TMPDIR/probe"
        if [ "$(grep -c ' free ' "$BATS_TEST_TMPDIR/probe")" -ge 3 ]; then
            echo "$k"
            return 0
        fi
    done
    return 1
}

@test "html: slz-replay options: --dump-at prints every chunk, bad combinations are refused" {
    gen_trace 64 mix 300 3 "$BATS_TEST_TMPDIR/t.rep"
    run -0 "$REPLAY" -q --dump-at 50 "$BATS_TEST_TMPDIR/t.rep"
    [[ "${lines[0]}" == "# slz-replay: heap after 50 of "* ]]
    # the chunks tile the heap: each starts where the one before ends
    awk '!/^#/ { if ($1 != at) { print "gap at " $1; bad = 1 } at = $1 + $2 } END { exit bad }' <<<"$output"
    run -2 "$REPLAY" --html "$BATS_TEST_TMPDIR/p.html" --map "$BATS_TEST_TMPDIR/m.svg" "$BATS_TEST_TMPDIR/t.rep"
    run -2 "$REPLAY" --steps 0 --html "$BATS_TEST_TMPDIR/p.html" "$BATS_TEST_TMPDIR/t.rep"
    run -2 "$REPLAY" --steps 10 "$BATS_TEST_TMPDIR/t.rep"
    run -2 "$REPLAY" --dump-at x "$BATS_TEST_TMPDIR/t.rep"
}

@test "html: the page is one self-contained file: nothing fetched, no outside resource" {
    gen_trace 64 mix 300 3 "$BATS_TEST_TMPDIR/t.rep"
    run -0 "$REPLAY" -q --html "$BATS_TEST_TMPDIR/p.html" "$BATS_TEST_TMPDIR/t.rep"
    p="$BATS_TEST_TMPDIR/p.html"
    [ "$(grep -c '<script type="application/json" id="slz-data">' "$p")" -eq 1 ]
    run grep -Eio '(src|href) *= *"[^"#]|url\(|@import|https?://|fetch\(|XMLHttpRequest' "$p"
    [ "$status" -eq 1 ]
    $PY -c 'import json, re, sys
s = open(sys.argv[1]).read()
d = json.loads(re.search(r"<script type=\"application/json\" id=\"slz-data\">(.*?)</script>", s, re.S).group(1))
assert d["ops"] == len(d["steps"]) - 1 and not d["sampled"], (d["ops"], len(d["steps"]))' "$p"
}

@test "html: a malloc-lab trace (gen_trace): the page at a malloc shows the heap and the holes first fit passed over" {
    need_chromium
    t="$BATS_TEST_TMPDIR/t.rep"
    gen_trace 64 mix 600 11 "$t"
    run -0 "$REPLAY" --html "$BATS_TEST_TMPDIR/p.html" "$t"
    [[ "$output" == *"heap timeline of "*" operations in $BATS_TEST_TMPDIR/p.html"* ]]
    k=$(first_malloc_after "$t" 60)
    echo "# step $k"
    check_page "$BATS_TEST_TMPDIR/p.html" "$t" "$k"
    check_holes "$t"
    check_rows
}

@test "html: a python3 trace recorded under the shim (slz-run --html): the page matches the core" {
    need_chromium
    d="$BATS_TEST_TMPDIR"
    # a heap that holds every block: the page and the trace's live blocks agree
    run -0 "$RUN" --heap-size 64M --trace "$d/py.rep" --html "$d/py.html" -- $PY -c '
import json
kept = []
for i in range(300):
    kept.append(json.dumps({"k": [str(j) * (i % 50) for j in range(i % 30)]}))
    if i % 3 == 0: kept.pop(0)'
    [[ "$output" == *"heap timeline of "*" operations in $d/py.html"* ]]
    [ -s "$d/py.rep" ]
    # step 40: after op 40 (after a later one if the trace were long enough to be sampled)
    DUMP_ARGS=(--heap-size 64M --fallback)
    check_page "$d/py.html" "$d/py.rep" 40
    [ "$(sed -n 3p "$d/py.rep" | tr -d ' ')" -gt 1000 ]
}

@test "html: a python3 trace, every operation near --around K: the malloc there shows its holes" {
    need_chromium
    d="$BATS_TEST_TMPDIR"
    run -0 "$RUN" -q --trace "$d/py.rep" -- $PY -c 'x = [bytearray(i % 700) for i in range(3000)]; del x[::2]; y = [bytearray(300) for i in range(500)]'
    k=$(first_malloc_after "$d/py.rep" $(($(sed -n 3p "$d/py.rep") * 3 / 4)))
    run -0 "$REPLAY" --steps 50 --around "$k" --html "$d/py.html" "$d/py.rep"
    # the step that shows op k: its index among the steps
    s=$($PY -c 'import json, re, sys
s = open(sys.argv[1]).read()
d = json.loads(re.search(r"id=\"slz-data\">(.*?)</script>", s, re.S).group(1))
assert d["sampled"]
print([st["o"] for st in d["steps"]].index(int(sys.argv[2])))' "$d/py.html" "$k")
    check_page "$d/py.html" "$d/py.rep" "$s"
    grep -q "^ST step $s op $k " "$BATS_TEST_TMPDIR/selftest"
    check_holes "$d/py.rep"
}

@test "html: the test sees a page error (a page with a deliberate exception fails the check)" {
    need_chromium
    gen_trace 64 mix 300 3 "$BATS_TEST_TMPDIR/t.rep"
    run -0 "$REPLAY" -q --html "$BATS_TEST_TMPDIR/p.html" "$BATS_TEST_TMPDIR/t.rep"
    sed 's/^  layout();$/  layout(); no_such_function();/' "$BATS_TEST_TMPDIR/p.html" >"$BATS_TEST_TMPDIR/bad.html"
    ! cmp -s "$BATS_TEST_TMPDIR/p.html" "$BATS_TEST_TMPDIR/bad.html"
    open_page "$BATS_TEST_TMPDIR/bad.html" 5
    grep -q 'no_such_function is not defined' "$BATS_TEST_TMPDIR/errors"   # check_page requires it empty
    # and the comparison with the core sees a heap one operation off
    open_page "$BATS_TEST_TMPDIR/p.html" 5
    [ ! -s "$BATS_TEST_TMPDIR/errors" ]
    "$REPLAY" -q --dump-at 5 "$BATS_TEST_TMPDIR/t.rep" | grep -v '^#' >"$BATS_TEST_TMPDIR/d5"
    "$REPLAY" -q --dump-at 6 "$BATS_TEST_TMPDIR/t.rep" | grep -v '^#' >"$BATS_TEST_TMPDIR/d6"
    diff <(sed -n 's/^STK //p' "$BATS_TEST_TMPDIR/selftest") "$BATS_TEST_TMPDIR/d5"
    ! diff <(sed -n 's/^STK //p' "$BATS_TEST_TMPDIR/selftest") "$BATS_TEST_TMPDIR/d6" >/dev/null
}

@test "html: a long trace is sampled and stays small, and still loads without error" {
    need_chromium
    t="$BATS_TEST_TMPDIR/long.rep"
    gen_trace 64 mix 60000 5 "$t"
    run -0 "$REPLAY" --steps 300 --html "$BATS_TEST_TMPDIR/long.html" "$t"
    [[ "$output" == *"sampled"* ]]
    [ "$(stat -c %s "$BATS_TEST_TMPDIR/long.html")" -lt 20000000 ]
    check_page "$BATS_TEST_TMPDIR/long.html" "$t" 150
}

@test "html: the benchmark tests/bench/html.sh --quick prints its table, as run.sh --only html does" {
    need_chromium
    run -0 "$ROOT/tests/bench/html.sh" --quick
    echo "$output"
    [ "$(awk '$1 == "ops" { print NF }' <<<"$output")" -eq 8 ]
    awk '$1 == "ops" { h = 1; next } h { ok = NF == 8 && $5 > 0 && $7 > 0; exit } END { exit !ok }' <<<"$output"
    run -0 "$ROOT/tests/bench/run.sh" --quick --only html
    [[ "$output" == *"## 7. Heap timeline page"* ]]
}

@test "html: the page of a --heap-size 64K run says 64 KiB, is titled after the program, and draws memory over time" {
    need_chromium
    d="$BATS_TEST_TMPDIR"
    run -0 "$RUN" --heap-size 64K --html "$d/p.html" -- $PY -c 'x = [bytearray(i % 900) for i in range(2000)]'
    open_page "$d/p.html" 40
    T=$BATS_TEST_TMPDIR
    echo "# errors: $(cat "$T/errors")"
    [ ! -s "$T/errors" ]
    grep '^ST \(title\|meta\|plot\)' "$T/selftest"
    grep -qx 'ST title python3 - slz heap timeline' "$T/selftest"
    grep -q '^ST meta .*; heap 64 KiB (65,536 B) at ' "$T/selftest"
    # the four lines of the plot: one point per step, drawn across the plot
    steps=$(grep '^ST step ' "$T/selftest" | awk '{ print $9 + 1 }')
    for id in plot-live plot-hw plot-free plot-largest; do
        read -r _ _ _ n w < <(grep "^ST plot $id " "$T/selftest")
        [ "$n" -eq "$steps" ]
        [ "$w" -gt 700 ]
    done
    grep -q '^ST plot peak peak [0-9.]* [KM]*i*B live, after op [0-9]* (footprint 64 KiB)$' "$T/selftest"
    # a click in the middle of the plot goes to the step of the operation there, and the line follows
    read -r _ _ _ want _ step _ op _ x wantx < <(grep '^ST plot click ' "$T/selftest")
    [ "$step" -ne 40 ]
    [ $((op - want)) -le $((steps / 200 + 1)) ] && [ $((want - op)) -le $((steps / 200 + 1)) ]
    [ $((x - wantx)) -le 1 ] && [ $((wantx - x)) -le 1 ]
}

@test "html: a trace recorded with --sites carries each block's allocation site, and the page colours by it" {
    need_chromium
    d="$BATS_TEST_TMPDIR"
    run -0 "$RUN" --sites --heap-size 1M --trace "$d/t.rep" --html "$d/p.html" -- $PY -c '
def a(): return [bytes(200 + i % 50) for i in range(100)]
def b(): return [bytes(900 + i % 50) for i in range(100)]
x, y = a(), b()'
    # allocation lines carry a site number; the trace still replays without errors
    [ "$(awk 'NR > 4 && ($1 == "a" || $1 == "r") && NF == 4' "$d/t.rep" | wc -l)" -gt 100 ]
    run -0 "$REPLAY" --json "$d/t.rep"
    [ "$(json_get_s <(echo "$output") "d['errors']")" -eq 0 ]
    [ "$(page_data "$d/p.html" "'site' in d['fields'] and len(d['sites']) > 3")" = True ]
    # the site numbers are named (t.rep.sites, written at exit): frames, through addr2line when installed
    [ "$(stat -c %a "$d/t.rep.sites")" = 600 ]
    page_data "$d/p.html" "list(d['sites'].values())[:3]"
    [ "$(page_data "$d/p.html" "all(v and v[0] != '#' for v in d['sites'].values()) and any('python3' in v for v in d['sites'].values())")" = True ]
    open_page "$d/p.html" 50
    T=$BATS_TEST_TMPDIR
    [ ! -s "$T/errors" ]
    grep '^ST bysite' "$T/selftest"
    read -r _ _ enabled same sites < <(grep '^ST bysite ' "$T/selftest")
    [ "$enabled" = enabled ]
    [ "$same" = changed ]
    [ "$sites" -gt 3 ]
}

json_get_s() {
    $PY -c 'import json,sys; d=json.load(open(sys.argv[1])); print(eval(sys.argv[2]))' "$1" "$2"
}

page_data() {
    $PY -c 'import json, re, sys
s = open(sys.argv[1]).read()
d = json.loads(re.search(r"id=\"slz-data\">(.*?)</script>", s, re.S).group(1))
print(eval(sys.argv[2]))' "$1" "$2"
}

@test "html: a run with SLZ_CACHE=1 (slz-run --html): the page matches the core replayed with --cache, cached blocks in their own colour" {
    need_chromium
    d="$BATS_TEST_TMPDIR"
    run -0 env SLZ_CACHE=1 "$RUN" -q --heap-size 64M --trace "$d/c.rep" --html "$d/c.html" -- "$BIN/shim_cache_churn" 2000
    [ -s "$d/c.rep" ]
    grep -q '"cache":true' "$d/c.html"
    DUMP_ARGS=(--heap-size 64M --fallback --cache)
    check_page "$d/c.html" "$d/c.rep" 3000
    # the page draws what the core holds: the blocks the cache holds among them
    grep -q '^STK [0-9]* [0-9]* cached -1$' "$BATS_TEST_TMPDIR/selftest"
    grep '^STC ' "$BATS_TEST_TMPDIR/selftest"
    grep -qx 'ST cached pixel 156,195,232' "$BATS_TEST_TMPDIR/selftest"
    grep -q '^ST cached tip freed block the cache holds (SLZ_CACHE: not merged yet) | size ' "$BATS_TEST_TMPDIR/selftest"
}
