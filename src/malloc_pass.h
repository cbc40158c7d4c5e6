/*
 * malloc_pass.h - malloc's one pass, compiled by alloc.c once per line
 * version (as index_walk.h, whose walk and refresh it inlines): the frees
 * other threads left, the size, the walk to the first fit, the carve, and
 * the cell's index entry lowered when the chunk carved was its largest. No
 * include guard: it is meant to be read more than once (versions.h).
 */
#include "index_walk.h"
/* (op: the entry point, set as h->op before a report; NULL: set already) */
VATTR static inline __attribute__((always_inline)) void *V(malloc_pass)(slz_heap *h, size_t n, const char *op)
{
    pend_taken(h, op);
    if (n > V(REQUEST_MAX)) /* (alloc.c) */
        return heap_fail(h);
    uint32_t need = request_grains(n), size;
    h->st.bytes_requested += n; /* (here: n is dead from now on; taken back on a failure) */
    unsigned m = V(root)(h, need);
    if (m == 0) {
        V_CLEAN_UPPER();
        h->st.bytes_requested -= n;
        return heap_fail(h);
    }
    uint32_t g = V(walk)(h, need, m, &size);
    size_t k = g / SLZ_CELL;
    need = carve_take(h, g, size, need, op);
    if (h->lv[0][k] == size) /* g was its cell's largest */
        V(fall)(h, k, cell_max(h, k));
    return carve_hand(h, g, need, V_CHECK(h, chunk_at(h, g), hand_head(need)), op);
}

/* malloc_bare: the pass alone (heap_malloc: for the cache's misses, calloc,
 * realloc; their callers have set h->op); malloc_op: slz_malloc's, the
 * operation marked around it (op_begin, but h->op: the pass sets it on its
 * ways to a report, which alone read it). */
VATTR static __attribute__((noinline)) void *V(malloc_bare)(slz_heap *h, size_t n) { return V(malloc_pass)(h, n, NULL); }
VATTR static __attribute__((noinline)) void *V(malloc_op)(slz_heap *h, size_t n)
{
    busy(h);
    void *p = V(malloc_pass)(h, n, "malloc");
    op_end(h);
    return p;
}
