/*
 * malloc_pass.h - malloc's one pass, compiled by alloc.c once per line
 * version (as index_walk.h, whose walk and refresh it inlines): the frees
 * other threads left, the size, the walk to the first fit, the carve, and
 * the cell's index entry set to its largest free chunk left. No
 * include guard: it is meant to be read more than once (versions.h).
 *
 * slz_malloc's own pass (malloc_op) calls nothing but as the last thing
 * it does (tail calls, jumps): to malloc_slow, which does it all as
 * heap_malloc does, for what is out of its way, before it has changed
 * anything (frees other threads left, a size beyond the version's, no
 * fit); to malloc_top for the arena's last chunk, found (the high-water
 * mark, the widen); to taken_corrupt for a damaged chunk, reused after a
 * remote free (alloc.c). So its carve tests neither the high-water mark nor
 * the span (carve_take's top 0), and saves and restores its registers only
 * once past the root's test. (Its stack is still realigned to 32 bytes for
 * the AVX2 version's 256-bit values, five instructions: GCC leaves that out
 * only of a function that saves no register.)
 */
#include "index_walk.h"
/* take: the first fit, the free chunk g of size granules in cell c, whose
 * level-0 entry is at ent (walk's), carved for need granules (top, end: as
 * carve_take's, carve_hand's; op: the entry point, set as h->op before a
 * report; NULL: set already; fell: the index fell already, top_fall) */
VATTR static inline __attribute__((always_inline)) void *V(take)(slz_heap *h, struct slz_cell *c, uint32_t *ent, uint32_t g,
                                                                  uint32_t size, uint32_t need, const char *op, int top,
                                                                  int end, int fell)
{
    if (!free_intact(h, chunk_at(h, g), size))
        return taken_corrupt(h, g, size, op);
    size_t k = g / SLZ_CELL;
    need = carve_take(h, c, g, size, need, top);
    /* The cell's entry falls to its largest free chunk left, and its
     * parents with it: g was its largest, and mostly its only free chunk
     * (the loop laid apart). When g was not its largest (about one malloc
     * in a hundred), the fall rewrites the entry and parents they had: no
     * test of the entry, a branch that mispredicted more than it saved. */
    if (!fell)
        V(fall_at)(h, ent, k, __builtin_expect((c->start & ~c->used) != 0, 0) ? cell_max(h, k) : 0);
    V_WRITE_USED(h, chunk_at(h, g), (size_t)need * SLZ_ALIGN);
    return carve_hand(h, g, need, op, end);
}

/* malloc_pass: the whole pass (op: as take's) */
VATTR static inline __attribute__((always_inline)) void *V(malloc_pass)(slz_heap *h, size_t n, const char *op)
{
    pend_taken(h, op);
    if (n > V(REQUEST_MAX)) /* (alloc.c) */
        return heap_fail(h);
    uint32_t need = request_grains(n), size;
    h->st.bytes_requested += n; /* (here: n is dead from now on; taken back on a failure) */
    unsigned m = V(root)(h, need);
    if ((m & 0xffffu) == 0) {
        V_CLEAN_UPPER();
        h->st.bytes_requested -= n;
        return heap_fail(h);
    }
    struct slz_cell *c;
    uint32_t *ent;
    uint32_t g = V(walk)(h, need, m, &size, &c, &ent);
    return V(take)(h, c, ent, g, size, need, op, 1, 0, 0);
}

/* malloc_bare: the pass alone (heap_malloc: for the cache's misses, calloc,
 * realloc; their callers have set h->op and end the operation);
 * malloc_slow: slz_malloc's when its own pass leaves, the operation ended;
 * malloc_top: from the arena's last chunk g, found. */
VATTR static __attribute__((noinline)) void *V(malloc_bare)(slz_heap *h, size_t n) { return V(malloc_pass)(h, n, NULL); }
VATTR static __attribute__((noinline)) void *V(malloc_slow)(slz_heap *h, size_t n)
{
    void *p = V(malloc_pass)(h, n, "malloc");
    op_end(h);
    return p;
}
/* top_fall: before the carve of need granules from the arena's last chunk
 * g (size granules), the cell's entry falls at once to what the carve
 * leaves there, when the chunk is the cell's only free one and its largest:
 * the rest, when it stays in the cell, else nothing. Each line is read
 * before its entry is stored (fall_read, as index_lower): fall reads it
 * after, and carve_take's raise of the rest's cell stores into it first,
 * so the load waits for the narrower store (no forwarding) and with it for
 * every store before, where the stores of a heap another thread frees into
 * are to lines that thread reads (the malloc of micro mt, where every block
 * comes from the top: a third of malloc_top's samples on that load). take
 * then leaves out its own fall (fell), which would set what this did; the
 * raise after it is as right as before it (fall sets each parent to its
 * line's largest, the raise then climbs while the rest beats them). */
VATTR static inline __attribute__((always_inline)) int V(top_fall)(slz_heap *h, uint32_t g, uint32_t size, uint32_t need)
{
    size_t k = g / SLZ_CELL;
    const struct slz_cell *c = &h->cells[k];
    if (h->lv[0][k] != size || (c->start & ~c->used) != bit_of(g))
        return 0;
    uint32_t v = size - need >= MIN_GRAINS && ((g + need) ^ g) < SLZ_CELL ? size - need : 0; /* (carve_take's rest) */
    V(fall_read)(h, k, v, h->start);
    return 1;
}
VATTR static __attribute__((noinline)) void *V(malloc_top)(slz_heap *h, uint32_t g, uint32_t size, uint32_t need)
{
    int fell = V(top_fall)(h, g, size, need);
    return V(take)(h, cell_of(h, g), &h->lv[0][g / SLZ_CELL], g, size, need, "malloc", 1, 1, fell);
}
/* malloc_op: slz_malloc's, the operation marked around it (op_begin, but
 * h->op: set only on the ways to a report, which alone read it) */
VATTR static __attribute__((noinline)) void *V(malloc_op)(slz_heap *h, size_t n)
{
    busy(h);
    if (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED) || n > V(REQUEST_MAX))
        return V(malloc_slow)(h, n);
    uint32_t need = request_grains(n), size;
    unsigned m = V(root)(h, need);
    if ((m & 0xffffu) == 0)
        return V(malloc_slow)(h, n);
    h->st.bytes_requested += n;
    struct slz_cell *c;
    uint32_t *ent;
    uint32_t g = V(walk)(h, need, m, &size, &c, &ent);
    if (__builtin_expect(g + size == h->grains, 0))
        return V(malloc_top)(h, g, size, need);
    return V(take)(h, c, ent, g, size, need, "malloc", 0, 1, 0);
}
