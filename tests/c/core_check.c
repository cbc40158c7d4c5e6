/* core_check: slz_heap_check() names every kind of damage. Each case builds
 * the same heap (1 MiB, mapped by the core: holes between used blocks over
 * some 30 cells, the top above them), checks that it is clean, damages one
 * piece of its out-of-band state (or a header, or a counter) through the
 * core's own layout (src/chunk.h: the tests are built with -Isrc), and
 * checks that the checker reports it, with that violation first. So removing
 * any one check from slz_heap_check() or index_check() fails this test. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "chunk.h"
#include "holes_heap.h"

/* a used block that is not the last chunk of its cell, and its granule */
static uint32_t used_mid_cell(slz_heap *h, int *which)
{
    for (int i = 0; i < BLOCKS - 1; i += 3) {
        uint32_t g = g_of(h, blk[i]);
        if (g_of(h, blk[i + 1]) / SLZ_CELL == g / SLZ_CELL) {
            *which = i;
            return g;
        }
    }
    return SLZ_NONE;
}

/* expect: damage was done to h; the checker must report it, first. */
static void expect(slz_heap *h, const char *what)
{
    const char *first = NULL;
    size_t bad = slz_heap_check(h, &first);
    CHECK(what, bad > 0);
    CHECK(what, first != NULL && strcmp(first, what) == 0);
    if (first == NULL || strcmp(first, what) != 0)
        fprintf(stderr, "  expected \"%s\", got %zu: \"%s\"\n", what, bad, first ? first : "(none)");
    slz_heap_destroy(h);
}

int main(void)
{
    slz_heap *h = build();
    const char *first = NULL;
    CHECK("heap made", h != NULL);
    if (h == NULL)
        return CHECK_DONE();
    CHECK("the heap as built is clean", slz_heap_check(h, &first) == 0);
    CHECK("the walk starts above line 0 of level 0 (holes in more than 16 cells)", h->start > 0);
    uint32_t last = g_of(h, blk[BLOCKS - 1]);
    last += grains_of(h, last); /* the top: the free chunk that ends the arena */
    CHECK("the top is free and spans cells", !is_used(h, last) && (h->grains - 1) / SLZ_CELL != last / SLZ_CELL);
    slz_heap_destroy(h);
    int i;

    /* invariant 1: the tiling */
    h = build();
    h->cells[0].start &= ~(uint64_t)1;
    expect(h, "no chunk begins at the arena's start");

    h = build();
    uint32_t g = used_mid_cell(h, &i);
    cell_of(h, g + 2)->start |= bit_of(g + 2);
    cell_of(h, g + 2)->used |= bit_of(g + 2);
    expect(h, "chunk smaller than the minimum");

    /* invariant 2: each cell's last */
    h = build();
    g = g_of(h, blk[BLOCKS / 2]);
    h->cells[g / SLZ_CELL].last++;
    expect(h, "a cell's last size differs from its last chunk");

    h = build();
    h->cells[last / SLZ_CELL].last++; /* the top's: the last chunk of all */
    expect(h, "a cell's last size differs from its last chunk");

    /* invariant 3: headers and canaries */
    h = build();
    mem2chunk(blk[3])->check ^= 1;
    expect(h, "chunk header differs from the heap's bits");

    h = build();
    mem2chunk(blk[4])->canary ^= 1;
    expect(h, "free chunk canary is damaged");

    /* invariant 4: a used chunk next to a hole turned free without a merge
     * (header and canary made as for a free chunk, so only adjacency is wrong) */
    h = build();
    g = g_of(h, blk[5]);
    mark_used(h, g, 0);
    make_free(h, g, grains_of(h, g));
    expect(h, "two free chunks are adjacent");

    /* invariant 7: the leads (the top's, in the arena's last cell) */
    h = build();
    h->cells[(h->grains - 1) / SLZ_CELL].lead++;
    expect(h, "a cell's lead differs from where its chunk began");

    h = build();
    CHECK("the top taken whole", slz_malloc(h, slz_largest_free(h) - SLZ_HDR) != NULL);
    CHECK("a full heap is clean", slz_heap_check(h, &first) == 0);
    h->cells[(h->grains - 1) / SLZ_CELL].lead = 0;
    expect(h, "a cell's lead differs from where its chunk began");

    /* the counters */

    h = build();
    h->st.free_chunks++;
    expect(h, "free chunk totals disagree with the heap");

    h = build();
    h->st.mallocs++; /* one live block more than the chunks hold */
    expect(h, "bytes in use disagree with the heap");

    /* invariant 6: the index */
    h = build();
    g = g_of(h, blk[BLOCKS / 2 + 1]);
    h->lv[0][g / SLZ_CELL]++;
    expect(h, "index entry differs from its cell's largest free chunk");

    h = build();
    h->span = g_of(h, blk[BLOCKS - 2]) / SLZ_CELL;
    expect(h, "index entry beyond the span the walk starts from");

    h = build();
    h->start = 0;
    expect(h, "the walk's first line does not cover the span");

    h = build();
    h->lv[1][0]++;
    expect(h, "index entry differs from the maximum of its line");

    return CHECK_DONE();
}
