#!/usr/bin/env bats
# demo.bats - make demo (scripts/examples/demo.c), the seed's demonstration
# routine: its walk-through of first fit, compared line by line with the one
# expected (tests/data/demo.out), so a misplaced split or a missed coalesce
# fails here.
load test_helper

DEMO="$ROOT/build/demo"
EXPECTED="$ROOT/tests/data/demo.out"

# the expected walk-through is for a 4096-byte page (a one-page heap)
page_is_4096() {
    local page
    page=$(getconf PAGESIZE)
    if [ "$page" != 4096 ]; then
        echo "demo.bats: this machine's page is $page bytes, not 4096: tests/data/demo.out does not apply" >&2
        return 1
    fi
}

# compare_walk EXPECTED ACTUAL: line by line, the differences shown
compare_walk() {
    diff -u "$1" "$2"
}

@test "make demo: the walk-through is the expected one, line by line" {
    page_is_4096
    run -0 --separate-stderr "$DEMO"
    [ -z "$stderr" ]
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/demo.out"
    compare_walk "$EXPECTED" "$BATS_TEST_TMPDIR/demo.out"
}

@test "make demo: each event of the walk-through happens at least once" {
    run -0 "$DEMO"
    for event in \
        'slz_heap_initialize_impl()' 'slz_Heap_Allocator_impl(' 'slz_Heap_Allocator_init_impl(' \
        'slz_Heap_deAllocator_impl(' 'slz_Heap_reAllocator_impl(' \
        'slz_heap_create(' 'slz_malloc(' 'slz_free(' 'slz_realloc(' 'slz_calloc(' \
        'passing over the free chunks at ' 'Split: the block keeps' 'stays free.' 'No split: the ' \
        'Coalesced with the free neighbour below' 'Coalesced with the free neighbour above' \
        'Coalesced with both neighbours' 'Nothing to coalesce' 'Grown in place' 'Shrunk in place' \
        'Moved: it cannot grow in place' '100 of its 100 bytes read zero' 'NULL (errno ENOMEM)' \
        'a 32-byte chunk, raised to the' '         128     64  used  b'; do
        grep -qF -- "$event" <<<"$output" || { echo "missing: $event"; return 1; }
    done
    # and nothing it saw surprised it (its words for a core that broke a rule)
    run -1 grep -E 'NOT|CHANGED|violations|!' <<<"$output"
}

@test "the comparison can fail: an altered line, and a core that splits differently" {
    page_is_4096
    # a missed coalesce, written into the expected walk-through by hand
    sed '0,/Coalesced with both/s/Coalesced with both neighbours/Nothing to coalesce: the neighbours/' \
        "$EXPECTED" >"$BATS_TEST_TMPDIR/altered"
    run -1 cmp -s "$EXPECTED" "$BATS_TEST_TMPDIR/altered"
    run -0 "$DEMO"
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/demo.out"
    run -1 compare_walk "$BATS_TEST_TMPDIR/altered" "$BATS_TEST_TMPDIR/demo.out"
    [[ "$output" == *"-   Nothing to coalesce: the neighbours"* ]]
    # the demo built on a core whose minimum chunk is 128 bytes, not 64: the
    # text follows what the core did (b's chunk, every offset above it)
    cd "$ROOT"
    eval "$(make -s print-flags | grep -E '^(CC|SLZ_CFLAGS)=' | sed "s/=\(.*\)/='\1'/")"
    $CC $SLZ_CFLAGS -O1 -DSLZ_MIN_CHUNK=128 -o "$BATS_TEST_TMPDIR/demo128" scripts/examples/demo.c src/*.c -lpthread
    run -0 "$BATS_TEST_TMPDIR/demo128"
    printf '%s\n' "$output" >"$BATS_TEST_TMPDIR/demo128.out"
    run -1 compare_walk "$EXPECTED" "$BATS_TEST_TMPDIR/demo128.out"
    [[ "$output" == *"+   Split: the block keeps 128 bytes; the remainder, 3840 bytes at 256"* ]]
    [[ "$output" == *"+         128    128  used  b"* ]]
}
