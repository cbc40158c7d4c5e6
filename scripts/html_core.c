/*
 * html_core.c - every call the heap timeline makes into the slz core, and
 * nothing else: one heap of its own, through the readable names of
 * include/slz.h. Adapt this file, and only this file, when the core's API
 * changes.
 */
#include "html_core.h"
#include "slz.h"

static slz_heap *heap;

int hc_init(size_t bytes) { return (heap = slz_heap_create(bytes)) ? 0 : -1; }
void *hc_malloc(size_t n) { return slz_malloc(heap, n); }
void hc_free(void *p) { slz_free(heap, p); }
void *hc_realloc(void *p, size_t n) { return slz_realloc(heap, p, n); }
void hc_release(void)
{
    slz_heap_destroy(heap);
    heap = NULL;
}

void hc_usage(uint64_t *in_use, uint64_t *high_water)
{
    struct slz_heap_stats st;
    slz_heap_get_stats(heap, &st);
    *in_use = st.in_use;
    *high_water = st.high_water;
}

struct walk_ctx {
    hc_chunk_fn fn;
    void *arg;
};

static int each(void *chunk, size_t size, int used, void *arg)
{
    struct walk_ctx *w = arg;
    w->fn((uintptr_t)chunk, size, used, w->arg);
    return 0;
}

void hc_walk(hc_chunk_fn fn, void *arg)
{
    struct walk_ctx w = {fn, arg};
    slz_heap_walk(heap, each, &w);
}
