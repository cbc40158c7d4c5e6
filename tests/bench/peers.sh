# peers.sh - sourced by the benchmark scripts: the allocators slzmalloc is
# compared with, from Debian's packages libjemalloc2, libmimalloc2.0 and
# libtcmalloc-minimal4.
PEERS=(jemalloc=libjemalloc.so.2 mimalloc=libmimalloc.so.2 tcmalloc=libtcmalloc_minimal.so.4)
PEER_DIR=/usr/lib/x86_64-linux-gnu

# shim_and_peers LIB: the configurations CONFIGS of a table, with PRE (the
# library each preloads) and HEAP (the SLZ_HEAP_SIZE each gives): plain
# glibc, the shim with its default heap and with 1G, every installed peer.
shim_and_peers() {
    CONFIGS=(plain shim shim1G)
    declare -gA PRE=([plain]="" [shim]="$1" [shim1G]="$1") HEAP=([shim1G]=1G)
    each_peer add_to_configs
}
add_to_configs() { CONFIGS+=("$1"); PRE[$1]="$2"; }

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
