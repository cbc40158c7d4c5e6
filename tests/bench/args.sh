# args.sh - sourced by memload.sh and memcases.sh: the options they share and
# the check that their programs were built.
#
# bench_args NAME "$@": QUICK=1 for --quick; RUNS=N for --runs N (run.sh
# passes it to every script; those that run once ignore it); anything else
# prints NAME's usage and exits 2.
bench_args() {
    local name=$1
    shift
    QUICK=0
    while [ $# -gt 0 ]; do
        case "$1" in
        --quick) QUICK=1 ;;
        --runs) RUNS="$2"; shift ;;
        *) echo "usage: $name [--quick] [--runs N]" >&2; exit 2 ;;
        esac
        shift
    done
}

# need_built NAME FILE...: exit 2 naming the first FILE missing.
need_built() {
    local name=$1 f
    shift
    for f in "$@"; do
        [ -e "$f" ] || { echo "$name: $f missing (make bench-build)" >&2; exit 2; }
    done
}
