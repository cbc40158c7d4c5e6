/* core_firstfit: placement is address-ordered first fit. The lowest-addressed
 * free chunk that can hold a request wins, even when a better-fitting hole
 * lies higher; checked in set scenes and against a model over a long random
 * sequence of malloc, aligned allocation and free; and in a heap of more
 * than 2^31 granules, whose chunk sizes need all 32 bits. */
#include <errno.h>
#include "core_view.h"

static _Alignas(16) char arena[256 * 1024];
static struct view v;

/* expect_plain: where first fit puts a request of n bytes now. */
static char *expect_plain(size_t n)
{
    size_t need = need_for(n);
    view_take(&v);
    for (size_t i = 0; i < v.n; i++)
        if (!v.c[i].used && v.c[i].size >= need)
            return v.c[i].at + view_hdr;
    return NULL;
}

/* expect_aligned: the lowest free chunk with an aligned payload spot whose
 * gap below is empty or can stand alone as a free chunk. */
static char *expect_aligned(size_t align, size_t n)
{
    size_t need = need_for(n);
    view_take(&v);
    for (size_t i = 0; i < v.n; i++) {
        if (v.c[i].used)
            continue;
        uintptr_t start = (uintptr_t)v.c[i].at;
        for (uintptr_t mem = (start + view_hdr + align - 1) & ~(uintptr_t)(align - 1);
             mem - view_hdr + need <= start + v.c[i].size; mem += align) {
            size_t gap = mem - view_hdr - start;
            if (gap == 0 || gap >= SLZ_TEST_MIN_CHUNK)
                return (char *)mem;
        }
    }
    return NULL;
}

static void scenes(void)
{
    /* a(100) | g0 | hole of 1000 | g1 | hole of 200 | g2 | top */
    char *a = slz_malloc(HEAP, 100);
    char *g0 = slz_malloc(HEAP, 10);
    char *big = slz_malloc(HEAP, 1000);
    char *g1 = slz_malloc(HEAP, 50);
    char *fit = slz_malloc(HEAP, 200);
    char *g2 = slz_malloc(HEAP, 50);
    CHECK("blocks laid out upwards", a < g0 && g0 < big && big < g1 && g1 < fit && fit < g2);
    slz_free(HEAP, big);
    slz_free(HEAP, fit);
    char *p = slz_malloc(HEAP, 200);
    CHECK("lowest hole wins over the exactly fitting higher hole", p == big);
    char *q = slz_malloc(HEAP, 200);
    CHECK("the rest of the low hole comes next, still below the exact hole",
          q != NULL && q > big && q < g1);
    slz_free(HEAP, q);
    slz_free(HEAP, p);

    /* a hole too small low down is skipped for a bigger one above it */
    slz_free(HEAP, a); /* hole of need_for(100), lowest */
    char *r = slz_malloc(HEAP, 500);
    CHECK("a hole too small is skipped; the next hole up is used", r == big);
    char *s = slz_malloc(HEAP, 64);
    CHECK("a small request goes back to the lowest hole", s == a);
    char *t = slz_malloc(HEAP, 100000);
    CHECK("a request no hole can hold comes from the top", t != NULL && t > g2);
    CHECK("heap clean after the scenes", heap_clean());
    slz_free(HEAP, r);
    slz_free(HEAP, s);
    slz_free(HEAP, t);
    slz_free(HEAP, g0);
    slz_free(HEAP, g1);
    slz_free(HEAP, g2);
    view_take(&v);
    CHECK("all merged back into one free chunk", v.n == 1 && !v.c[0].used);

    /* aligned first fit: the lowest hole that can hold the aligned block */
    char *lo = slz_malloc(HEAP, 3000), *sep = slz_malloc(HEAP, 16);
    slz_free(HEAP, lo);
    char *want = expect_aligned(1024, 100);
    char *al = slz_memalign(HEAP, 1024, 100);
    CHECK("aligned request placed in the lowest hole that can hold it", al != NULL && al == want && al < sep);
    CHECK("aligned block is aligned", ((uintptr_t)al & 1023) == 0);
    slz_free(HEAP, al);
    slz_free(HEAP, sep);
    CHECK("heap clean after aligned scene", heap_clean());
}

#define LIVE 600
static struct {
    char *p;
    size_t n;
    unsigned seed;
} live[LIVE];

static size_t random_size(void)
{
    switch (rnd() % 8) {
    case 0: return 0;
    case 1: return rnd() % 16;
    case 2: case 3: case 4: return rnd() % 256;
    case 5: case 6: return rnd() % 2048;
    default: return rnd() % 20000;
    }
}

static void model_run(void)
{
    int mismatches = 0, placed = 0, aligned_placed = 0, content = 0, dirty = 0;
    for (int step = 0; step < 20000; step++) {
        size_t k = rnd() % LIVE;
        if (live[k].p) {
            if (!filled(live[k].p, live[k].n, live[k].seed))
                content++;
            slz_free(HEAP, live[k].p);
            live[k].p = NULL;
        } else {
            size_t n = random_size();
            char *want, *got;
            if (rnd() % 5 == 0) {
                size_t align = (size_t)32 << (rnd() % 8);
                want = expect_aligned(align, n);
                got = slz_memalign(HEAP, align, n);
                aligned_placed += got != NULL;
            } else {
                want = expect_plain(n);
                got = slz_malloc(HEAP, n);
                placed += got != NULL;
            }
            if (got != want) {
                if (mismatches++ < 5)
                    fprintf(stderr, "step %d: size %zu placed at %p, first fit says %p\n", step, n,
                            (void *)got, (void *)want);
            }
            if (got) {
                live[k].p = got;
                live[k].n = n;
                live[k].seed = (unsigned)step;
                fill(got, n, (unsigned)step);
            }
        }
        if (step % 64 == 0 && !heap_clean())
            dirty++;
    }
    printf("model: %d plain and %d aligned placements compared\n", placed, aligned_placed);
    CHECK("every placement is the model's first fit", mismatches == 0);
    CHECK("some requests were placed (the model compared something)", placed > 5000 && aligned_placed > 500);
    CHECK("contents intact until freed", content == 0);
    CHECK("heap clean all along", dirty == 0);
    for (size_t k = 0; k < LIVE; k++)
        if (live[k].p)
            slz_free(HEAP, live[k].p);
    view_take(&v);
    CHECK("after freeing everything the heap is one free chunk", v.n == 1 && !v.c[0].used);
}

/* big_heap: a 40 GiB heap (mapped, its pages untouched but for the few a
 * block's header lands on), 2.5 * 2^30 granules: its free chunks' sizes do
 * not fit 31 bits, which the AVX2 walk's signed compares need (lines.h):
 * index_pick_lines gives this heap the baseline line operations. */
static void big_heap(void)
{
    slz_heap *h = slz_heap_create((size_t)40 << 30);
    CHECK("a 40 GiB heap", h != NULL);
    if (h == NULL)
        return;
    char *a = slz_malloc(h, 100), *b = slz_malloc(h, (size_t)33 << 30), *c = slz_malloc(h, 100);
    CHECK("... its first block at the arena's start", a == (char *)slz_heap_base(h) + view_hdr);
    CHECK("... a 33 GiB block right above it, a small one above that",
          b == a + slz_usable_size(h, a) + view_hdr && c == b + slz_usable_size(h, b) + view_hdr);
    slz_free(h, b);
    char *e = slz_malloc(h, 1000), *d = slz_malloc(h, (size_t)5 << 30);
    CHECK("... 1000 bytes where the 33 GiB block was, 5 GiB right above them",
          e == b && d == e + slz_usable_size(h, e) + view_hdr);
    slz_free(h, a), slz_free(h, c), slz_free(h, d), slz_free(h, e);
    slz_heap_destroy(h);
}

int main(void)
{
    CHECK("heap on a static array", slz_heap_initialize_with(arena, sizeof arena) == 0);
    view_learn_header();
    CHECK("header keeps payloads 16-aligned", view_hdr % 16 == 0 && view_hdr > 0);
    scenes();
    model_run();
    big_heap();
    return CHECK_DONE();
}
