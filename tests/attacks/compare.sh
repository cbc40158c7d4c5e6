#!/usr/bin/env bash
# compare.sh - run every case of tests/attacks.bats bare (glibc) and under
# slzmalloc (1G heap and default heap), and print what each does as a
# Markdown table (technique | glibc | slz).
#   tests/attacks/compare.sh      (after make test, or make all and the
#                                  programs in build/attacks/)
set -u
cd "$(dirname "$0")/../.."
ulimit -c 0
lib="$PWD/libslzmalloc.so"

# outcome CMD...: what the program did, in a few words.
outcome() {
    local out err status tmp
    tmp=$(mktemp)
    out=$("$@" 2>"$tmp" </dev/null)
    status=$?
    err=$(grep -v '^$' "$tmp" | head -1)
    rm -f "$tmp"
    case $status in
    0) echo "harmless: ${out#goal not reached: }" ;;
    1) echo "**GOAL REACHED**: ${out#GOAL REACHED: }" ;;
    134) case $err in
         slzmalloc:*) echo "reported: \`$(sed -E 's/\(0x[0-9a-f]+\)$/(0x...)/' <<<"$err")\`" ;;
         *) echo "aborts: \`${err:-(no message)}\`" ;;
         esac ;;
    139) echo "SIGSEGV" ;;
    *) echo "status $status" ;;
    esac
}

echo "| technique | glibc 2.36 | slz, 1G heap | slz, default heap |"
echo "|---|---|---|---|"
grep '^    resists ' tests/attacks.bats | while read -r _ prog args; do
    read -r -a a <<<"$args"
    bin=build/attacks/$prog
    g=$(outcome "$bin" "${a[@]}")
    s1=$(outcome env LD_PRELOAD="$lib" SLZ_HEAP_SIZE=1G "$bin" "${a[@]}")
    sd=$(outcome env LD_PRELOAD="$lib" "$bin" "${a[@]}")
    echo "| \`$prog${args:+ $args}\` | $g | $s1 | $sd |"
done
