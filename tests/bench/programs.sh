#!/usr/bin/env bash
# programs.sh - wall time and peak RSS of a fixed battery of stock programs,
# run plainly, under the shim (default heap and SLZ_HEAP_SIZE=1G) and under
# jemalloc, mimalloc and tcmalloc when their Debian packages are installed.
#
#   tests/bench/programs.sh [--quick] [--runs N]
#
# Runs are interleaved (run 1 of every program in every configuration, then
# run 2, ...; each round starts with another configuration) so that drift in
# the machine hits every configuration alike.
# Per program and configuration: median wall time and median peak RSS over
# the runs (peak RSS: the largest process of the command, from wait4), the
# ratio to the plain run of the same invocation, then the geometric mean of
# the ratios per configuration. CPU time (user + system of the command and its
# children) is shown beside wall time: on a machine shared with other work it
# is the steadier of the two. Needs build/bench/runstat and libslzmalloc.so.
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
RUNSTAT="$ROOT/build/bench/runstat"
LIB="$ROOT/libslzmalloc.so"
RUNS=7
QUICK=0
while [ $# -gt 0 ]; do
    case "$1" in
    --quick) QUICK=1; RUNS=1 ;;
    --runs) RUNS="$2"; shift ;;
    *) echo "usage: programs.sh [--quick] [--runs N]" >&2; exit 2 ;;
    esac
    shift
done
for f in "$RUNSTAT" "$LIB"; do
    [ -e "$f" ] || { echo "programs.sh: $f missing (make bench-build)" >&2; exit 2; }
done

WORK="$(mktemp -d "${TMPDIR:-/tmp}/slzbench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
PY=/usr/bin/python3

# ---- Inputs (generated, deterministic) ------------------------------------
if [ "$QUICK" = 1 ]; then
    LINES=20000 FUNCS=50 FILES=40 PYN=20000 XZBYTES=200000
else
    LINES=600000 FUNCS=300 FILES=300 PYN=100000 XZBYTES=3000000
fi
awk -v n="$LINES" 'BEGIN { srand(42); for (i = 0; i < n; i++)
    printf "%08x %d word%d %s\n", int(rand() * 4294967295), int(rand() * 1000000), int(rand() * 5000), (i % 7 ? "alpha" : "omega") }' \
    > "$WORK/lines.txt"
head -c "$XZBYTES" "$WORK/lines.txt" > "$WORK/xzin.txt"
awk -v n="$FUNCS" 'BEGIN { print "#include <stdio.h>\n#include <string.h>";
    for (i = 0; i < n; i++) {
        printf "struct s%d { int a[%d]; char name[32]; double w; };\n", i, i % 13 + 1
        printf "int f%d(struct s%d *s, const char *t) { int r = 0; for (int k = 0; k < %d; k++) r += s->a[k] * (k ^ %d);\n", i, i, i % 13 + 1, i
        printf "  if (strlen(t) > %d) r += (int)(s->w * %d); snprintf(s->name, sizeof s->name, \"f%%d\", r); return r; }\n", i % 20, i
    }
    print "int main(void) { return 0; }" }' > "$WORK/prog.c"
mkdir -p "$WORK/tree"
awk -v n="$FILES" -v dir="$WORK/tree" 'BEGIN { srand(7); for (i = 0; i < n; i++) {
    f = sprintf("%s/d%d/file%d.txt", dir, i % 20, i); system("mkdir -p " dir "/d" (i % 20))
    for (l = 0; l < 40; l++) printf "line %d of file %d: %x\n", l, i, int(rand() * 1e9) > f; close(f) } }'
cat > "$WORK/work.py" <<EOF
import json, random
random.seed(1)
n = $PYN
d = {("k%d" % i): [random.random() for _ in range(4)] for i in range(n)}
items = sorted(d.items(), key=lambda kv: kv[1][0])
s = json.dumps(items[: n // 4])
back = json.loads(s)
words = [w for kv in items for w in (kv[0], str(kv[1][1]))]
text = " ".join(words)
counts = {}
for w in text.split():
    counts[w[:3]] = counts.get(w[:3], 0) + 1
print(len(back), len(counts))
EOF

# ---- The battery -----------------------------------------------------------
PROGS=(sort python3 gcc xz git)
run_prog() { # run_prog NAME: the command line of one program, run in $WORK
    case "$1" in
    sort) sort -k2,2n -k1,1 lines.txt -o sorted.txt ;;
    python3) "$PY" work.py > /dev/null ;;
    gcc) gcc -O2 -c prog.c -o prog.o ;;
    xz) xz -T1 -6 -c xzin.txt > xzin.xz ;;
    git) rm -rf repo && cp -r tree repo && cd repo && git init -q && git add -A &&
        git -c user.name=bench -c user.email=bench@example.invalid commit -qm tree && git gc -q ;;
    esac
}
export -f run_prog
export PY

CONFIGS=(plain shim shim1G)
declare -A PRE=([plain]="" [shim]="$LIB" [shim1G]="$LIB")
declare -A HEAP=([plain]="" [shim]="" [shim1G]="1G")
. "$ROOT/tests/bench/peers.sh"
add_peer() { CONFIGS+=("$1"); PRE[$1]="$2"; HEAP[$1]=""; }
each_peer add_peer

RAW="$WORK/raw.txt"
: > "$RAW"
cd "$WORK" || exit 2
NC=${#CONFIGS[@]}
for ((r = 1; r <= RUNS; r++)); do
    for p in "${PROGS[@]}"; do
        for ((k = 0; k < NC; k++)); do
            c=${CONFIGS[$(((k + r) % NC))]} # each round starts with another configuration
            # shellcheck disable=SC2016 # $1 is for the inner bash
            env ${PRE[$c]:+LD_PRELOAD=${PRE[$c]}} ${HEAP[$c]:+SLZ_HEAP_SIZE=${HEAP[$c]}} \
                "$RUNSTAT" -o "$WORK/rs.txt" bash -c 'run_prog "$1"' _ "$p" > /dev/null 2> "$WORK/err.txt"
            read -r _ wall rss status cpu < "$WORK/rs.txt"
            if [ "$status" != 0 ]; then
                echo "# $p under $c: exit $status: $(head -c 300 "$WORK/err.txt")"
            fi
            echo "$p $c $r $wall $rss $status $cpu" >> "$RAW"
        done
    done
done

# One more (untimed) run of each program under the shim configurations with
# SLZ_STATS: the share of calls the core served, summed over every process.
SHARES=""
for c in shim shim1G; do
    for p in "${PROGS[@]}"; do
        rm -f "$WORK/stats.txt"
        # shellcheck disable=SC2016 # $1 is for the inner bash
        env LD_PRELOAD="$LIB" ${HEAP[$c]:+SLZ_HEAP_SIZE=${HEAP[$c]}} SLZ_STATS=1 SLZ_STATS_FILE="$WORK/stats.txt" \
            bash -c 'run_prog "$1"' _ "$p" > /dev/null 2>&1
        share=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc.*/\1 \2/p' \
            "$WORK/stats.txt" 2>/dev/null | awk '{ c += $1; g += $2 } END { if (c + g) printf "%.1f", 100 * c / (c + g); else print "n/a" }')
        SHARES+="$p $c $share"$'\n'
    done
done

# ---- Tables ---------------------------------------------------------------
echo "# programs: median of $RUNS run(s) each, interleaved; wall and CPU (user+sys) in seconds,"
echo "#   peak RSS in MiB (largest process of the command); _x = ratio to the plain run of this invocation"
awk -v configs="${CONFIGS[*]}" -v progs="${PROGS[*]}" '
function median(list,   a, n, i, j, t) {
    n = split(list, a, " ")
    for (i = 2; i <= n; i++) { t = a[i]; for (j = i - 1; j >= 1 && a[j] + 0 > t + 0; j--) a[j + 1] = a[j]; a[j + 1] = t }
    return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}
{ w[$1, $2] = w[$1, $2] " " $4; m[$1, $2] = m[$1, $2] " " $5; u[$1, $2] = u[$1, $2] " " $7; if ($6 != 0) bad[$1, $2]++ }
END {
    nc = split(configs, C, " "); np = split(progs, P, " ")
    printf "%-8s %-9s %8s %8s %8s %8s %8s %8s %6s\n", "program", "config", "wall_s", "wall_x", "cpu_s", "cpu_x",
        "rss_MiB", "rss_x", "failed"
    for (i = 1; i <= np; i++) {
        bw = median(w[P[i], "plain"]); bm = median(m[P[i], "plain"]); bu = median(u[P[i], "plain"])
        for (k = 1; k <= nc; k++) {
            c = C[k]; mw = median(w[P[i], c]); mm = median(m[P[i], c]); mu = median(u[P[i], c])
            rw = bw > 0 ? mw / bw : 0; rm = bm > 0 ? mm / bm : 0; ru = bu > 0 ? mu / bu : 0
            printf "%-8s %-9s %8.3f %8.3f %8.3f %8.3f %8.1f %8.3f %6d\n", P[i], c, mw, rw, mu, ru, mm / 1024, rm,
                bad[P[i], c] + 0
            if (rw > 0) lw[c] += log(rw); if (rm > 0) lm[c] += log(rm); if (ru > 0) lu[c] += log(ru); cnt[c]++
            fails[c] += bad[P[i], c]
        }
    }
    printf "\n# geometric means of the ratios over the %d programs\n", np
    printf "%-9s %8s %8s %8s %6s\n", "config", "wall_x", "cpu_x", "rss_x", "failed"
    for (k = 1; k <= nc; k++) {
        c = C[k]
        printf "%-9s %8.3f %8.3f %8.3f %6d\n", c, exp(lw[c] / cnt[c]), exp(lu[c] / cnt[c]), exp(lm[c] / cnt[c]), fails[c] + 0
    }
}' "$RAW"
echo
echo "# share of allocation calls served by the core (%), all processes of one extra run with SLZ_STATS"
printf '%s' "$SHARES" | awk '{ v[$1] = v[$1] " " sprintf("%8s", $3); if (!($1 in seen)) { seen[$1] = 1; o[++n] = $1 } }
    END { printf "%-8s %8s %8s\n", "program", "shim", "shim1G"; for (i = 1; i <= n; i++) printf "%-8s%s\n", o[i], v[o[i]] }'
# a program that failed in any configuration makes the run fail
! awk '$6 != 0 { bad = 1 } END { exit !bad }' "$RAW"
