#!/usr/bin/env bash
# summary.sh - the figures of issues 16 and 17 ("Done when") out of one output
# of run.sh (what `make bench` prints; it keeps a copy in
# build/bench/last-run.txt): one markdown table, each figure beside its target,
# ready for tests/bench/RESULTS.md. Every ratio is against plain glibc measured
# in the same run; "not run" where that run left the section out.
#
#   tests/bench/summary.sh [FILE]      (default build/bench/last-run.txt; - for stdin)
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
IN="${1:-$ROOT/build/bench/last-run.txt}"
[ "$IN" = - ] && IN=/dev/stdin
[ -r "$IN" ] || { echo "summary.sh: $IN not readable (run make bench first)" >&2; exit 2; }

awk '
# the table a line belongs to, from the header that opened it; a blank line ends it
NF == 0 { tab = ""; next }
/^### 1b\./ { cs = 1 }
/^# slzmalloc benchmarks:/ { stamp = $0; sub(/^# slzmalloc benchmarks: /, "", stamp) }
/^#   .*commit / { c = $0; sub(/.*commit /, "", c); stamp = stamp " " c }
/^#   load average at start: / { l = $0; sub(/^#   load average at start: /, "", l); sub(/ \(.*/, "", l); stamp = stamp ", load " l }
/^#/ {
    if ($2 == "worst" && $3 == "row") { w = $0; sub(/^# worst row [^:]*: /, "", w); k = $4; sub(/:$/, "", k); worst[k] = w }
    next
}
$1 == "test" && $3 == "Mops" { tab = "micro"; next }
$1 == "test" && $3 == "instr" { tab = "instr"; next }
$1 == "config" && $4 == "many/few" { tab = "holes"; next }
$1 == "benchmark" && $2 ~ /^x_/ { tab = "bench"; for (i = 2; i <= NF; i++) bcol[substr($i, 3)] = i; next }
$1 == "set" && $3 == "geomean" { tab = "foot"; fset = cs ? "CS:APP" : "generated"; next }
tab == "micro" { mops[$1, $2] = $4 }
tab == "instr" { ins[$1, $2] = $3; d1[$1, $2] = $5; br[$1, $2] = $7 }
tab == "holes" { holes[$1] = $4 }
tab == "bench" {
    for (c in bcol) {
        x = $(bcol[c])
        if ($1 == "geomean") geo[c] = x
        else if (x + 0 > wb[c] + 0) { wb[c] = x; wbn[c] = $1 }
    }
}
tab == "foot" { fg[$1] = $3; fm[$1] = $4; ft[$1] = $5; fsrc = fset }

function has(v) { return v != "" && v != "n/a" && v != "failed" }
# verdict: met when v (a number) is at most (le) or at least (ge) t
function met(v, op, t) { if (!has(v)) return "-"; return (op == "le" ? v + 0 <= t : v + 0 >= t) ? "met" : "missed" }
function row(issue, fig, cfg, now, target, verdict, ctx) {
    printf "| %s | %s | %s | %s | %s | %s | %s |\n", issue, fig, cfg, now == "" ? "not run" : now, target, verdict, ctx
}
# num: v in format f; "" (not run) when the section left it out; na: "n/a" then
function num(v, f) { return has(v) ? sprintf(f, v) : v }
function na(v, f) { return has(v) ? sprintf(f, v) : "n/a" }
function peers(arr, t,   s, p, n, P) {
    n = split("plain jemalloc mimalloc tcmalloc proto", P, " "); s = ""
    for (p = 1; p <= n; p++) if ((t, P[p]) in arr && has(arr[t, P[p]])) s = s (s ? ", " : "") (P[p] == "plain" ? "glibc" : P[p] == "proto" ? "the prototype p1" : P[p]) " " sprintf("%.1f", arr[t, P[p]])
    return s
}
function mx(a, b) { return !has(a) ? b : !has(b) ? a : (a + 0 > b + 0 ? a : b) }
END {
    print "Figures of issues 16 and 17 from `make bench`" (stamp ? " (" stamp ")" : "") "; ratios against glibc in the same run."
    print ""
    print "| issue | figure | config | now | target | verdict | glibc and peers, same run |"
    print "|---|---|---|---|---|---|---|"
    split("st rep live", T, " "); split("400 370 550", L, " ")
    split("micro st churn|repeated-sizes churn|1M live blocks", N, "|")
    for (i = 1; i <= 3; i++)
        row(16, "instructions per malloc+free, " N[i] " (callgrind)", "shim1G", num(ins[T[i], "shim1G"], "%.0f"), "<= " L[i],
            met(ins[T[i], "shim1G"], "le", L[i]), peers(ins, T[i]))
    row(16, "L1 data misses per pair, micro st", "shim1G", num(d1["st", "shim1G"], "%.2f"), "<= 2.5", met(d1["st", "shim1G"], "le", 2.5), peers(d1, "st"))
    row(16, "branch mispredictions per pair, micro st", "shim1G", num(br["st", "shim1G"], "%.2f"), "<= 2.5", met(br["st", "shim1G"], "le", 2.5), peers(br, "st"))
    row(16, "micro st Mops/s vs glibc", "shim1G", num(mops["st", "shim1G"], "%.2fx"), ">= 0.5x", met(mops["st", "shim1G"], "ge", 0.5), "")
    m2 = mops["mt2", "shim1G"]; m4 = mops["mt4", "shim1G"]
    row(16, "micro mt 2 / mt 4 vs glibc", "shim1G", has(m2) ? sprintf("%.2fx / %.2fx", m2, m4) : "", ">= 1.0x", has(m2) && has(m4) ? met(m2 < m4 ? m2 : m4, "ge", 1.0) : "-", "")
    for (k = 1; k <= 2; k++) {
        c = k == 1 ? "shim1G" : "cache1G"
        nowc[c] = has(geo[c]) ? sprintf("worst benchmark %s %.2fx, geomean %.2fx; worst row %s", wbn[c], wb[c], geo[c], worst[c]) : ""
        verc[c] = has(geo[c]) ? (wb[c] + 0 <= (k == 1 ? 1.5 : 1.0) && geo[c] + 0 <= (k == 1 ? 1.15 : 0.90) ? "met" : "missed") : "-"
    }
    row(16, "public-suite workloads, cost (time) vs glibc, per benchmark", "shim1G", nowc["shim1G"], "each <= 1.5x, geomean <= 1.15x", verc["shim1G"], "")
    row(16, "posix_memalign over 64,000 vs 1,000 holes, time per call", "shim1G", num(holes["shim1G"], "%.2fx"), "<= 2x", met(holes["shim1G"], "le", 2), has(holes["plain"]) ? "glibc " sprintf("%.2fx", holes["plain"]) : "")
    row(17, "instructions per malloc+free, micro st churn (callgrind)", "cache1G", num(ins["st", "cache1G"], "%.0f"), "<= 140", met(ins["st", "cache1G"], "le", 140), peers(ins, "st"))
    s1 = mops["st", "cache1G"]; s2 = mops["mt2", "cache1G"]; s4 = mops["mt4", "cache1G"]
    lo = has(s1) && has(s2) && has(s4) ? (s1 + 0 < s2 + 0 ? (s1 + 0 < s4 + 0 ? s1 : s4) : (s2 + 0 < s4 + 0 ? s2 : s4)) : ""
    row(17, "micro st / mt 2 / mt 4 Mops/s vs glibc", "cache1G", has(s1) ? sprintf("%.2fx / %.2fx / %.2fx", s1, s2, s4) : "", ">= 1.0x each", met(lo, "ge", 1.0), "")
    row(17, "public-suite workloads, cost (time) vs glibc, per benchmark", "cache1G", nowc["cache1G"], "each <= 1.0x, geomean <= 0.90x", verc["cache1G"], "")
    fw = mx(fg["classic"], fg["64w"])
    row(17, "peak footprint vs exact first fit (" (fsrc ? fsrc : "") " traces), classic / 64-bit", "core, SLZ_CACHE",
        has(fg["classic"]) || has(fg["64w"]) ? "geomean " na(fg["classic"], "%.3fx") " / " na(fg["64w"], "%.3fx") \
            "; highest " na(fm["classic"], "%.3fx") " (" ft["classic"] ") / " na(fm["64w"], "%.3fx") " (" ft["64w"] ")" : "",
        "<= 1.15x (the geomeans)", met(fw, "le", 1.15), "")
    print ""
    print "Not figures of `make bench`: aarch64 under qemu-user (issue 16: `make test-aarch64`); misuse and attack"
    print "tests with the cache on (issue 17: `make test`). Times move with the load of the machine; callgrind counts do not."
}' "$IN"
