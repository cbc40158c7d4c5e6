#!/usr/bin/env bats
# stock.bats - stock programs under the shim give the same stdout and exit
# status as a plain run, with the default one-page heap and with a 256M heap.
#
# same_as_plain runs a command three times, each in a fresh scratch directory:
# plain, under the shim with the default heap, and under the shim with
# SLZ_HEAP_SIZE=256M and SLZ_STATS written to a file. It fails when stdout or
# the exit status differ, when the shim printed any "slzmalloc:" line on
# stderr, or when the 256M run's statistics (summed over every process of the
# command) do not show the core serving over 90% of the calls - so a shim that
# failed to load cannot pass.
load test_helper

DATA="$ROOT/tests/data"

setup_file() {
    # 150k lines of pseudo-random words and numbers (fixed seed), shared read-only
    awk 'BEGIN { srand(42); for (i = 0; i < 150000; i++) {
            w = ""; n = 1 + int(rand() * 10);
            for (j = 0; j < n; j++) w = w sprintf("%c", 97 + int(rand() * 26));
            printf "%s %d %s\n", w, int(rand() * 1000000), (rand() < 0.1 ? "malloc" : "free") } }' \
        >"$BATS_FILE_TMPDIR/lines.txt"
}

# stats_sum FILE FIELD: sum of "N calls served by the core" (FIELD 1) or
# "M by glibc" (FIELD 2) over every report line in FILE; empty if none.
stats_sum() {
    sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc.*/\1 \2/p' "$1" |
        awk -v f="$2" '{ s += $f; n++ } END { if (n) print s }'
}

# same_as_plain cmd...: see the top of the file. STOCK_HEAPS (default
# "default 256M") lists the heaps to try, e.g. STOCK_HEAPS="4K 64K 1G".
same_as_plain() {
    local t="$BATS_TEST_TMPDIR" st=0 run
    mkdir -p "$t/plain"
    (cd "$t/plain" && "$@") >"$t/plain.out" 2>"$t/plain.err" || st=$?
    echo "$st" >"$t/plain.status"
    for run in ${STOCK_HEAPS:-default 256M}; do
        mkdir -p "$t/$run"
        st=0
        if [ "$run" = default ]; then
            (cd "$t/$run" && env LD_PRELOAD="$LIB" "$@") >"$t/$run.out" 2>"$t/$run.err" || st=$?
        else
            (cd "$t/$run" && env LD_PRELOAD="$LIB" SLZ_HEAP_SIZE="$run" SLZ_STATS=1 \
                SLZ_STATS_FILE="$t/$run.stats" "$@") >"$t/$run.out" 2>"$t/$run.err" || st=$?
        fi
        echo "$st" >"$t/$run.status"
        if ! cmp -s "$t/plain.status" "$t/$run.status"; then
            echo "exit status: plain $(cat "$t/plain.status"), $run heap $st" >&2
            return 1
        fi
        if ! cmp -s "$t/plain.out" "$t/$run.out"; then
            echo "stdout differs with the $run heap:" >&2
            diff "$t/plain.out" "$t/$run.out" | head -20 >&2
            return 1
        fi
        if grep -q '^slzmalloc:' "$t/$run.err"; then
            echo "the shim complained with the $run heap:" >&2
            grep '^slzmalloc:' "$t/$run.err" | head -5 >&2
            return 1
        fi
        [ "$run" = default ] && continue
        local core glibc
        core=$(stats_sum "$t/$run.stats" 1)
        glibc=$(stats_sum "$t/$run.stats" 2)
        if [ -z "$core" ] || { [ "$run" = 256M ] && [ "$core" -le $((9 * glibc)) ]; }; then
            echo "$run heap: core served '${core}' calls, glibc '${glibc}'" >&2
            return 1
        fi
    done
    [ -s "$t/plain.out" ] || { echo "the command printed nothing: nothing compared" >&2; return 1; }
}

@test "stock: ls -lR of /usr/include" {
    same_as_plain ls -lR /usr/include
}

@test "stock: cat of a 150k-line file and of many headers" {
    same_as_plain bash -c 'cat "$1"; cat /usr/include/linux/*.h' _ "$BATS_FILE_TMPDIR/lines.txt"
}

@test "stock: sort of a 150k-line file (whole file, by key, unique)" {
    same_as_plain bash -c 'sort "$1" | sha256sum; sort -k2,2n -k1,1 "$1" | tail -3; sort -u -k3,3 "$1"' \
        _ "$BATS_FILE_TMPDIR/lines.txt"
}

@test "stock: sort --parallel=2 -S 10M of a 150k-line file" {
    same_as_plain bash -c 'sort --parallel=2 -S 10M -k2,2n -k1,1 "$1" | sha256sum;
        sort --parallel=2 -S 10M -r "$1" | head -5' _ "$BATS_FILE_TMPDIR/lines.txt"
}

@test "stock: grep -r over /usr/include" {
    same_as_plain bash -c 'grep -rn "malloc" /usr/include | sha256sum; grep -rlE "^#define +__GLIBC__" /usr/include;
        grep -rc "struct" /usr/include/linux | head -50'
}

@test "stock: sed substitutions and a script over a 150k-line file" {
    same_as_plain bash -c 'sed -E "s/([a-z]+) ([0-9]+)/\2:\1/; /free$/d" "$1" | sha256sum;
        sed -n "1~997p" "$1"; sed -e "s/a/A/g" -e "y/bc/BC/" -e "10q" "$1"' _ "$BATS_FILE_TMPDIR/lines.txt"
}

@test "stock: awk associative arrays and arithmetic over a 150k-line file" {
    same_as_plain awk '{ n[$3]++; s += $2; len[length($1)]++; w[$1] = $2 }
        END { printf "%d %d %d %d\n", NR, n["malloc"], n["free"], s;
              for (i = 1; i <= 10; i++) print i, len[i]; k = 0; for (x in w) k++; print k }' \
        "$BATS_FILE_TMPDIR/lines.txt"
}

@test "stock: find | xargs sha256sum over headers" {
    same_as_plain bash -c 'find /usr/include/linux /usr/include/x86_64-linux-gnu -type f -name "*.h" | sort |
        xargs -n 50 sha256sum'
}

# archive: a reproducible archive of a header tree, compressed, listed,
# extracted and compared with the tree; prints the archive's digest.
archive_round_trip() {
    local z="$1"
    tar --sort=name --mtime=@0 --owner=0 --group=0 --numeric-owner -C /usr/include -cf - linux asm-generic |
        $z >a.tar.z
    sha256sum <a.tar.z
    $z -d <a.tar.z | tar -tvf - | tail -3
    mkdir out
    $z -d <a.tar.z | tar -xf - -C out
    diff -r /usr/include/linux out/linux && diff -r /usr/include/asm-generic out/asm-generic && echo same content
}

@test "stock: tar with gzip round trip keeps the content" {
    export -f archive_round_trip
    same_as_plain bash -c 'archive_round_trip "gzip -6"'
}

@test "stock: tar with xz (two threads) round trip keeps the content" {
    export -f archive_round_trip
    same_as_plain bash -c 'archive_round_trip "xz -T2 -1"'
}

@test "stock: python3 sorts large lists and dicts" {
    same_as_plain /usr/bin/python3 "$DATA/stock/lists_dicts.py"
}

@test "stock: perl hashes, regexes and sorts" {
    same_as_plain perl "$DATA/stock/hashes.pl"
}

@test "stock: gcc compiles and links a multi-file program that then runs the same" {
    same_as_plain bash -c 'gcc -O2 -Wall -o words "$1/main.c" "$1/words.c" "$1/sum.c" &&
        cat "$1"/*.c | ./words && gcc -O2 -c "$1/sum.c" -o sum.o && sha256sum <sum.o' _ "$DATA/cprog"
}

@test "stock: git init, commits, log and gc in a scratch repository" {
    same_as_plain env HOME=. GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_NAME=slz GIT_AUTHOR_EMAIL=slz@example.org \
        GIT_COMMITTER_NAME=slz GIT_COMMITTER_EMAIL=slz@example.org \
        GIT_AUTHOR_DATE=2020-01-01T00:00:00Z GIT_COMMITTER_DATE=2020-01-01T00:00:00Z \
        bash -c 'git init -q -b main r && cd r &&
        cp "$1"/*.c "$1"/*.h . && git add . && git commit -q -m "first" &&
        sed -i "s/256/512/" main.c && cp "$1/Makefile" . && git add . && git commit -q -m "second" &&
        git mv sum.c fnv.c && git commit -q -m "rename" &&
        git log --stat --format="%H %an %s" && git diff HEAD~2 --stat && git gc -q && git fsck -q &&
        git count-objects -v | grep -v size && git log --oneline | wc -l' _ "$DATA/cprog"
}

@test "stock: bash script with arrays, functions and subshells" {
    same_as_plain bash "$DATA/stock/script.bash"
}

@test "stock: make -j2 builds and runs the multi-file program" {
    # run from `make test`, a sub-make would print its directory: start afresh
    same_as_plain env -u MAKEFLAGS -u MAKELEVEL -u MFLAGS bash -c 'make -s -j2 -f "$1/Makefile" SRC="$1" && cat report.txt &&
        make -f "$1/Makefile" SRC="$1" && make -n -f "$1/Makefile" SRC="$1" -B words | wc -l' _ "$DATA/cprog"
}

@test "stock: dd, split and cp (aligned_alloc users) copy a 150k-line file exactly" {
    same_as_plain bash -c 'dd if="$1" of=d.out bs=64k 2>/dev/null && dd if="$1" bs=1000 skip=7 count=300 2>/dev/null |
        sha256sum && split -l 20000 -d "$1" part. && cat part.* | cmp - "$1" && ls part.* && cp "$1" c.out &&
        cp -r /usr/include/asm-generic lin && diff -r /usr/include/asm-generic lin && sha256sum d.out c.out' \
        _ "$BATS_FILE_TMPDIR/lines.txt"
}

@test "stock: a failing command keeps its exit status and output" {
    same_as_plain bash -c 'ls /usr/include/stdio.h /nonexistent; grep -c zzzzqqq /usr/include/stdio.h'
    [ "$(cat "$BATS_TEST_TMPDIR/plain.status")" -ne 0 ]
}

@test "stock: python3 -c sum(range(10**6)) with a 256M heap: the core serves the large majority" {
    run --separate-stderr under_slz SLZ_HEAP_SIZE=256M SLZ_STATS=1 /usr/bin/python3 -c 'print(sum(range(10**6)))'
    [ "$status" -eq 0 ]
    [ "$output" = 499999500000 ]
    line=$(grep '^slzmalloc: stats: ' <<<"$stderr")
    core=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc.*/\1/p' <<<"$line")
    glibc=$(sed -n 's/^slzmalloc: stats: \([0-9]*\) calls served by the core, \([0-9]*\) by glibc.*/\2/p' <<<"$line")
    echo "# core $core, glibc $glibc" >&3
    [ -n "$core" ]
    [ -n "$glibc" ]
    [ "$core" -gt 1000 ]
    [ "$core" -gt $((19 * glibc)) ] # more than 95% of the calls
}

@test "stock: ls -la /usr/bin" {
    expected="$(ls -la /usr/bin)"
    run under_slz ls -la /usr/bin
    [ "$status" -eq 0 ]
    [ "$output" = "$expected" ]
}
