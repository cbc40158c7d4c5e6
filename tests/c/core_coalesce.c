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
    return CHECK_DONE();
}
