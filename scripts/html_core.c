/*
 * html_core.c - every call the heap timeline makes into the slz core, and
 * nothing else. It uses six functions of include/slz.h:
 *   slz_heap_initialize_size, slz_Heap_Allocator_impl,
 *   slz_Heap_deAllocator_impl, slz_Heap_reAllocator_impl, slz_heap_walk,
 *   slz_heap_release.
 * Adapt this file, and only this file, when the core's API changes.
 */
#include "html_core.h"
#include "slz.h"

int hc_init(size_t bytes) { return slz_heap_initialize_size(bytes); }
void *hc_malloc(size_t n) { return slz_Heap_Allocator_impl(n); }
void hc_free(void *p) { slz_Heap_deAllocator_impl(p); }
void *hc_realloc(void *p, size_t n) { return slz_Heap_reAllocator_impl(p, n); }
void hc_release(void) { slz_heap_release(); }

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
    slz_heap_walk(each, &w);
}
