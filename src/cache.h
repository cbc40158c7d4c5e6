/*
 * cache.h - the fast mode's cache (SLZ_CACHE): its state and the hooks the
 * core's entry points call. See cache.c.
 *
 * The state is out of band, in the heap's metadata after the pending bits:
 *
 *   | struct slz_heap | cells | index | pending | cache | cached | guard | ...
 *
 * cache:  for each chunk size of CACHE_CLASSES granules or fewer, a stack
 *         of up to CACHE_DEPTH granules: chunks that a free put there.
 * cached: one bit per granule: the chunk that begins there is in the cache.
 *
 * A cached chunk stays in use for the bits, the index and its header: the
 * core sees a live block. Invariants (slz_heap_check verifies them):
 *  C1. Every granule in a stack is the start of a used chunk of that stack's
 *      size, and its cached bit is set; no other cached bit is set.
 *  C2. blocks and bytes are what the stacks hold; bytes <= bound.
 *  C3. A cached chunk's first payload word is its canary.
 */
#ifndef SLZ_CACHE_H
#define SLZ_CACHE_H

#include "chunk.h"

#define CACHE_CLASSES 127 /* chunks below 2 KiB: 4 .. 127 granules */
#ifndef CACHE_DEPTH
#define CACHE_DEPTH 15 /* blocks per size (glibc's tcache: 7; see README) */
#endif
#ifndef SLZ_CACHE_BYTES
#define SLZ_CACHE_BYTES (1 << 20) /* bytes held at most (and 1/16 of the arena) */
#endif

struct slz_cache {
    uint64_t *bits;      /* cached: one bit per granule */
    size_t bytes, bound; /* held in the stacks; at most */
    uint64_t hits, misses;
    uint8_t count[CACHE_CLASSES + 1];
    uint32_t slot[CACHE_CLASSES + 1][CACHE_DEPTH + 1];
};
#define CACHE_MAX_REQUEST ((size_t)CACHE_CLASSES * SLZ_ALIGN - SLZ_HDR)

/* cache_holds: the chunk at g is in h's cache. Another thread may ask
 * (slz_free_deferred checks a block): one relaxed load. */
static inline int cache_holds(const slz_heap *h, uint32_t g)
{
    const struct slz_cache *c = h->cache;
    return c && ((__atomic_load_n(&c->bits[g / 64], __ATOMIC_RELAXED) >> (g % 64)) & 1);
}
/* cache_mark: g's cached bit on or off: one relaxed store (see above). */
static inline void cache_mark(struct slz_cache *c, uint32_t g, int on)
{
    uint64_t *w = &c->bits[g / 64], b = (uint64_t)1 << (g % 64);
    __atomic_store_n(w, on ? *w | b : *w & ~b, __ATOMIC_RELAXED);
}

size_t cache_meta_bytes(size_t ncells);
void cache_attach(slz_heap *h, void *meta, size_t ncells);
void *cache_miss(slz_heap *h, size_t n);
int cache_refused(slz_heap *h, int saved_errno);
void cache_flush(slz_heap *h);
_Noreturn void cache_damaged(slz_heap *h, slz_chunk *ch);
void cache_stats(const slz_heap *h, struct slz_heap_stats *out);
size_t cache_check(const slz_heap *h, size_t cells, const char **first);

/* The two hot paths, inline in the entry points (alloc.c, free.c). */

/* cache_pop: the chunk of k granules the cache took last (its stack is not
 * empty), out of the cache, its canary checked and cleared. */
static inline slz_chunk *cache_pop(slz_heap *h, struct slz_cache *c, uint32_t k)
{
    uint32_t g = c->slot[k][--c->count[k]];
    slz_chunk *ch = chunk_at(h, g);
    cache_mark(c, g, 0);
    c->bytes -= (size_t)k * SLZ_ALIGN;
    if (!CHECKED(ch->canary == canary_of(h, ch)))
        cache_damaged(h, ch);
    ch->canary = 0; /* nothing of the allocator's stays in a block */
    return ch;
}

/* cache_malloc: malloc on a heap with a cache: the block of the request's
 * size freed last, else first fit (cache_miss). */
static inline void *cache_malloc(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    uint32_t k = (uint32_t)((n + SLZ_HDR + SLZ_ALIGN - 1) / SLZ_ALIGN);
    k = k < MIN_GRAINS ? MIN_GRAINS : k;
    if (__builtin_expect(n > CACHE_MAX_REQUEST || c->count[k] == 0 || __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED), 0))
        return cache_miss(h, n);
    slz_chunk *ch = cache_pop(h, c, k);
    c->hits++;
    h->st.bytes_requested += n;
    h->st.bytes_allocated += (size_t)k * SLZ_ALIGN;
    return chunk2mem(ch);
}

/* cache_free: free block p into the cache, if the bits say it is a live
 * block (aligned, in the arena, a chunk in use, not cached, no frees of
 * other threads waiting) and its stack and the byte bound have room: 1.
 * Otherwise 0, and the caller frees it into the heap with the core's
 * checks, which report a misuse in the words they use without the cache.
 * Of the in-band headers, the block's head word is compared with the bits
 * and the next chunk's is checked against its keyed check word (an overflow
 * changes one and not the other); the full checks are the core's, when the
 * block reaches the heap or is freed again after reuse. */
static inline int cache_free(slz_heap *h, const void *p)
{
    struct slz_cache *c = h->cache;
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base - SLZ_HDR;
    if (off >= (size_t)h->grains * SLZ_ALIGN || (off & (SLZ_ALIGN - 1)))
        return 0;
    uint32_t g = (uint32_t)(off / SLZ_ALIGN);
    if (!is_start(h, g) || !is_used(h, g) || ((c->bits[g / 64] >> (g % 64)) & 1) ||
        __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED))
        return 0;
    uint32_t k = grains_of(h, g), nx = g + k;
    slz_chunk *ch = chunk_at(h, g);
    if (k > CACHE_CLASSES || c->count[k] == CACHE_DEPTH || c->bytes + (size_t)k * SLZ_ALIGN > c->bound ||
        ch->head != ((uintptr_t)k * SLZ_ALIGN | SLZ_INUSE) ||
        (nx < h->grains && !CHECKED(chunk_at(h, nx)->check == head_check(h, chunk_at(h, nx), chunk_at(h, nx)->head))))
        return 0;
    c->slot[k][c->count[k]++] = g;
    c->bytes += (size_t)k * SLZ_ALIGN;
    cache_mark(c, g, 1);
    ch->canary = canary_of(h, ch);
    h->st.frees++;
    return 1;
}

#endif /* SLZ_CACHE_H */
