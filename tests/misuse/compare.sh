#!/usr/bin/env bash
# compare.sh - run every case of tests/misuse.bats under slzmalloc (64M heap)
# and bare (glibc), and print what each does as a Markdown table.
#   tests/misuse/compare.sh            (after make test, or make all and the
#                                       programs in build/misuse/)
set -u
cd "$(dirname "$0")/../.."
ulimit -c 0
lib="$PWD/libslzmalloc.so"

# outcome CMD...: "aborts: <first stderr line>", "silent" or the status.
outcome() {
    local err status
    err=$("$@" 2>&1 >/dev/null </dev/null)
    status=$?
    err=$(grep -v '^$' <<<"$err" | head -1)
    case $status in
    134) echo "aborts: \`${err:-(no message)}\`" ;;
    0) echo "silent" ;;
    139) echo "SIGSEGV" ;;
    *) echo "status $status" ;;
    esac
}

echo "| case | program | slzmalloc | glibc 2.36 |"
echo "|---|---|---|---|"
grep -B1 '^    aborts ' tests/misuse.bats | while read -r a b; do
    if [ "$a" = "@test" ]; then
        name=${b#\"}
        name=${name%% \[glibc*}
        continue
    fi
    [ "$a" = aborts ] || continue
    # b: FN "WHAT" PROG ARGS...
    prog_args=${b#*\" }
    read -r -a words <<<"$prog_args"
    prog=build/misuse/${words[0]}
    slz=$(outcome env LD_PRELOAD="$lib" SLZ_HEAP_SIZE=64M "$prog" "${words[@]:1}")
    slz=$(sed -E 's/\(0x[0-9a-f]+\)/(0x...)/' <<<"$slz")
    glibc=$(outcome "$prog" "${words[@]:1}")
    echo "| $name | \`${words[*]}\` | $slz | $glibc |"
done
