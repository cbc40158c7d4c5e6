/* core_coalesce: a freed chunk merges with its free neighbours on both sides
 * at once (previous, next, both), so no two free chunks are ever adjacent;
 * after freeing everything, in any order, the heap is one free chunk. */
#include "core_view.h"

static _Alignas(16) char arena[512 * 1024];
static struct view v;

/* five blocks with guards: g a b c g; returns a, b, c */
static void five(char **g0, char **a, char **b, char **c, char **g4)
{
    *g0 = slz_malloc(HEAP, 32);
    *a = slz_malloc(HEAP, 100);
    *b = slz_malloc(HEAP, 200);
    *c = slz_malloc(HEAP, 300);
    *g4 = slz_malloc(HEAP, 32);
}

static size_t csize(const char *p)
{
    view_take(&v);
    struct vchunk *c = view_of(&v, p);
    return c ? c->size : 0;
}

/* merged: exactly one free chunk starts at lo's chunk and spans want bytes */
static int merged(const char *lo, size_t want)
{
    view_take(&v);
    struct vchunk *c = view_of(&v, lo);
    return c && !c->used && c->at == lo - view_hdr && c->size == want;
}

static int no_adjacent_free(void)
{
    view_take(&v);
    for (size_t i = 1; i < v.n; i++)
        if (!v.c[i].used && !v.c[i - 1].used)
            return 0;
    return 1;
}

static uint64_t coalesces(void)
{
    struct slz_heap_stats st;
    slz_heap_get_stats(HEAP, &st);
    return st.coalesces;
}

static void release_all(char *g0, char *g4)
{
    slz_free(HEAP, g0);
    slz_free(HEAP, g4);
    view_take(&v);
    CHECK("back to one free chunk", v.n == 1 && !v.c[0].used);
}

/* partial_cell: a heap on caller memory whose arena ends inside a cell: a
 * block freed just below the top merges with it there, and the cell's last
 * size (the merged chunk, up to the arena's end) follows. */
static void partial_cell(void)
{
    static _Alignas(16) char mem[64 * 1024];
    size_t want = 8192 + 40 * 16, bytes = slz_heap_footprint(want, 0);
    slz_heap *h = bytes <= sizeof mem ? slz_heap_create_in(mem, bytes, 0) : NULL;
    size_t size = slz_heap_size(h), tail = size % 1024; /* the last cell's bytes */
    CHECK("a heap whose arena ends inside a cell", h != NULL && tail >= 20 * 16);
    if (h == NULL || tail < 20 * 16)
        return;
    char *x = slz_malloc(h, size - tail + (tail - 10 * 16) - 16); /* up to 10 granules short of the end */
    char *b = slz_malloc(h, 64);                                  /* 5 of them; the top keeps 5 */
    CHECK("... blocks up to the top in the last cell", x != NULL && b != NULL);
    slz_free(h, b);
    const char *first = NULL;
    size_t bad = slz_heap_check(h, &first);
    CHECK("... the block below the top freed: merged, and the heap clean", bad == 0);
    if (bad)
        fprintf(stderr, "partial_cell: %zu violation(s), first: %s\n", bad, first ? first : "?");
    slz_free(h, x);
    CHECK("... and after the last free", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* deferred_runs: blocks another thread frees (slz_free_deferred) are taken
 * by a drain in address order, and those that follow one another are
 * released as one chunk (free.c, take_pending): the heap after the drain is
 * the heap after the same frees one by one, chunk for chunk and count for
 * count, for runs inside a cell, across cells, beside free chunks and at
 * the arena's end. Two heaps on caller memory, the same calls. */
struct shape {
    size_t n;
    size_t at[4096], size[4096];
    int used[4096];
};
static int shape_add(void *chunk, size_t size, int used, void *arg)
{
    struct shape *s = arg;
    if (s->n < 4096) {
        s->at[s->n] = (size_t)(uintptr_t)chunk;
        s->size[s->n] = size;
        s->used[s->n] = used;
    }
    s->n++;
    return 0;
}
static struct shape shape_a, shape_b;
static int same_heaps(slz_heap *a, slz_heap *b)
{
    struct slz_heap_stats x, y;
    shape_a.n = shape_b.n = 0;
    slz_heap_walk(a, shape_add, &shape_a);
    slz_heap_walk(b, shape_add, &shape_b);
    slz_heap_get_stats(a, &x);
    slz_heap_get_stats(b, &y);
    int same = shape_a.n == shape_b.n && shape_a.n <= 4096 && x.in_use == y.in_use && x.frees == y.frees &&
               x.coalesces == y.coalesces && x.free_chunks == y.free_chunks && x.largest_free == y.largest_free &&
               x.live_blocks == y.live_blocks;
    for (size_t i = 0; same && i < shape_a.n; i++)
        same = shape_a.at[i] - shape_a.at[0] == shape_b.at[i] - shape_b.at[0] &&
               shape_a.size[i] == shape_b.size[i] && shape_a.used[i] == shape_b.used[i];
    return same;
}
static void deferred_runs(void)
{
    enum { BLOCKS = 1500 };
    static _Alignas(4096) char ma[1 << 20], mb[1 << 20]; /* (alike: the same arena in both) */
    static char *pa[BLOCKS], *pb[BLOCKS];
    size_t bytes = slz_heap_footprint(600 * 1024, 0);
    slz_heap *a = slz_heap_create_in(ma, bytes, 0), *b = slz_heap_create_in(mb, bytes, 0);
    CHECK("deferred runs: two heaps of one size", a != NULL && b != NULL && bytes <= sizeof ma &&
                                                     slz_heap_size(a) == slz_heap_size(b));
    if (a == NULL || b == NULL || slz_heap_size(a) != slz_heap_size(b))
        return;
    int same = 1, clean = 1, rounds = 0, ends = 0;
    for (int round = 0; round < 40; round++, rounds++) {
        size_t n = 0;
        for (; n < BLOCKS; n++) { /* the heap filled, the last block up to the arena's end */
            size_t want = 8 + rnd() % (round % 2 ? 200 : 1500), top = slz_largest_free(a);
            if (want + 16 + 64 > top)
                want = top > 16 ? top - 16 : 0;
            pa[n] = want ? slz_malloc(a, want) : NULL;
            pb[n] = want ? slz_malloc(b, want) : NULL;
            if (pa[n] == NULL || pb[n] == NULL)
                break;
        }
        ends += slz_largest_free(a) == 0;
        for (size_t i = 0; i < n; i++) { /* runs of 1-40 freed, 1-3 kept, by turns; some freed early */
            size_t run = 1 + rnd() % 40, keep = 1 + rnd() % 3;
            for (size_t j = i; j < n && j < i + run; j++)
                if (rnd() % 8 == 0) {
                    slz_free(a, pa[j]);
                    slz_free(b, pb[j]);
                    pa[j] = pb[j] = NULL;
                }
            for (size_t j = i; j < n && j < i + run; j++)
                if (pa[j] != NULL) {
                    slz_free_deferred(a, pa[j]);
                    slz_free(b, pb[j]);
                    pa[j] = pb[j] = NULL;
                }
            i += run + keep - 1;
        }
        if (round % 3 == 2) /* the top block too */
            for (size_t j = n; j-- > 0;)
                if (pa[j] != NULL) {
                    slz_free_deferred(a, pa[j]);
                    slz_free(b, pb[j]);
                    pa[j] = pb[j] = NULL;
                    break;
                }
        slz_heap_collect(a);
        same &= same_heaps(a, b);
        clean &= slz_heap_check(a, NULL) == 0;
        for (size_t j = 0; j < n; j++) {
            slz_free(a, pa[j]);
            slz_free(b, pb[j]);
        }
    }
    CHECK("deferred runs: the heap filled to the arena's end in some rounds", ends > 0);
    CHECK("deferred runs: drained = freed one by one, chunk for chunk and count for count", same);
    CHECK("deferred runs: heap clean after each drain", clean);
    slz_heap_destroy(a);
    slz_heap_destroy(b);
}

int main(void)
{
    CHECK("heap on a static array", slz_heap_initialize_with(arena, sizeof arena) == 0);
    view_learn_header();
    char *g0, *a, *b, *c, *g4;
    size_t sa, sb, sc;
    uint64_t k;

    five(&g0, &a, &b, &c, &g4);
    sa = csize(a), sb = csize(b), sc = csize(c);
    slz_free(HEAP, a);
    k = coalesces();
    slz_free(HEAP, b);
    CHECK("merge with the previous chunk", merged(a, sa + sb));
    CHECK("one coalesce counted (previous)", coalesces() == k + 1);
    CHECK("no adjacent free chunks (previous)", no_adjacent_free());
    CHECK("heap clean (previous)", heap_clean());
    slz_free(HEAP, c);
    CHECK("and again with the next free one", merged(a, sa + sb + sc));
    release_all(g0, g4);

    five(&g0, &a, &b, &c, &g4);
    slz_free(HEAP, c);
    k = coalesces();
    slz_free(HEAP, b);
    CHECK("merge with the next chunk", merged(b, sb + sc));
    CHECK("one coalesce counted (next)", coalesces() == k + 1);
    CHECK("no adjacent free chunks (next)", no_adjacent_free());
    CHECK("heap clean (next)", heap_clean());
    CHECK("first fit reuses the merged chunk exactly", slz_malloc(HEAP, sb + sc - view_hdr) == b);
    slz_free(HEAP, b);
    slz_free(HEAP, a);
    release_all(g0, g4);

    five(&g0, &a, &b, &c, &g4);
    slz_free(HEAP, a);
    slz_free(HEAP, c);
    view_take(&v);
    size_t before = view_free_count(&v);
    k = coalesces();
    slz_free(HEAP, b);
    CHECK("merge with both neighbours at once", merged(a, sa + sb + sc));
    view_take(&v);
    CHECK("two free chunks became one", view_free_count(&v) == before - 1);
    CHECK("two coalesces counted (both)", coalesces() == k + 2);
    CHECK("no adjacent free chunks (both)", no_adjacent_free());
    CHECK("heap clean (both)", heap_clean());
    release_all(g0, g4);

    /* the last block merges into the free top */
    char *x = slz_malloc(HEAP, 500);
    char *y = slz_malloc(HEAP, 500);
    slz_free(HEAP, y);
    view_take(&v);
    CHECK("freeing the last block merges it with the top", v.n == 2 && v.c[1].at == y - view_hdr);
    slz_free(HEAP, x);

    /* many blocks freed in random orders: never two adjacent free chunks */
    enum { N = 400 };
    static char *blk[N];
    int adjacent = 0, dirty = 0, rounds = 0, whole = 0;
    for (int round = 0; round < 20; round++, rounds++) {
        for (int i = 0; i < N; i++)
            blk[i] = slz_malloc(HEAP, rnd() % 700);
        for (int i = N - 1; i > 0; i--) {
            int j = (int)(rnd() % (uint64_t)(i + 1));
            char *t = blk[i];
            blk[i] = blk[j];
            blk[j] = t;
        }
        for (int i = 0; i < N; i++) {
            slz_free(HEAP, blk[i]);
            if (i % 7 == 0) {
                adjacent += !no_adjacent_free();
                dirty += !heap_clean();
            }
        }
        view_take(&v);
        whole += v.n == 1 && !v.c[0].used;
    }
    CHECK("random orders: no two free chunks ever adjacent", adjacent == 0);
    CHECK("random orders: heap clean", dirty == 0);
    CHECK("random orders: always back to one free chunk", whole == rounds);
    partial_cell();
    deferred_runs();
    return CHECK_DONE();
}
