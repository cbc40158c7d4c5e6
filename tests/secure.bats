#!/usr/bin/env bats
# secure.bats - the shim's report files are safe to ask for (issues 10, 18):
# - in secure-execution mode (AT_SECURE: a set-user-ID program run by
#   another user) every SLZ_* variable is ignored: the heap keeps its
#   default size, no statistics, no call sites, no file is written;
# - no report (statistics, heap maps, traces) follows a symlink or writes
#   into a file the process did not create, at the names asked for or at the
#   names derived from them (numbered heap maps, <stem>.<pid>.rep traces,
#   the <path>.<pid>.tmp names reports are written under), and every report
#   file is mode 0600, whatever the umask.
load test_helper

PY=/usr/bin/python3

# ---- Secure-execution mode -----------------------------------------------------
#
# ld.so ignores LD_PRELOAD paths with a slash in a set-user-ID program, so the
# probe is linked against libslzmalloc.so itself (listed before libc: it
# interposes malloc as a preload would), found through an absolute RUNPATH,
# which secure mode honours. The probe and a copy of the library go into a
# directory of their own that any user can read; the probe is made
# set-user-ID root and run as an unprivileged user with setpriv. The probe
# prints what the kernel told it (AT_SECURE) and whether the shim is mapped,
# so each test checks that it really ran in secure mode with the shim.

PROBE_C='
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
extern char end[];
int main(int argc, char **argv)
{
    char line[4096];
    int shim = 0;
    FILE *maps = fopen("/proc/self/maps", "r");
    while (maps && fgets(line, sizeof line, maps))
        shim |= strstr(line, "/libslzmalloc.so") != NULL;
    void *p[64];
    for (int i = 0; i < 64; i++)
        p[i] = malloc(16 + 8 * i);
    for (int i = 0; i < 64; i += 2)
        free(p[i]);
    /* who served a block too big for the default one-page heap: glibc
     * (in its brk heap, between the program and the break) or slz */
    char *big = malloc(5000);
    const char *by = big >= end && big < (char *)sbrk(0) ? "glibc" : "slz";
    printf("AT_SECURE=%lu shim=%d 5000:%s\n", getauxval(AT_SECURE), shim, by);
    fflush(stdout);
    if (argc > 1) { /* a double free of a small block: reported by slz */
        free(p[1]);
        free(p[1]);
    }
    return 0;
}'

# probe_dir: a directory any user can reach, on a file system that honours
# the set-user-ID bit, holding the probe (set-user-ID root) and the library.
# Sets PROBE_DIR, or gives a reason in SKIP_WHY.
setup_secure() {
    SKIP_WHY=""
    if [ "$(id -u)" != 0 ]; then
        SKIP_WHY="needs root to make a set-user-ID root program (CI runs as root)"
        return
    fi
    command -v setpriv >/dev/null || { SKIP_WHY="needs setpriv (util-linux)"; return; }
    RUN_AS=nobody
    if ! id -u "$RUN_AS" >/dev/null 2>&1; then
        RUN_AS=slz-secure-test
        id -u "$RUN_AS" >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin "$RUN_AS" ||
            { SKIP_WHY="no user nobody, and useradd failed"; return; }
    fi
    local base
    for base in /tmp /var/tmp /dev/shm "$ROOT/build"; do
        PROBE_DIR=$(mktemp -d "$base/slz-secure.XXXXXX" 2>/dev/null) || continue
        chmod 755 "$PROBE_DIR"
        cp "$LIB" "$PROBE_DIR/libslzmalloc.so"
        chmod 755 "$PROBE_DIR/libslzmalloc.so"
        printf '%s\n' "$PROBE_C" >"$PROBE_DIR/probe.c"
        ${CC:-cc} -o "$PROBE_DIR/probe" "$PROBE_DIR/probe.c" -L"$PROBE_DIR" -Wl,--no-as-needed -lslzmalloc \
            -Wl,-rpath,"$PROBE_DIR" || { SKIP_WHY="cannot build the probe"; return; }
        chmod 4755 "$PROBE_DIR/probe"
        mkdir -m 755 "$PROBE_DIR/out"
        if [ "$(as_user "$PROBE_DIR/probe")" = "AT_SECURE=1 shim=1 5000:glibc" ]; then
            return
        fi
        rm -rf "$PROBE_DIR"
    done
    PROBE_DIR=""
    SKIP_WHY="no directory where a set-user-ID program gets AT_SECURE=1 (all mounted nosuid?)"
}

# as_user CMD...: CMD run as the unprivileged user (real and effective ids;
# a set-user-ID CMD then runs with effective id root and AT_SECURE=1).
as_user() {
    setpriv --reuid="$RUN_AS" --regid="$(id -g "$RUN_AS")" --clear-groups "$@"
}

setup_file() {
    setup_secure
    export PROBE_DIR SKIP_WHY RUN_AS
}

teardown_file() {
    [ -z "${PROBE_DIR:-}" ] || rm -rf "$PROBE_DIR"
    [ "${RUN_AS:-}" != slz-secure-test ] || userdel slz-secure-test 2>/dev/null || true
}

need_secure() {
    [ -z "$SKIP_WHY" ] || skip "$SKIP_WHY"
    rm -rf "$PROBE_DIR/out"/* "$PROBE_DIR/out"/.[!.]* 2>/dev/null || true
}

FILES_ENV=(SLZ_STATS_FILE=out/s.txt SLZ_HEAPMAP=out/m.svg SLZ_TRACE=out/t.rep)
ALL_ENV=(SLZ_HEAP_SIZE=1M SLZ_STATS=1 "${FILES_ENV[@]}" SLZ_CHECK=1 SLZ_SITES=1)

@test "secure mode: a set-user-ID program run by another user (AT_SECURE=1, shim loaded) ignores every SLZ_* variable: default heap, no statistics, no files" {
    need_secure
    cd "$PROBE_DIR"
    run -0 --separate-stderr as_user env "${ALL_ENV[@]}" ./probe
    echo "# stdout [$output]"
    echo "# stderr [$stderr]"
    # the 5000-byte block came from glibc: SLZ_HEAP_SIZE=1M (which would
    # serve it) was ignored (the control below sees slz serve it)
    [ "$output" = "AT_SECURE=1 shim=1 5000:glibc" ]
    # one line says what was ignored, and nothing else is printed: no statistics
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: secure-execution mode"*"ignoring SLZ_HEAP_SIZE, SLZ_STATS, SLZ_STATS_FILE, SLZ_CHECK, SLZ_HEAPMAP, SLZ_TRACE, SLZ_SITES;"* ]]
    # and nothing was written: not the reports, not their temporary files
    [ -z "$(ls -A out)" ]
}

@test "secure mode: SLZ_STATS_FILE alone writes nothing and prints no report (the file was the only request)" {
    need_secure
    cd "$PROBE_DIR"
    run -0 --separate-stderr as_user env SLZ_STATS_FILE="$PROBE_DIR/out/s.json" ./probe
    [ "$output" = "AT_SECURE=1 shim=1 5000:glibc" ]
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: secure-execution mode"*"ignoring SLZ_STATS_FILE;"* ]]
    [ -z "$(ls -A out)" ]
}

@test "secure mode: SLZ_SITES=1 is ignored: a double free is reported in the plain form, without call sites" {
    need_secure
    cd "$PROBE_DIR"
    run -134 --separate-stderr as_user env SLZ_SITES=1 ./probe double
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 2 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: secure-execution mode"*"ignoring SLZ_SITES;"* ]]
    [[ "${stderr_lines[1]}" =~ ^slzmalloc:\ free\(\):\ double\ free\ \(0x[0-9a-f]+\)$ ]]
}

@test "secure mode, control: the same program run by its owner (AT_SECURE=0) honours them all: slz serves the big block, three reports, sites named" {
    need_secure
    cd "$PROBE_DIR"
    run -0 --separate-stderr env "${ALL_ENV[@]}" ./probe
    [ "$output" = "AT_SECURE=0 shim=1 5000:slz" ]
    [ -z "$stderr" ]
    [[ "$(head -1 out/s.txt)" == "slzmalloc: stats: "* ]]
    grep -q '<svg' out/m.svg
    [ "$(sed -n 3p out/t.rep | tr -d ' ')" -gt 64 ]
    run -134 --separate-stderr env SLZ_SITES=1 ./probe double
    echo "# stderr [$stderr]"
    [ "${#stderr_lines[@]}" -eq 1 ]
    [[ "${stderr_lines[0]}" == "slzmalloc: free(): double free (0x"*"): allocated at "* ]]
}

# ---- Symlinks and files the process did not create -----------------------------

# precious FILE: a file of the test's own with known contents, mode 644.
precious() {
    printf 'precious %s\n' "$1" >"$1"
    chmod 644 "$1"
}

# untouched FILE: FILE still holds what precious wrote, mode 644.
untouched() {
    [ "$(cat "$1")" = "precious $1" ] || { echo "$1 changed: $(head -c 200 "$1")"; return 1; }
    [ "$(stat -c %a "$1")" = 644 ]
}

# report_mode FILE: a plain file (not a symlink) of mode 0600.
report_mode() {
    [ -f "$1" ] && [ ! -L "$1" ] || { echo "$1: not a plain file"; return 1; }
    [ "$(stat -c %a "$1")" = 600 ] || { echo "$1: mode $(stat -c %a "$1")"; return 1; }
}

# PY_USR1: allocates, asks for one heap map with SIGUSR1, allocates again
# (the map is drawn at that next call into the core).
PY_USR1='
import os, signal
a = [bytearray(1000 + i) for i in range(50)]
os.kill(os.getpid(), signal.SIGUSR1)
b = [bytearray(300) for i in range(20)]'

@test "symlinks at SLZ_STATS_FILE, SLZ_HEAPMAP and SLZ_TRACE are not followed; the reports are 0600 even under umask 000" {
    cd "$BATS_TEST_TMPDIR"
    for f in ts tm tt; do precious $f; done
    ln -s ts s.txt
    ln -s tm m.svg
    ln -s tt t.rep
    run -0 --separate-stderr bash -c 'umask 000; exec env LD_PRELOAD="$1" SLZ_STATS_FILE=s.txt SLZ_HEAPMAP=m.svg \
        SLZ_TRACE=t.rep "$2" -c "$3"' - "$LIB" "$PY" "$PY_USR1"
    echo "# stderr [$stderr]"
    [ -z "$stderr" ]
    for f in ts tm tt; do untouched $f; done
    # the statistics and the heap map replace the links; the trace, whose
    # name was taken, goes to t.<pid>.rep and leaves the link alone
    report_mode s.txt
    [[ "$(head -1 s.txt)" == "slzmalloc: stats: "* ]]
    report_mode m.svg
    report_mode m.1.svg
    [ "$(readlink t.rep)" = tt ]
    traces=(t.[0-9]*.rep)
    [ "${#traces[@]}" -eq 1 ]
    report_mode "${traces[0]}"
    [ "$(sed -n 3p "${traces[0]}" | tr -d ' ')" -gt 100 ]
    [ -z "$(ls | grep '\.tmp$')" ]
}

@test "dangling symlinks at the report names: nothing is created where they point" {
    cd "$BATS_TEST_TMPDIR"
    mkdir elsewhere
    ln -s elsewhere/s s.txt
    ln -s elsewhere/m m.svg
    ln -s elsewhere/t t.rep
    run -0 --separate-stderr under_slz SLZ_STATS_FILE=s.txt SLZ_HEAPMAP=m.svg SLZ_TRACE=t.rep $PY -c "$PY_USR1"
    [ -z "$stderr" ]
    [ -z "$(ls -A elsewhere)" ]
    report_mode s.txt
    report_mode m.svg
    report_mode m.1.svg
}

@test "symlinks at the derived names (m.1.svg, t.<pid>.rep, every <name>.<pid>.tmp) are not followed" {
    cd "$BATS_TEST_TMPDIR"
    for f in t1 t2 t3 t4 t5 t6 t7; do precious $f; done
    echo "not a trace" >t.rep # taken: the trace goes to t.<pid>.rep
    # the shell plants the links for its own pid, then execs the program,
    # which keeps that pid
    run -0 --separate-stderr bash -c '
        ln -s t1 m.1.svg
        ln -s t2 "t.$$.rep"
        ln -s t3 "s.txt.$$.tmp"
        ln -s t4 "m.svg.$$.tmp"
        ln -s t5 "m.1.svg.$$.tmp"
        ln -s t6 "t.rep.$$.tmp"
        ln -s t7 "s.txt.$$.1.tmp"
        echo $$
        exec env LD_PRELOAD="$1" SLZ_STATS_FILE=s.txt SLZ_HEAPMAP=m.svg SLZ_TRACE=t.rep "$2" -c "$3"' \
        - "$LIB" "$PY" "$PY_USR1"
    pid=$output
    echo "# pid $pid, stderr [$stderr]"
    [ -z "$stderr" ]
    for f in t1 t2 t3 t4 t5 t6 t7; do untouched $f; done
    [ "$(cat t.rep)" = "not a trace" ]
    report_mode s.txt
    report_mode m.svg
    report_mode m.1.svg
    report_mode "t.$pid.rep"
    [ "$(sed -n 3p "t.$pid.rep" | tr -d ' ')" -gt 100 ]
    # the planted temporary names are still the test's links; no temporary file is left
    for f in "s.txt.$pid.tmp" "m.svg.$pid.tmp" "m.1.svg.$pid.tmp" "t.rep.$pid.tmp" "s.txt.$pid.1.tmp"; do
        [ -L "$f" ]
    done
    [ "$(find . -name '*.tmp' ! -type l | wc -l)" -eq 0 ]
}

@test "a file hard-linked at a report name keeps its contents (the report replaces the name, not the file)" {
    cd "$BATS_TEST_TMPDIR"
    precious hs
    precious hm
    ln hs s.txt
    ln hm m.svg
    run -0 --separate-stderr under_slz SLZ_STATS_FILE=s.txt SLZ_HEAPMAP=m.svg $PY -c pass
    [ -z "$stderr" ]
    untouched hs
    untouched hm
    report_mode s.txt
    report_mode m.svg
    # a file with a second link is not carried into the statistics either
    [ "$(grep -c precious s.txt)" -eq 0 ]
}

@test "the statistics file collects one report per process, 9 processes exiting together" {
    cd "$BATS_TEST_TMPDIR"
    run -0 under_slz SLZ_STATS=json SLZ_STATS_FILE=s.jsonl bash -c 'for i in 1 2 3 4 5 6 7 8; do ls / >/dev/null & done; wait'
    report_mode s.jsonl
    run -0 $PY -c '
import json, sys
ds = [json.loads(l) for l in open("s.jsonl")]
print(len(ds), len({d["pid"] for d in ds}), sorted({d["program"].rsplit("/", 1)[-1] for d in ds}))'
    echo "# $output"
    [ "$output" = "9 9 ['bash', 'ls']" ]
}

@test "a trace is a valid trace at its final name while the program still runs" {
    cd "$BATS_TEST_TMPDIR"
    run -0 under_slz SLZ_TRACE=t.rep $PY -c '
import os
x = [bytes(600 + i % 300) for i in range(20000)]   # malloc (above pymalloc), records for a flush
lines = open("t.rep").read().split("\n")[:-1]
print(int(lines[2]), len(lines) - 4, int(lines[2]) > 1000)'
    echo "# header ops, op lines: $output"
    read -r header ops big <<<"$output"
    [ "$header" -eq "$ops" ]
    [ "$big" = True ]
    report_mode t.rep
}
