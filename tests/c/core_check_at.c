/* core_check_at: slz_heap_check_at() checks the chunks around one block
 * and names damage there, whatever the heap's size. Each case builds the
 * same heap as core_check (1 MiB: holes between used blocks over some 30
 * cells, the top above them), damages one piece next to a block (a header,
 * a canary, a cell's size or lead, an index entry on the block's path) and
 * checks that the local check at that block reports it, first; damage far
 * from the block is left to slz_heap_check (the local check does not see
 * it, the full one does). Then a 1 GiB heap: a block freed into a hole
 * that spans many cells on both sides, and a live block of 512 MiB, are
 * found and checked; damage to their neighbours is named. */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "chunk.h"
#include "holes_heap.h"

/* expect_at: damage was done next to p; the local check at p reports it
 * first. */
static void expect_at(slz_heap *h, const void *p, const char *what)
{
    const char *first = NULL;
    size_t bad = slz_heap_check_at(h, p, &first);
    CHECK(what, bad > 0 && first != NULL && strcmp(first, what) == 0);
    if (first == NULL || strcmp(first, what) != 0)
        fprintf(stderr, "  expected \"%s\", got %zu: \"%s\"\n", what, bad, first ? first : "(none)");
    slz_heap_destroy(h);
}

/* clean_everywhere: the local check at every block, live or freed, at
 * pointers inside blocks and outside the arena, finds nothing. */
static int clean_everywhere(slz_heap *h)
{
    size_t bad = slz_heap_check_at(h, NULL, NULL) + slz_heap_check_at(h, h, NULL);
    for (int i = 0; i < BLOCKS; i++)
        bad += slz_heap_check_at(h, blk[i], NULL) + slz_heap_check_at(h, (char *)blk[i] + 100, NULL);
    return bad == 0;
}

static void near_damage(void)
{
    slz_heap *h = build();
    /* an overflow of blk[3] into the header of blk[4] (freed): seen from blk[3] */
    memset((char *)blk[3] + slz_usable_size(h, blk[3]), 'A', 8);
    expect_at(h, blk[3], "chunk header differs from the heap's bits");

    h = build();
    mem2chunk(blk[6])->check ^= 1; /* a used block's header: seen from the block below */
    expect_at(h, blk[5], "chunk header differs from the heap's bits");

    h = build();
    mem2chunk(blk[6])->check ^= 1; /* and from the block above (freed: the chunk it is in) */
    expect_at(h, blk[7], "chunk header differs from the heap's bits");

    h = build();
    mem2chunk(blk[7])->canary ^= 1; /* a write after free into a free neighbour */
    expect_at(h, blk[6], "free chunk canary is damaged");

    h = build();
    uint32_t g = g_of(h, blk[9]);
    mark_used(h, g, 0); /* a used block turned free below a hole, without a merge */
    make_free(h, g, grains_of(h, g));
    expect_at(h, blk[9], "two free chunks are adjacent");

    h = build();
    int i = 0;
    while (i < BLOCKS - 2 && (i % 3 == 1 || g_of(h, blk[i]) / SLZ_CELL == g_of(h, blk[i + 1]) / SLZ_CELL))
        i++; /* a used block, the last chunk of its cell */
    h->cells[g_of(h, blk[i]) / SLZ_CELL].last++;
    expect_at(h, blk[i], "a cell's last size differs from its last chunk");

    h = build();
    g = g_of(h, blk[30]);
    h->lv[0][g / SLZ_CELL]++;
    expect_at(h, blk[30], "index entry differs from its cell's largest free chunk");

    h = build();
    g = g_of(h, blk[60]);
    h->lv[1][g / SLZ_CELL / SLZ_FAN]++;
    expect_at(h, blk[60], "index entry differs from the maximum of its line");

    h = build();
    h->cells[(h->grains - 1) / SLZ_CELL].lead++; /* the top's: the last chunk is checked at every call */
    expect_at(h, NULL, "a cell's lead differs from where its chunk began");
}

/* far_damage: damage far from the block is the full check's. */
static void far_damage(void)
{
    slz_heap *h = build();
    const char *first = NULL;
    mem2chunk(blk[90])->check ^= 1;
    CHECK("damage far from the block: not the local check's", slz_heap_check_at(h, blk[3], NULL) == 0);
    CHECK("damage far from the block: the full check's",
          slz_heap_check(h, &first) > 0 && strcmp(first, "chunk header differs from the heap's bits") == 0);
    slz_heap_destroy(h);
}

/* big: a 1 GiB heap; a block freed between two holes of many cells each
 * is found inside the chunk it merged into; a 512 MiB block's neighbours
 * are reached. */
static void big(void)
{
    slz_heap *h = slz_heap_create((size_t)1 << 30);
    CHECK("1 GiB heap made", h != NULL);
    if (h == NULL)
        return;
    void *a = slz_malloc(h, 1 << 20), *b = slz_malloc(h, 100), *c = slz_malloc(h, 1 << 20);
    void *d = slz_malloc(h, 100), *e = slz_malloc(h, (size_t)512 << 20), *f = slz_malloc(h, 100);
    CHECK("blocks made", a && b && c && d && e && f);
    slz_free(h, a);
    slz_free(h, c);
    slz_free(h, b); /* merges a, b and c: 2 MiB, b in its middle */
    CHECK("the merged chunk, from b, checks clean", slz_heap_check_at(h, b, NULL) == 0);
    CHECK("the big block checks clean", slz_heap_check_at(h, e, NULL) == 0 && slz_heap_check(h, NULL) == 0);
    mem2chunk(d)->check ^= 1;
    const char *first = NULL;
    CHECK("the merged chunk's neighbour above: seen from b",
          slz_heap_check_at(h, b, &first) > 0 && strcmp(first, "chunk header differs from the heap's bits") == 0);
    CHECK("d below the big block: seen from it",
          slz_heap_check_at(h, e, &first) > 0 && strcmp(first, "chunk header differs from the heap's bits") == 0);
    mem2chunk(d)->check ^= 1;
    mem2chunk(a)->canary ^= 1;
    CHECK("the merged chunk's canary: seen from b, inside it",
          slz_heap_check_at(h, b, &first) > 0 && strcmp(first, "free chunk canary is damaged") == 0);
    slz_heap_destroy(h);
}

int main(void)
{
    slz_heap *h = build();
    CHECK("heap made", h != NULL);
    if (h == NULL)
        return CHECK_DONE();
    CHECK("the heap as built is clean", slz_heap_check(h, NULL) == 0);
    CHECK("the walk starts above line 0 of level 0 (holes in more than 16 cells)", h->start > 0);
    CHECK("clean at every block, freed or live, inside or outside", clean_everywhere(h));
    slz_heap_destroy(h);
    near_damage();
    far_damage();
    big();
    return CHECK_DONE();
}
