# peers.sh - sourced by the benchmark scripts: the allocators slzmalloc is
# compared with, from Debian's packages libjemalloc2, libmimalloc2.0 and
# libtcmalloc-minimal4.
PEERS=(jemalloc=libjemalloc.so.2 mimalloc=libmimalloc.so.2 tcmalloc=libtcmalloc_minimal.so.4)
PEER_DIR=/usr/lib/x86_64-linux-gnu

# each_peer FUNCTION: FUNCTION NAME PATH for every installed peer; a comment
# line in the output for every missing one.
each_peer() {
    local pair name path
    for pair in "${PEERS[@]}"; do
        name=${pair%%=*} path=$PEER_DIR/${pair#*=}
        if [ -e "$path" ]; then
            "$1" "$name" "$path"
        else
            echo "# $name: $path not installed, column skipped"
        fi
    done
}
