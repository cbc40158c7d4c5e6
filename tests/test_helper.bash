# test_helper.bash - loaded by every .bats file: paths and small helpers.

ROOT="$(cd "$(dirname "${BATS_TEST_FILENAME}")" && while [ ! -f Makefile ] && [ "$PWD" != / ]; do cd ..; done; pwd)"
LIB="$ROOT/libslzmalloc.so"
BIN="$ROOT/build/tests"
bats_require_minimum_version 1.5.0

# under_slz [VAR=value ...] cmd...: run cmd with the shim preloaded.
under_slz() {
    env LD_PRELOAD="$LIB" "$@"
}

# gen_trace FORMAT KIND OPS SEED FILE: a deterministic malloc-lab trace of our
# own (tests/data/gen-trace.awk), so no test needs outside trace files.
gen_trace() {
    awk -v format="$1" -v kind="$2" -v ops="$3" -v seed="$4" -f "$ROOT/tests/data/gen-trace.awk" >"$5"
}

# BOUND, bounded: a run that may hang (fork, threads) under a timeout, which
# kills it with its whole process group and fails the test with "hung"
BOUND=20 # seconds; a passing run takes 0.1 to 3

# bounded CONFIG prog args...: run prog within BOUND seconds, CONFIG being
# plain (glibc alone), default (the shim, default heap) or a heap size (the
# shim with SLZ_HEAP_SIZE=CONFIG); it must exit 0, with no slzmalloc: line.
bounded() {
    local config=$1 pre=()
    shift
    case $config in
    plain) ;;
    default) pre=(LD_PRELOAD="$LIB") ;;
    *) pre=(LD_PRELOAD="$LIB" SLZ_HEAP_SIZE="$config") ;;
    esac
    run --separate-stderr timeout -k 5 "$BOUND" env "${pre[@]}" "$@"
    if [ "$status" -eq 124 ] || [ "$status" -eq 137 ]; then
        echo "# [$config] hung: killed after $BOUND s" >&3
        echo "hung: ${*##*/} ($config) killed after $BOUND s; stderr: $stderr"
        return 1
    fi
    echo "# [$config] ${output##*$'\n'}" >&3 # the summary, the last line
    echo "exit status $status; stderr: $stderr"
    [ "$status" -eq 0 ]
    [[ "$stderr" != *slzmalloc:* ]]
}

# ok_under [VAR=v ...] prog args...: exit 0 under the shim, no slzmalloc line
ok_under() {
    run -0 --separate-stderr under_slz "$@"
    echo "# $output" >&3
    [[ "$stderr" != *slzmalloc:* ]]
}

# misuse_suite_under MODE (e.g. SLZ_CACHE=1): every `aborts` case of
# misuse.bats under MODE with a 64M and the default heap: a double free or a
# bad pointer gives exactly its line; damage is reported (SIGABRT, one
# slzmalloc line) or harmless.
misuse_suite_under() {
    local mode=$1
    local n=0 fn what prog line heap
    while read -r line; do
        fn=${line%% *}
        what=${line#* \"}
        what=${what%%\"*}
        read -r -a args <<<"${line##*\" }"
        for heap in 64M default; do
            local env=("$mode" SLZ_HEAP_SIZE=$heap)
            [ "$heap" != default ] || env=("$mode")
            run --separate-stderr under_slz "${env[@]}" "$MISUSE/${args[0]}" "${args[@]:1}"
            echo "# ${args[*]} ($heap): status $status stdout [$output] stderr [$stderr]"
            case ${args[0]} in
            double_free | bad_pointer)
                [ "$status" -eq 134 ]
                [[ "$stderr" =~ ^"slzmalloc: $fn(): $what (0x"[0-9a-f]+")"$ ]]
                ;;
            *)
                if [ "$status" -eq 134 ]; then
                    [ "${#stderr_lines[@]}" -eq 1 ] && [[ "$stderr" == "slzmalloc: "* ]]
                else
                    [ "$status" -eq 0 ] && [ "$output" = survived ] && [ -z "$stderr" ]
                fi
                ;;
            esac
            n=$((n + 1))
        done
    done < <(sed -n 's/^    aborts //p' "$ROOT/tests/misuse.bats")
    echo "# $n runs"
    [ "$n" -gt 100 ]
}

# attack_suite_under MODE: every `resists` attack of attacks.bats under MODE
# with a 1G and the default heap: stopped by slz (SIGABRT, one slzmalloc
# line) or harmless, never GOAL REACHED nor another signal; those that could
# not even aim must be exactly replay's (the mode keeps the freed block it
# wanted back).
attack_suite_under() {
    local mode=$1
    local n=0 line heap unaimed=()
    while read -r line; do
        read -r -a args <<<"$line"
        for heap in 1G default; do
            local env=("$mode" SLZ_HEAP_SIZE=$heap)
            [ "$heap" != default ] || env=("$mode")
            run --separate-stderr under_slz "${env[@]}" "$ROOT/build/attacks/${args[0]}" "${args[@]:1}"
            echo "# ${args[*]} ($heap): status $status stdout [$output] stderr [$stderr]"
            if [ "$status" -eq 134 ]; then
                [ -z "$output" ] && [ "${#stderr_lines[@]}" -eq 1 ] && [[ "$stderr" == "slzmalloc: "* ]]
            else
                [ "$status" -eq 0 ] && [ "${#lines[@]}" -eq 1 ] && [[ "$output" == "goal not reached: "* ]]
                [ -z "$stderr" ]
                [[ "$output" != "goal not reached: cannot aim"* ]] || unaimed+=("${args[*]} ($heap)")
            fi
            n=$((n + 1))
        done
    done < <(sed -n 's/^    resists //p' "$ROOT/tests/attacks.bats" | sort -u)
    echo "# $n runs; could not aim: ${unaimed[*]}"
    [ "$n" -ge 60 ]
    [ "${unaimed[*]}" = "replay (1G) replay (default)" ]
}
