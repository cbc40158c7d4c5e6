/*
 * html_core.c - every call the heap timeline makes into the slz core, and
 * nothing else: one heap of its own, through the readable names of
 * include/slz.h. Adapt this file, and only this file, when the core's API
 * changes.
 */
#include <sys/mman.h>
#include <unistd.h>

#include "../preload/grow.h" /* (self-contained: nothing of the shim links in) */
#include "html_core.h"
#include "slz.h"

static slz_heap *heap;
static void *region; /* the cache's heap (hc_init's cache): its memory */
static size_t region_bytes, planned;

/* The shim's heaps with SLZ_CACHE=1, as the shim makes and grows
 * them (preload/grow.h): their first 256 KiB usable (FIRST_ARENA), then,
 * when a request fails, twice as much, or at least the request and 64 KiB
 * more, up to the heap size. Placement does not depend on it without the
 * cache; with it, a request the heap refuses first empties the cache into
 * the heap (src/cache.c, cache_refused), so a replay must refuse where the
 * run did to place what it placed. */

static size_t up_page(size_t n)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    return (n + pg - 1) & ~(pg - 1);
}

static int init_cached(size_t bytes)
{
    unsigned flags = SLZ_ANON | SLZ_GROWS | SLZ_CACHE;
    planned = up_page(bytes);
    region_bytes = slz_heap_footprint(planned, flags);
    region = region_bytes ? mmap(NULL, region_bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0)
                          : MAP_FAILED;
    if (region == MAP_FAILED) {
        region = NULL;
        return -1;
    }
    heap = slz_heap_create_in(region, region_bytes, flags);
    if (heap == NULL || slz_heap_grow(heap, first_arena(planned)) != 0) {
        munmap(region, region_bytes);
        region = NULL;
        return -1;
    }
    return 0;
}

/* grow: the heap refused a request of need bytes: 1 when it grew as the
 * shim's would (its heaps_grow), 0 when it cannot. */
static int grow(size_t need)
{
    size_t least, want = region ? grow_to(slz_heap_size(heap), need, planned, (size_t)sysconf(_SC_PAGESIZE), &least) : 0;
    return want != 0 && slz_heap_grow(heap, want) == 0;
}

int hc_init(size_t bytes, int cache) { return cache ? init_cached(bytes) : (heap = slz_heap_create(bytes)) ? 0 : -1; }
void *hc_malloc(size_t n)
{
    void *p = slz_malloc(heap, n);
    while (p == NULL && grow(n))
        p = slz_malloc(heap, n);
    return p;
}
void hc_free(void *p) { slz_free(heap, p); }
void *hc_realloc(void *p, size_t n) { return slz_realloc(heap, p, n); } /* (the shim does not grow for one) */
struct slz_heap *hc_heap(void) { return heap; }
void hc_release(void)
{
    slz_heap_destroy(heap);
    if (region)
        munmap(region, region_bytes);
    heap = NULL;
    region = NULL;
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
