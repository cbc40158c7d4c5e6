/* core_view.h - a snapshot of the slz heap for exact-behaviour tests: every
 * chunk in address order (from slz_heap_walk), and helpers that find the
 * chunk of a block. Expectations come from what the walk shows, the public
 * API and the documented rules (first fit, 16-byte alignment, minimum chunk
 * of SLZ_TEST_MIN_CHUNK bytes), never from hard-coded addresses. */
#ifndef SLZ_TEST_CORE_VIEW_H
#define SLZ_TEST_CORE_VIEW_H
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "slz.h"
#include "test_heap.h"

#define SLZ_TEST_MIN_CHUNK 64 /* issue 2: minimum chunk size, header included */
#define VIEW_MAX 200000

struct vchunk {
    char *at;
    size_t size;
    int used;
};
struct view {
    size_t n;
    struct vchunk c[VIEW_MAX];
};

__attribute__((unused)) static int view_add(void *chunk, size_t size, int used, void *arg)
{
    struct view *v = arg;
    if (v->n == VIEW_MAX)
        return 1;
    v->c[v->n].at = chunk;
    v->c[v->n].size = size;
    v->c[v->n].used = used;
    v->n++;
    return 0;
}

/* view_take: walk the heap into v. */
__attribute__((unused)) static void view_take(struct view *v)
{
    v->n = 0;
    slz_heap_walk(HEAP, view_add, v);
}

/* view_of: the chunk holding address p, or NULL. */
__attribute__((unused)) static struct vchunk *view_of(struct view *v, const void *p)
{
    for (size_t i = 0; i < v->n; i++)
        if ((const char *)p >= v->c[i].at && (const char *)p < v->c[i].at + v->c[i].size)
            return &v->c[i];
    return NULL;
}

/* view_free_count: free chunks in v. */
__attribute__((unused)) static size_t view_free_count(const struct view *v)
{
    size_t k = 0;
    for (size_t i = 0; i < v->n; i++)
        k += !v->c[i].used;
    return k;
}

/* view_hdr: bytes from a chunk's start to its payload, learnt from the first
 * allocation on a fresh heap (slz.h documents the payload as 16-aligned). */
static size_t view_hdr;
__attribute__((unused)) static void view_learn_header(void)
{
    static struct view v;
    void *p = slz_malloc(HEAP, 1);
    view_take(&v);
    struct vchunk *c = view_of(&v, p);
    view_hdr = c ? (size_t)((char *)p - c->at) : 16;
    slz_free(HEAP, p);
}

/* need_for: the chunk size a request of n bytes takes (payload rounded up to
 * 16 with the header, at least the minimum chunk). */
__attribute__((unused)) static size_t need_for(size_t n)
{
    size_t sz = (n + view_hdr + 15) & ~(size_t)15;
    return sz < SLZ_TEST_MIN_CHUNK ? SLZ_TEST_MIN_CHUNK : sz;
}

/* heap_clean: the invariant checker finds nothing; prints what it found. */
__attribute__((unused)) static int heap_clean(void)
{
    const char *what = NULL;
    size_t bad = slz_heap_check(HEAP, &what);
    if (bad)
        fprintf(stderr, "heap check: %zu violation(s), first: %s\n", bad, what ? what : "?");
    return bad == 0;
}

/* fill/check a block with a pattern keyed by seed */
__attribute__((unused)) static void fill(void *p, size_t n, unsigned seed)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(seed * 131 + i * 7 + (i >> 8));
}
__attribute__((unused)) static int filled(const void *p, size_t n, unsigned seed)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(seed * 131 + i * 7 + (i >> 8)))
            return 0;
    return 1;
}

/* a small deterministic generator (xorshift64*) */
static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
__attribute__((unused)) static uint64_t rnd(void)
{
    rng_state ^= rng_state >> 12;
    rng_state ^= rng_state << 25;
    rng_state ^= rng_state >> 27;
    return rng_state * 2685821657736338717ull;
}
#endif
