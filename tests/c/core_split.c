/* core_split: a free chunk is split exactly when the remainder can stand
 * alone as a chunk of at least the minimum size (64 bytes); otherwise the
 * whole chunk is handed out. Checked for every remainder from 0 to 256 bytes,
 * in a hole between blocks and at the top of the heap. */
#include "core_view.h"

static _Alignas(16) char arena[128 * 1024];
static struct view v;

/* hole: make a free chunk of exactly hole bytes between two live guards;
 * returns its payload address. */
static char *hole(size_t hole_sz, char **g_lo, char **g_hi)
{
    *g_lo = slz_malloc(HEAP, 1);
    char *h = slz_malloc(HEAP, hole_sz - view_hdr);
    *g_hi = slz_malloc(HEAP, 1);
    slz_free(HEAP, h);
    return h;
}

int main(void)
{
    CHECK("heap on a static array", slz_heap_initialize_with(arena, sizeof arena) == 0);
    view_learn_header();
    const size_t H = 1024;
    int wrong_place = 0, wrong_split = 0, wrong_usable = 0, dirty = 0, splits_wrong = 0, cases = 0;
    for (size_t rem = 0; rem <= 256; rem += 16) {
        char *g1, *g2;
        char *h = hole(H, &g1, &g2);
        view_take(&v);
        struct vchunk *c = view_of(&v, h);
        if (!c || c->used || c->size != H) {
            fprintf(stderr, "could not make a hole of %zu bytes\n", H);
            wrong_place++;
            continue;
        }
        struct slz_heap_stats before, after;
        slz_heap_get_stats(HEAP, &before);
        size_t need = H - rem;
        char *p = slz_malloc(HEAP, need - view_hdr);
        slz_heap_get_stats(HEAP, &after);
        view_take(&v);
        int split = rem >= SLZ_TEST_MIN_CHUNK;
        struct vchunk *pc = view_of(&v, p), *rc = view_of(&v, p - view_hdr + need);
        cases++;
        if (p != h)
            wrong_place++;
        else if (split ? (pc->size != need || rc == NULL || rc->used || rc->size != rem)
                       : (pc->size != H || view_of(&v, p - view_hdr + H) != view_of(&v, g2)))
            wrong_split++;
        if (slz_usable_size(HEAP, p) != (split ? need : H) - view_hdr)
            wrong_usable++;
        if ((after.splits - before.splits) != (uint64_t)split)
            splits_wrong++;
        memset(p, 0xee, slz_usable_size(HEAP, p)); /* all of it is the user's */
        if (!heap_clean())
            dirty++;
        slz_free(HEAP, p);
        slz_free(HEAP, g1);
        slz_free(HEAP, g2);
    }
    CHECK("17 remainders tried", cases == 17);
    CHECK("the hole was used (first fit)", wrong_place == 0);
    CHECK("split exactly when the remainder is >= 64 bytes, and into exactly need + rest", wrong_split == 0);
    CHECK("usable size is the whole chunk when not split", wrong_usable == 0);
    CHECK("the splits counter moves exactly on a split", splits_wrong == 0);
    CHECK("writing every usable byte keeps the heap clean", dirty == 0);

    /* at the top: the single free chunk is split for any small request */
    view_take(&v);
    CHECK("heap back to one chunk", v.n == 1 && !v.c[0].used);
    size_t top = v.c[0].size;
    char *p = slz_malloc(HEAP, top - view_hdr - SLZ_TEST_MIN_CHUNK);
    view_take(&v);
    CHECK("top split leaving exactly a minimum chunk", p && v.n == 2 && v.c[1].size == SLZ_TEST_MIN_CHUNK &&
          !v.c[1].used);
    slz_free(HEAP, p);
    p = slz_malloc(HEAP, top - view_hdr - SLZ_TEST_MIN_CHUNK + 16);
    view_take(&v);
    CHECK("top not split when 48 bytes would be left", p && v.n == 1 && v.c[0].used && v.c[0].size == top);
    CHECK("the block is the whole heap", slz_usable_size(HEAP, p) == top - view_hdr);
    CHECK("heap full: nothing more fits", slz_malloc(HEAP, 0) == NULL);
    slz_free(HEAP, p);
    CHECK("heap clean at the end", heap_clean());
    return CHECK_DONE();
}
