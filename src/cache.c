/*
 * cache.c - the fast mode (SLZ_CACHE): a cache of recently freed small
 * blocks in front of exact first fit.
 *
 * Exact first fit must find the lowest-addressed fit on every call. A
 * program that frees and allocates blocks of the same sizes again and
 * again (most do) can be served faster by handing back the block of that
 * size it freed last, as QuickFit and glibc's tcache do (deferred
 * coalescing): a free of a chunk below 2 KiB pushes it on the stack of its
 * exact size, and a request of that size pops it. Only what the cache does
 * not serve reaches first fit; what it holds reaches the heap (a real free,
 * with merging) when a stack or the byte bound is full, when a request would
 * fail, and when the heap is flushed (slz_heap_flush, slz_heap_collect).
 *
 * Nothing of the cache lives in a freed block: the stacks and the cached
 * bits are in the heap's metadata (cache.h), so an overflow or a write after
 * free can reach no link. A cached chunk stays in use for the bits, so the
 * core never merges it or hands it out; its cached bit makes every check of
 * a block pointer (free.c) report it as the double free it is. Its first
 * payload word is a canary, as a free chunk's is: a write after free is
 * reported when the block leaves the cache.
 *
 * The cache calls only the core's own entry points: heap_malloc for what it
 * does not serve, live_block and release for what it gives back.
 *
 * Other threads. Their frees take the same way as without the cache
 * (slz_free_deferred: pending bits, taken by the owner into the heap, never
 * into the cache). Only the owner writes the cached bits (one relaxed store
 * each); another thread reads them in block_grain (one relaxed load). A
 * block it may free was handed to it live, so it reads the bit clear unless
 * the block is also freed by the owner: a double free, which is reported
 * either there (the bit seen set) or by the owner when it takes the pending
 * free (block_grain again, in its own thread, sees the bit). The owner takes
 * pending frees before it pops the cache (cache_malloc reads pend_any
 * first) and before it pushes one (cache_free leaves the free to the core
 * when pend_any is set), so a block freed twice this way is not handed out
 * before the second free is seen, as far as pend_any is visible: the same
 * window as without the cache. tests/c/core_cache_threads.c stresses it.
 */
#include <errno.h>

#include "cache.h"

/* ---- Where it lives ---------------------------------------------------- */

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

/* cache_meta_bytes: the metadata of the cache for a heap of ncells cells. */
size_t cache_meta_bytes(size_t ncells)
{
    return up64(sizeof(struct slz_cache)) + up64(ncells * sizeof(uint64_t));
}

/* cache_attach: h (its arena sized) gets the cache at meta, all zero. */
void cache_attach(slz_heap *h, void *meta, size_t ncells)
{
    struct slz_cache *c = meta;
    size_t sixteenth = (size_t)h->grains * SLZ_ALIGN / 16;
    size_t most = (h->flags & SLZ_SECURE) == SLZ_SECURE ? SLZ_QUARANTINE_BYTES : SLZ_CACHE_BYTES;
    (void)ncells;
    c->bits = (uint64_t *)((char *)meta + up64(sizeof *c));
    c->bound = sixteenth < most ? sixteenth : most;
    c->secure = (h->flags & SLZ_SECURE) == SLZ_SECURE; /* the quarantine (quarantine.c) */
    h->cache = c;
}

/* ---- In and out (the hot paths are in cache.h) ------------------------- */

static _Noreturn __attribute__((noinline, cold)) void damaged(slz_heap *h, slz_chunk *ch)
{
    slz_misuse(h->op, "corrupted free chunk (write after free?)", chunk2mem(ch));
}

/* pop: the chunk of k granules the cache took last (its stack is not
 * empty), out of the cache, its canary checked and cleared. */
static inline slz_chunk *pop(slz_heap *h, struct slz_cache *c, uint32_t k)
{
    uint32_t g = c->slot[k][--c->count[k]];
    slz_chunk *ch = chunk_at(h, g);
    cache_mark(c, g, 0);
    c->bytes -= (size_t)k * SLZ_ALIGN;
    if (!CHECKED(ch->canary == canary_of(h, ch)))
        damaged(h, ch);
    ch->canary = 0; /* nothing of the allocator's stays in a block */
    return ch;
}

/* cache_flush: every cached block freed into the heap, with the checks of
 * a free (in the order of sizes, each stack from its top). */
void cache_flush(slz_heap *h)
{
    struct slz_cache *c = h->cache;
    if (c->secure) {
        quarantine_flush(h);
        return;
    }
    for (uint32_t k = MIN_GRAINS; k <= CACHE_CLASSES && c->bytes; k++)
        while (c->count[k]) {
            slz_chunk *ch = pop(h, c, k);
            release(h, live_block(h, chunk2mem(ch)));
            h->st.live_blocks--; /* (its free was counted when it came in) */
        }
}

/* cache_refused: a request of h just failed (errno was saved_errno): if
 * the cache held blocks, they are in the heap now and the caller asks again
 * (1); else 0. */
int cache_refused(slz_heap *h, int saved_errno)
{
    if (h->cache == NULL || h->cache->bytes == 0)
        return 0;
    cache_flush(h);
    h->st.failures--;
    errno = saved_errno;
    return 1;
}

/* miss: malloc of what the cache does not hold: first fit, once the
 * frees of other threads are taken (one of them may be a cached block: a
 * double free, reported); if the heap refuses, the cache empties into it
 * and first fit is asked again. */
static __attribute__((noinline)) void *miss(slz_heap *h, size_t n)
{
    if (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED)) {
        heap_collect(h);
        return cache_malloc(h, n);
    }
    h->cache->misses++;
    int e = errno;
    void *p = heap_malloc(h, n);
    if (p == NULL && cache_refused(h, e))
        p = heap_malloc(h, n);
    return p;
}

/* cache_malloc: malloc on a heap with a cache: the block of the request's
 * size freed last, else first fit (cache_miss). */
void *cache_malloc(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    if (c->secure)
        return quarantine_malloc(h, n);
    uint32_t k = (uint32_t)((n + SLZ_HDR + SLZ_ALIGN - 1) / SLZ_ALIGN);
    k = k < MIN_GRAINS ? MIN_GRAINS : k;
    if (__builtin_expect(n > CACHE_MAX_REQUEST || c->count[k] == 0 || __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED), 0))
        return miss(h, n);
    slz_chunk *ch = pop(h, c, k);
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
static int cache_free(slz_heap *h, const void *p)
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

/* cache_slz_malloc, cache_slz_free: slz_malloc and slz_free on a heap with a
 * cache (out of line: the entry points stay as small as without it). */
__attribute__((noinline)) void *cache_slz_malloc(slz_heap *h, size_t n)
{
    op_begin(h, "malloc");
    void *p = cache_malloc(h, n);
    op_end(h);
    return p;
}
__attribute__((noinline)) void cache_slz_free(slz_heap *h, void *p)
{
    op_begin(h, "free");
    if (h->cache->secure)
        quarantine_free(h, p);
    else if (!cache_free(h, p)) {
        release(h, live_block(h, p));
        h->st.live_blocks--; /* as slz_free counts a block given up */
        h->st.frees++;
    }
    op_end(h);
}

void slz_heap_flush(slz_heap *h)
{
    if (h == NULL || h->cache == NULL)
        return;
    op_begin(h, "free");
    cache_flush(h);
    op_end(h);
}

/* ---- Questions --------------------------------------------------------- */

/* cache_stats: what the cache adds to a statistics snapshot: its counters,
 * and its blocks out of the live ones (the core counts them in use). */
void cache_stats(const slz_heap *h, struct slz_heap_stats *out)
{
    const struct slz_cache *c = h->cache;
    if (c == NULL)
        return;
    size_t blocks = c->qlen;
    for (uint32_t k = MIN_GRAINS; k <= CACHE_CLASSES; k++)
        blocks += c->count[k];
    out->cache_hits = c->hits;
    out->cache_misses = c->misses;
    out->cached_blocks = blocks;
    out->cached_bytes = c->bytes;
    out->live_blocks -= blocks;
    out->in_use -= c->bytes;
    out->mallocs += c->hits; /* (the core counts what it serves) */
}

/* cache_check: invariants C1-C3 (cache.h) over the cells up to the
 * high-water mark. The number of violations; *first names the first. */
size_t cache_check(const slz_heap *h, size_t cells, const char **first)
{
    const struct slz_cache *c = h->cache;
    size_t bad = 0, blocks = 0, bytes = 0, set = 0;
    if (c == NULL)
        return 0;
    if (c->secure)
        return quarantine_check(h, cells, first);
    for (uint32_t k = 0; k <= CACHE_CLASSES; k++) {
        if (c->count[k] > CACHE_DEPTH || (c->count[k] && k < MIN_GRAINS)) {
            if (bad++ == 0)
                *first = "a cache stack is over its depth or of no chunk size";
            continue;
        }
        for (unsigned i = 0; i < c->count[k]; i++) {
            uint32_t g = c->slot[k][i];
            blocks++;
            bytes += (size_t)k * SLZ_ALIGN;
            if (g >= h->grains || !is_start(h, g) || !is_used(h, g) || grains_of(h, g) != k || !cache_holds(h, g)) {
                if (bad++ == 0)
                    *first = "a cached block is not a used chunk of its stack's size with its cached bit";
            } else if (chunk_at(h, g)->canary != canary_of(h, chunk_at(h, g)) && bad++ == 0) {
                *first = "a cached block's canary is damaged";
            }
        }
    }
    for (size_t w = 0; w < cells; w++)
        set += (size_t)__builtin_popcountll(c->bits[w]);
    if ((bytes != c->bytes || bytes > c->bound) && bad++ == 0)
        *first = "the cache's totals disagree with its stacks";
    if (set != blocks && bad++ == 0)
        *first = "a cached bit without a cached block";
    return bad;
}
