#!/usr/bin/env bash
# html.sh - how long the heap timeline page of a 100,000-operation trace
# takes: writing it (slz-replay --html) and opening it in headless Chromium.
# A figure, not a test: nothing is asserted about time.
#
#   tests/bench/html.sh [--quick] [--runs N] [--ops N]
#
# Columns: ops and steps of the page, its size; replay_s, the seconds
# slz-replay takes to write it; open_s, the median wall time of a headless
# Chromium that loads the page, runs its self-test (100 steps with the arrow
# key) and prints the DOM; blank_s, the same for an empty page (Chromium's own
# start-up, to subtract); ready_ms, the page's own time from navigation to its
# first drawing (performance.now()); step_ms, the mean time of one step.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OPS=100000 RUNS=3 STEPS=100
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) OPS=10000 RUNS=1 ;;
    --runs) RUNS="$2"; shift ;;
    --ops) OPS="$2"; shift ;;
    *) echo "usage: html.sh [--quick] [--runs N] [--ops N]" >&2; exit 2 ;;
    esac
    shift
done
CHROMIUM=${CHROMIUM:-$(command -v chromium || true)}
if [ -z "$CHROMIUM" ]; then
    echo "# chromium is not installed (apt-get install chromium): heap timeline not timed"
    exit 0
fi
REPLAY="$ROOT/build/slz-replay"
[ -x "$REPLAY" ] || { echo "html.sh: $REPLAY is not built (make)" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

now() { date +%s.%N; }
# open URL: loads it headless, DOM into $tmp/dom.html; prints the seconds
open_page() {
    local prof t0 t1
    prof=$(mktemp -d "$tmp/profile.XXXX")
    t0=$(now)
    timeout 600 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
        --disable-background-networking --disable-component-update --disable-sync \
        --user-data-dir="$prof" --window-size=1280,900 --dump-dom --virtual-time-budget=60000 \
        "$1" >"$tmp/dom.html" 2>/dev/null
    t1=$(now)
    rm -rf "$prof"
    awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f\n", b - a }'
}
median() { sort -g | awk '{ v[NR] = $1 } END { print NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

awk -v format=64 -v kind=mix -v ops="$OPS" -v seed=1 -f "$ROOT/tests/data/gen-trace.awk" >"$tmp/t.rep"
t0=$(now)
"$REPLAY" -q --html "$tmp/t.html" "$tmp/t.rep" || { echo "html.sh: slz-replay --html failed" >&2; exit 1; }
t1=$(now)
replay_s=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')
echo '<!DOCTYPE html><title>blank</title><p>blank</p>' >"$tmp/blank.html"
status=0
opens=() blanks=() ready=() step=()
for ((i = 0; i < RUNS; i++)); do
    blanks+=("$(open_page "file://$tmp/blank.html")")
    opens+=("$(open_page "file://$tmp/t.html#selftest=$STEPS")")
    line=$(grep -o 'ST ready_ms [0-9.]* step_ms [0-9.]*' "$tmp/dom.html" | head -1)
    if [ -z "$line" ] || grep -q '<pre id="errors">ERROR' "$tmp/dom.html"; then
        echo "html.sh: the page did not finish its self-test, or reported an error" >&2
        status=1
        continue
    fi
    read -r _ _ r _ s <<<"$line"
    ready+=("$r") step+=("$s")
done
steps=$(grep -o '"o":' "$tmp/t.html" | wc -l)
printf '%-8s %7s %9s %9s %8s %8s %9s %8s\n' ops steps page_MiB replay_s open_s blank_s ready_ms step_ms
printf '%-8s %7s %9.2f %9s %8s %8s %9s %8s\n' "$(sed -n 3p "$tmp/t.rep")" "$steps" \
    "$(awk -v b="$(stat -c %s "$tmp/t.html")" 'BEGIN { print b / 1048576 }')" "$replay_s" \
    "$(printf '%s\n' "${opens[@]}" | median)" "$(printf '%s\n' "${blanks[@]}" | median)" \
    "$(printf '%s\n' "${ready[@]:-nan}" | median)" "$(printf '%s\n' "${step[@]:-nan}" | median)"
echo "# median of $RUNS run(s); open_s includes Chromium's start-up (about blank_s) and $STEPS steps of the self-test"
exit $status
