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
 * core never merges it or hands it out; the K flag in its header fails the
 * check of a block pointer (free.c), whose report reads the cached bit: the
 * double free it is (cache.h). Its first payload word is a canary, as a
 * free chunk's is: a write after free is reported when the block leaves the
 * cache.
 *
 * The cache calls only the core's own entry points: heap_malloc for what it
 * does not serve, live_block and release for what it gives back.
 *
 * Other threads. Their frees take the same way as without the cache
 * (slz_free_deferred: pending bits, taken by the owner into the heap, never
 * into the cache). Only the owner reads and writes the cached bits and the
 * K flags. A cached block is live for the bits another thread reads, so its
 * free there is taken; the owner, when it takes the pending free, finds K
 * (block_grain fails, bad_block reads the cached bit): a double free. The
 * owner takes pending frees before it pops the cache (take reads pend_any
 * first) and before it pushes one (cache_free leaves the free to the core
 * when pend_any is set); and a pop is where a block becomes live again, so
 * it reads the block's pending bit after it, as carve does (pending_reused,
 * fenced, in a heap that ever had a remote free; see slz_free_deferred for
 * the order): a free by another thread of the block's cached life is
 * reported, never applied to its next one. tests/c/core_cache_threads.c
 * stresses it.
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
    size_t sixteenth = (size_t)h->grains_max * SLZ_ALIGN / 16; /* (of the arena planned: a heap that grows) */
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
    ch->head = (uintptr_t)k * SLZ_ALIGN | SLZ_INUSE; /* K off */
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
            release(h, live_block(h, chunk2mem(ch))); /* (its free was counted when it came in) */
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
 * size freed last, else first fit (miss). take: the same, inline. */
static inline void *take(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    if (c->secure)
        return quarantine_malloc(h, n);
    uint32_t k = (uint32_t)((n + SLZ_HDR + SLZ_ALIGN - 1) / SLZ_ALIGN);
    k = k < MIN_GRAINS ? MIN_GRAINS : k;
    if (__builtin_expect(n > CACHE_MAX_REQUEST || c->count[k] == 0 || __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED), 0))
        return miss(h, n);
    slz_chunk *ch = pop(h, c, k);
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* (as carve: see slz_free_deferred) */
    if (__atomic_load_n(&h->remote, __ATOMIC_RELAXED))
        pending_reused(h, grain_of(h, ch));
    c->hits++;
    h->st.bytes_requested += n;
    h->st.bytes_allocated += (size_t)k * SLZ_ALIGN;
    return chunk2mem(ch);
}
void *cache_malloc(slz_heap *h, size_t n) { return take(h, n); }

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
    const struct slz_cell *cell = cell_of(h, g);
    if (!(cell->start & cell->used & bit_of(g)) || __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED))
        return 0;
    if ((c->bits[g / 64] >> (g % 64)) & 1) /* (said here too: a build without */
        slz_misuse(h->op, "double free", p); /* header checks, SLZ_UNCHECKED) */
    uint32_t k = size_in_cell(cell, cell->start, g % SLZ_CELL), nx = g + k;
    slz_chunk *ch = chunk_at(h, g);
    if (k > CACHE_CLASSES || c->count[k] == CACHE_DEPTH || c->bytes + (size_t)k * SLZ_ALIGN > c->bound ||
        ch->head != ((uintptr_t)k * SLZ_ALIGN | SLZ_INUSE) ||
        (nx < h->grains && !CHECKED(chunk_at(h, nx)->check == check_of(h, chunk_at(h, nx), chunk_at(h, nx)->head & ~SLZ_CACHED))))
        return 0;
    c->slot[k][c->count[k]++] = g;
    c->bytes += (size_t)k * SLZ_ALIGN;
    cache_mark(c, g, 1);
    ch->head |= SLZ_CACHED;
    ch->canary = canary_of(h, ch);
    h->st.frees++;
    return 1;
}

/* cache_slz_malloc, cache_slz_free: slz_malloc and slz_free on a heap with a
 * cache (out of line: the entry points stay as small as without it). */
__attribute__((noinline)) void *cache_slz_malloc(slz_heap *h, size_t n)
{
    op_begin(h, "malloc");
    void *p = take(h, n);
    op_end(h);
    return p;
}
/* free_to_heap: what cache_free refused, freed as slz_free does (out of
 * line: the way into the cache saves and restores fewer registers). */
static __attribute__((noinline)) void free_to_heap(slz_heap *h, void *p)
{
    release(h, live_block(h, p));
    h->st.frees++; /* as slz_free counts a block given up */
}
__attribute__((noinline)) void cache_slz_free(slz_heap *h, void *p)
{
    op_begin(h, "free");
    if (h->cache->secure)
        quarantine_free(h, p);
    else if (!cache_free(h, p))
        free_to_heap(h, p);
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

int cache_header_ok(const slz_heap *h, uint32_t g)
{
    const slz_chunk *ch = chunk_at(h, g);
    uintptr_t head = (uintptr_t)grains_of(h, g) * SLZ_ALIGN | SLZ_INUSE;
    return cache_holds(h, g) && ch->head == (head | SLZ_CACHED) && ch->check == head_check(h, ch, head);
}

/* cache_held: what the core's counters miss of the chunks in use: the
 * allocations the cache served (not counted as mallocs) and the blocks it
 * holds (counted as freed); 0 without the cache. For the checker. */
/* held_blocks: the blocks c holds, in its stacks or its quarantine ring. */
static size_t held_blocks(const struct slz_cache *c)
{
    size_t blocks = c->qlen; /* (the quarantine's, SLZ_SECURE) */
    for (uint32_t k = MIN_GRAINS; k <= CACHE_CLASSES; k++)
        blocks += c->count[k];
    return blocks;
}

size_t cache_held(const slz_heap *h)
{
    const struct slz_cache *c = h->cache;
    return c == NULL ? 0 : c->hits + held_blocks(c);
}

/* cache_stats: what the cache adds to a statistics snapshot: its counters,
 * and its blocks out of the live ones (the core counts them in use). */
void cache_stats(const slz_heap *h, struct slz_heap_stats *out)
{
    const struct slz_cache *c = h->cache;
    if (c == NULL)
        return;
    size_t blocks = held_blocks(c);
    out->cache_hits = c->hits;
    out->cache_misses = c->misses;
    out->cached_blocks = blocks;
    out->cached_bytes = c->bytes;
    out->in_use -= c->bytes;
    out->mallocs += c->hits; /* (the core counts what it serves) */
    out->live_blocks += c->hits; /* (mallocs - frees counted the core's alone) */
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
            } else if (!cache_header_ok(h, g)) {
                if (bad++ == 0)
                    *first = "a cached block's header is not size | U | K with its check";
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
