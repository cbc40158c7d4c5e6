/*
 * cache.c - the fast mode (SLZ_CACHE): a cache of recently freed small
 * blocks in front of exact first fit.
 *
 * Exact first fit must find the lowest-addressed fit on every call. A
 * program that frees and allocates blocks of the same sizes again and
 * again (most do) can be served faster by handing back the block of that
 * size it freed last, as QuickFit and glibc's tcache do (deferred
 * coalescing): a free of a chunk below 2 KiB pushes it on the stack of its
 * exact size, and a request of that size pops it. From 2 KiB to 64 KiB the
 * classes are coarse (8 per doubling): a request there is rounded up to its
 * class's size, in the cache and in first fit, so that its block comes back
 * to that class's stack; a malloc above 64 KiB too, for placement only
 * (big_class). Only what the cache does
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
 * The cache calls only the core's own entry points: heap_malloc and
 * heap_realloc for what it does not serve, live_block and release for what
 * it gives back.
 *
 * Other threads. Their frees take the same way as without the cache
 * (slz_free_deferred: pending bits, taken by the owner and checked as its
 * own frees are, then into the cache when it has room, cache_take, else
 * into the heap). Only the owner reads and writes the cached bits and the
 * K flags. A cached block is live for the bits another thread reads, so its
 * free there is taken; the owner, when it takes the pending free, finds K
 * (cache_take's header check fails, then block_grain's, and bad_block reads
 * the cached bit): a double free. The
 * owner takes pending frees before it pushes a block (cache_slz_free leaves
 * the free to free_to_heap when pend_any is set, which takes them, then
 * pushes: slow_take; a double free of a block another thread freed first is
 * reported at the call that makes it, as without the cache) and at every
 * miss (heap_malloc). A pop is where a
 * block becomes live again, so it reads the block's pending bit after it,
 * as carve does (pending_reused, in a heap that ever had a remote free; see
 * slz_free_deferred for the order): a push counts in c->pushes, so the
 * owner's first pop after it passes a fence F (reused: pushes moved since
 * the last pop's fence; carve needs none for a push, as a cached block
 * reaches the heap only through a release, which counts a free or calls
 * gave_up, and so fences carve's own way). A free by another thread of
 * the block's cached life marked before F is reported, never applied to its
 * next one (the pop's load after F sees the bit, or a drain took it and
 * found K); one marked after F saw the same bits as a free of the new block
 * would (a cached block is in use for them): it is reported, or frees the
 * new block (a stale free after reuse, as without the cache). So a hit need
 * not look at pend_any. tests/c/core_cache_threads.c stresses it.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"

/* ---- Where it lives ---------------------------------------------------- */

static size_t up64(size_t n) { return (n + 63) & ~(size_t)63; }

/* cache_depth: the blocks a stack takes in a heap of ncells cells (its
 * arena planned): a row of the smallest chunks holds at most an eighth of
 * the byte bound (SLZ_CACHE_BYTES, or a sixteenth of the arena), between
 * CACHE_DEPTH_MIN and CACHE_DEPTH (3 modulo 4: rows of whole granules), so
 * that a small heap's metadata stays small. */
static uint32_t cache_depth(size_t ncells)
{
    size_t sixteenth = ncells * SLZ_CELL * SLZ_ALIGN / 16;
    size_t bound = sixteenth < SLZ_CACHE_BYTES ? sixteenth : SLZ_CACHE_BYTES;
    size_t d = (bound / 8 / SLZ_MIN_CHUNK) | 3;
    return d < CACHE_DEPTH_MIN ? CACHE_DEPTH_MIN : d > CACHE_DEPTH ? CACHE_DEPTH : (uint32_t)d;
}

/* bits_bytes: the struct and its bits, before the rows. */
static size_t bits_bytes(size_t ncells) { return up64(sizeof(struct slz_cache) + mark_words(ncells) * sizeof(uint64_t)); }

/* cache_meta_bytes: the metadata of the cache for a heap of ncells cells. */
size_t cache_meta_bytes(size_t ncells)
{
    return bits_bytes(ncells) + (size_t)CACHE_ROWS * (cache_depth(ncells) + 17) * sizeof(uint32_t);
}

/* cache_attach: h (its arena sized) gets the cache at meta, all zero. */
void cache_attach(slz_heap *h, void *meta, size_t ncells)
{
    struct slz_cache *c = meta;
    size_t sixteenth = (size_t)h->grains_max * SLZ_ALIGN / 16; /* (of the arena planned: a heap that grows) */
    size_t most = (h->flags & SLZ_SECURE) == SLZ_SECURE ? SLZ_QUARANTINE_BYTES : SLZ_CACHE_BYTES;
    uint32_t depth = cache_depth(ncells);
    c->bound = sixteenth < most ? sixteenth : most;
    c->room = c->bound;
    c->secure = (h->flags & SLZ_SECURE) == SLZ_SECURE; /* the quarantine (quarantine.c) */
    c->depth = c->secure ? 0 : depth;
    uint32_t *rows = (uint32_t *)((char *)meta + bits_bytes(ncells));
    for (uint32_t k = 0; k < CACHE_ROWS; k++)
        c->head[k].row = rows + (size_t)k * (depth + 17);
    h->cache = c;
}

/* ---- Coarse classes ---------------------------------------------------- */

/* coarse_granules: the class of a chunk of g granules (CACHE_CLASSES < g <=
 * 4096): g rounded up to a multiple of an eighth of the power of two below
 * it (2^e < g <= 2^(e+1): of 2^(e-3)), and in *j the class's index (128
 * granules, 2 KiB, is class 0 on its own). */
static uint32_t coarse_granules(uint32_t g, uint32_t *j)
{
    int e = 31 - __builtin_clz(g - 1);
    uint32_t q = (g + (1u << (e - 3)) - 1) >> (e - 3); /* (9..16 eighths) */
    *j = (uint32_t)(8 * e - 64) + q;
    return q << (e - 3);
}
/* row_bytes: the chunk size of row r's class (0 and 1..3: no chunk size). */
static uintptr_t row_bytes(uint32_t r)
{
    if (r <= CACHE_CLASSES)
        return (uintptr_t)r * SLZ_ALIGN;
    uint32_t j = r - CACHE_CLASSES - 1, e = j ? 7 + (j - 1) / 8 : 6;
    return (uintptr_t)(j + 64 - 8 * e) << (e - 3) << 4;
}
_Static_assert(SLZ_ALIGN == 16, "row_bytes: granules of 16 bytes");
/* row_of: the row of chunks of b bytes, 0 when b is no class's size. */
static uint32_t row_of(uintptr_t b)
{
    uint32_t g = (uint32_t)(b / SLZ_ALIGN), j;
    if (g <= CACHE_CLASSES)
        return g;
    return g <= 4096 && coarse_granules(g, &j) == g ? CACHE_CLASSES + 1 + j : 0;
}

/* ---- In and out (the hot paths are in cache.h) ------------------------- */

/* damaged: cached chunk ch of b bytes failed pop's check: its header (a
 * write past the end of the block below) or its canary (after its free). */
static _Noreturn __attribute__((noinline, cold)) void damaged(const char *op, slz_chunk *ch, uintptr_t b)
{
    if (ch->head != b + SLZ_INUSE + SLZ_CACHED)
        slz_misuse(op, "corrupted chunk header (write past the end of the block below?)", chunk2mem(ch));
    slz_misuse(op, "corrupted free chunk (write after free?)", chunk2mem(ch));
}

/* count_add: a stack's count (which the caller read as i) moved by d, in
 * the word itself: the compiler, left to itself, computes i + d in a
 * register of its own and stores it (two instructions more). */
static inline void count_add(uint32_t *count, int d)
{
#if defined(__x86_64__)
    __asm__("addl %1, %0" : "+m"(*count) : "ri"(d) : "cc");
#else
    *count += d;
#endif
}

/* pop: the chunk of b bytes the cache took last (its stack, s, holds
 * i > 0), out of the cache: its cached bit and K off, its header (a cached
 * chunk's, C3: the check of the chunk above that the push leaves to here,
 * cache_slz_free) and canary checked (op names the entry point in a report),
 * the canary cleared. One pass: each word read once. */
HOT slz_chunk *pop(slz_heap *h, struct slz_cache *c, struct slz_stack *s, uintptr_t b, uint32_t i, const char *op)
{
    uint32_t g = s->row[(uintptr_t)i - 1]; /* (i widened: the - 1 an offset of the load) */
    slz_chunk *ch = chunk_at(h, g);
    count_add(&s->count, -1);
    c->room += b;
    cache_clear_bit(c, g);
    if (!CHECKED(canary_off(ch) == 0) || !CHECKED(ch->head == b + SLZ_INUSE + SLZ_CACHED))
        damaged(op, ch, b);
    ch->head = b + SLZ_INUSE; /* K off (b a multiple of 16: one lea) */
    ch->canary = 0; /* nothing of the allocator's stays in a block */
    return ch;
}

/* cache_flush: every cached block freed into the heap, with the checks of
 * a free (in the order of sizes, each stack from its top). The frees other
 * threads left are taken first (one may be a cached block: its report), then
 * each block is released by its granule, as the quarantine's leave does: its
 * pop checked its header and canary, and the stack, out of band, says it is
 * a chunk of that size (C1), which is what live_block would check again; a
 * free by another thread of a block meanwhile is taken by a later drain,
 * which finds it free (a double free) or, carved again, fences as carve does
 * after a counted free. The next block's header and cell are fetched while
 * one is released: a thread's exit flushes up to the byte bound of blocks
 * its cache no longer reads (mstress: the flush at exit was 15% of its
 * time, live_block's checks a third of it). */
void cache_flush(slz_heap *h)
{
    struct slz_cache *c = h->cache;
    if (c->secure) {
        quarantine_flush(h);
        return;
    }
    pend_taken(h, NULL);
    for (uint32_t r = MIN_GRAINS; r < CACHE_ROWS && cache_bytes(c); r++)
        for (struct slz_stack *s = &c->head[r]; s->count;) {
            if (s->count > 1) {
                uint32_t next = s->row[s->count - 2];
                __builtin_prefetch(chunk_at(h, next));
                __builtin_prefetch(cell_of(h, next));
            }
            slz_chunk *ch = pop(h, c, s, row_bytes(r), s->count, h->op);
            c->coarse -= r > CACHE_CLASSES ? row_bytes(r) : 0;
            release(h, grain_of(h, ch));
            h->st.frees++; /* (a free into the heap for the core; not one for the program: cache_stats) */
            c->flushed++;
        }
}

/* cache_refused: a request of h just failed (errno was saved_errno): if
 * the cache held blocks, they are in the heap now and the caller asks again
 * (1); else 0. */
int cache_refused(slz_heap *h, int saved_errno)
{
    if (h->cache == NULL || cache_bytes(h->cache) == 0)
        return 0;
    cache_flush(h);
    h->st.failures--;
    errno = saved_errno;
    return 1;
}

/* ---- malloc ------------------------------------------------------------ */

/* class_bytes: the chunk size in bytes of a request of n bytes (n at
 * most CACHE_MAX_REQUEST): its stack's. */
static inline uintptr_t class_bytes(size_t n)
{
    uintptr_t b = (n + SLZ_HDR + SLZ_ALIGN - 1) & -(uintptr_t)SLZ_ALIGN;
    return b < SLZ_MIN_CHUNK ? SLZ_MIN_CHUNK : b;
}

/* serve: the hit: the block of b bytes freed last (its stack, s, holds
 * i > 0), live again for a request of n bytes. (The hits are not counted:
 * cache_stats derives them.) A pop is where a block becomes live again, so
 * the block's pending bit is read after it, as carve does (see the head of
 * this file); the caller calls reused when h->remote says so. */
HOT void *serve(slz_heap *h, struct slz_cache *c, struct slz_stack *s, uintptr_t b, uint32_t i, size_t n, const char *op)
{
    slz_chunk *ch = pop(h, c, s, b, i, op);
    h->st.bytes_allocated += b;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* (as carve: see slz_free_deferred) */
    h->st.bytes_requested += n; /* (apart: two adds, not one vector add of four instructions more) */
    return chunk2mem(ch);
}

/* reused: block p, just popped, in a heap where another thread has freed:
 * its pending bit read, after a fence when blocks entered the cache since
 * the last pop's (the head of this file: a push stores nothing for it). */
static inline __attribute__((always_inline)) void reused(slz_heap *h, void *p)
{
    struct slz_cache *c = h->cache;
    if (c->pushes != c->fence_pushes) {
        c->fence_pushes = c->pushes;
        gave_up(h); /* (pending_reused fences) */
    }
    pending_look(h, grain_of(h, mem2chunk(p)));
}

/* first_fit: malloc of what the cache does not serve: first fit, once the
 * frees of other threads are taken (one of them may be a cached block: a
 * double free, reported); if the heap refuses, the cache empties into it
 * and first fit is asked again. */
static inline __attribute__((always_inline)) void *first_fit(slz_heap *h, size_t n)
{
    int e = errno;
    void *p = heap_malloc(h, n);
    if (p == NULL && cache_refused(h, e))
        p = heap_malloc(h, n);
    return p;
}

/* served: the top of stack s (b bytes a chunk; it holds i > 0) live again
 * for a request of n bytes, off the hit path (coarse_malloc, cache_realloc). */
static void *served(slz_heap *h, struct slz_cache *c, struct slz_stack *s, uintptr_t b, uint32_t i, size_t n)
{
    void *p = serve(h, c, s, b, i, n, h->op);
    c->coarse -= b > CACHE_CLASSES * SLZ_ALIGN ? b : 0;
    if (__atomic_load_n(&h->remote, __ATOMIC_RELAXED))
        reused(h, p);
    return p;
}

/* class_of: the chunk size in bytes of a request of n bytes (at most
 * COARSE_MAX_REQUEST): its stack's, exact or coarse. */
static uintptr_t class_of(size_t n)
{
    uint32_t j;
    if (n <= CACHE_MAX_REQUEST)
        return class_bytes(n);
    return (uintptr_t)coarse_granules((uint32_t)((n + SLZ_HDR + SLZ_ALIGN - 1) / SLZ_ALIGN), &j) * SLZ_ALIGN;
}

/* class_fit: a miss of n bytes whose class is b bytes a chunk: first fit
 * for b, else (the heap refuses that much) for n. */
static void *class_fit(slz_heap *h, uintptr_t b, size_t n)
{
    h->cache->misses++;
    int e = errno;
    void *p = first_fit(h, b - SLZ_HDR);
    if (p) {
        h->st.bytes_requested -= b - SLZ_HDR - n; /* (the program asked for n) */
        return p;
    }
    h->st.failures--;
    errno = e;
    return first_fit(h, n);
}

/* coarse_malloc: malloc of n bytes (CACHE_MAX_REQUEST < n <=
 * COARSE_MAX_REQUEST): the top of its coarse class's stack, else
 * class_fit. */
static void *coarse_malloc(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    uint32_t j, k = coarse_granules((uint32_t)((n + SLZ_HDR + SLZ_ALIGN - 1) / SLZ_ALIGN), &j);
    uintptr_t b = (uintptr_t)k * SLZ_ALIGN;
    struct slz_stack *s = &c->head[CACHE_CLASSES + 1 + j];
    uint32_t i = s->count;
    if (i)
        return served(h, c, s, b, i, n);
    return class_fit(h, b, n);
}

/* big_class: the class of a request of n bytes above the coarse classes
 * (below SLZ_MAX_HEAP): its chunk rounded up as theirs are, to an eighth
 * of the power of two below it. No stack holds these: the class is for
 * placement. Blocks of near sizes get the same chunk size, and the chunks
 * first fit carves one after another begin at multiples of their classes'
 * steps: a block placed where others were reuses the pages they touched
 * at the same offsets (malloc-large, 5-25 MB blocks written every MiB:
 * distinct pages touched 18,901 -> 2,986 in a model of it). */
static uintptr_t big_class(size_t n)
{
    uintptr_t b = (n + SLZ_HDR + SLZ_ALIGN - 1) & -(uintptr_t)SLZ_ALIGN;
    uintptr_t step = (uintptr_t)1 << (60 - __builtin_clzll(b - 1));
    return (b + step - 1) & -step;
}

/* miss: malloc of what the cache's exact stacks do not serve: a coarse
 * class's, first fit for a class above them (big_class), else first fit.
 * When frees of other threads wait, they are taken first (first fit would
 * take them), into the cache when it has room: one of them may be of the
 * request's size, a hit after all (mstress: hits 52.6% -> 55.0%). In the
 * secure profile, the quarantine's. */
static __attribute__((noinline)) void *miss(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    if (c->secure)
        return quarantine_malloc(h, n);
    pend_taken(h, NULL);
    if (n <= CACHE_MAX_REQUEST) {
        uintptr_t b = class_bytes(n);
        struct slz_stack *s = stack_of(c, b);
        if (s->count)
            return served(h, c, s, b, s->count, n);
    }
    if (n > CACHE_MAX_REQUEST && n <= COARSE_MAX_REQUEST)
        return coarse_malloc(h, n);
    if (n > COARSE_MAX_REQUEST && n < SLZ_MAX_HEAP)
        return class_fit(h, big_class(n), n);
    h->cache->misses++;
    return first_fit(h, n);
}

/* cache_malloc: malloc on a heap with a cache, inside an operation (calloc). */
void *cache_malloc(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    uintptr_t b = class_bytes(n);
    struct slz_stack *s = stack_of(c, b);
    uint32_t i;
    if (n > CACHE_MAX_REQUEST || (i = s->count) == 0)
        return miss(h, n);
    void *p = serve(h, c, s, b, i, n, h->op);
    if (__atomic_load_n(&h->remote, __ATOMIC_RELAXED))
        reused(h, p);
    return p;
}

/* malloc_miss, malloc_reused: the ends of slz_malloc's operation off the
 * hit path (out of line: the hit saves no register). */
static __attribute__((noinline)) void *malloc_miss(slz_heap *h, size_t n)
{
    h->op = "malloc";
    void *p = miss(h, n);
    op_end(h);
    return p;
}
static __attribute__((noinline)) void *malloc_reused(slz_heap *h, void *p)
{
    h->op = "malloc";
    reused(h, p);
    op_end(h);
    return p;
}

/* cache_slz_malloc: slz_malloc on a heap with a cache (out of line: the
 * entry point stays as small as without it). A hit when a block of the
 * request's size is held (never in the secure profile: its counts are 0,
 * cache.h Q1). */
__attribute__((noinline)) void *cache_slz_malloc(slz_heap *h, size_t n)
{
    struct slz_cache *c = h->cache;
    uintptr_t b = class_bytes(n);
    struct slz_stack *s = stack_of(c, b);
    uint32_t i;
    busy(h);
    if (__builtin_expect(n > CACHE_MAX_REQUEST || (i = s->count) == 0, 0))
        return malloc_miss(h, n);
    void *p = serve(h, c, s, b, i, n, "malloc");
    if (__atomic_load_n(&h->remote, __ATOMIC_RELAXED))
        return malloc_reused(h, p);
    op_end(h);
    return p;
}

/* ---- free -------------------------------------------------------------- */

/* slow_take: free of p into the cache off cache_slz_free's way (1), with
 * its checks (cache_take's). When frees of other threads wait, they are
 * taken first, as that way leaves them to here (one may be p: its header
 * then says cached or free, cache_take refuses it and live_block reports
 * the double free), and p goes where that way would have put it: a thread
 * that others free to (mstress) keeps its own frees in the cache. Else only
 * a coarse class's block (the header's size read first only to pass over
 * the small sizes: their stack or the bound was full). */
static int slow_take(slz_heap *h, void *p)
{
    uintptr_t g = rot_grain(h, p);
    if (g >= h->grains)
        return 0;
    if (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED)) {
        heap_collect(h);
        return cache_take(h, (uint32_t)g);
    }
    return mem2chunk(p)->head > CACHE_CLASSES * SLZ_ALIGN + SLZ_INUSE + SLZ_CACHED && cache_take(h, (uint32_t)g);
}

/* free_to_heap: a free the cache's exact stacks do not take on their way:
 * slow_take's, else as slz_free frees (out of line: the way into the cache
 * saves no register); the secure profile's way into its quarantine. The
 * operation ends here. */
static __attribute__((noinline)) void free_to_heap(slz_heap *h, void *p)
{
    h->op = "free";
    if (h->cache->secure) {
        quarantine_free(h, p);
    } else if (!slow_take(h, p)) {
        release(h, live_block(h, p));
        h->st.frees++; /* as slz_free counts a block given up */
    }
    op_end(h);
}

/* shifted: st >> (g % 64) by the shift's own modulo on x86-64 (the
 * compiler, left to itself, masks g first: one instruction more). */
static inline uint64_t shifted(uint64_t st, uintptr_t g)
{
#if defined(__x86_64__)
    __asm__("shr %%cl, %0" : "+r"(st) : "c"(g) : "cc");
    return st;
#else
    return st >> (g % 64);
#endif
}

/* takes: the checks of a block the cache takes (cache_slz_free,
 * cache_take): chunk ch at g is a live block by the bits (a start with its
 * used bit) of *b bytes, at most most, and its header says so (size | U: a
 * cached block's has K and fails). */
static inline __attribute__((always_inline)) int takes(const slz_heap *h, uintptr_t g, const slz_chunk *ch, uintptr_t most, uintptr_t *b)
{
    const struct slz_cell *cell = cell_of(h, (uint32_t)g);
    uint64_t st = cell->start;
    if (!((st & cell->used) >> (g % SLZ_CELL) & 1))
        return 0;
    *b = size_in_cell(cell, shifted(st, g), 0) * SLZ_ALIGN;
    return *b <= most && ch->head == *b + SLZ_INUSE;
}

/* push: chunk ch at g, of b bytes, its cached bit set, goes on top of its
 * stack (s, holding i): K in its head, the canary of a held chunk (C3). */
HOT void push(slz_heap *h, struct slz_cache *c, struct slz_stack *s, uint32_t i, uintptr_t g, slz_chunk *ch, uintptr_t b)
{
    s->row[(uintptr_t)i] = (uint32_t)g; /* (i widened: no extension of its own) */
    count_add(&s->count, 1);
    c->room -= b;
    ch->head |= SLZ_CACHED;
    ch->canary = canary_of(h, ch);
    c->pushes++; /* (a life ended: the next pop fences, reused) */
}

/* cache_slz_free: slz_free on a heap with a cache (out of line, as
 * cache_slz_malloc). Block p goes into the cache, in one pass, when the bits
 * say it is a live block (in the arena, aligned: one compare of the offset
 * rotated; a start with its used bit) of a cached size, its header says so
 * (a cached block's has K: it fails, as in free.c's check of a block
 * pointer), its stack and the byte bound have room (none in the secure
 * profile: depth 0), its cached bit is clear (else a double free, whatever
 * its header says), and no frees of other threads wait. Otherwise the free
 * goes to the heap with the core's checks, which report a misuse in the
 * words they use without the cache. The keyed check words are the core's to
 * check, when the block leaves the cache or is freed again after reuse.
 *
 * The header of the chunk above is not read here (where the default free
 * reads it, release_sized, because it merges with that chunk), and a write
 * past the end of p into it is still reported before that chunk is handed
 * out or merged, or at its own free: no header is ever trusted (the bits
 * are the truth), and every way a chunk is used again checks its own
 * header: a live chunk's free, realloc or size (block_grain; and the check
 * above: a live chunk's head is size | U), a free chunk's carve or merge
 * (free_checked, release_sized), a cached chunk's pop (its head must be
 * size | U | K: pop), and p's own release into the heap when it leaves the
 * cache (release_sized, as without the cache). What is lost is only the
 * moment: the report comes at the damaged chunk's next use, not at p's free
 * (27 instructions and half a cache miss a free less: micro st). */
__attribute__((noinline)) void cache_slz_free(slz_heap *h, void *p)
{
    busy(h);
    uintptr_t g = rot_grain(h, p);
    uint32_t grains = h->grains;
    if (__builtin_expect(g >= grains || __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED), 0))
        return free_to_heap(h, p);
    slz_chunk *ch = mem2chunk(p);
    uintptr_t b;
    if (!takes(h, g, ch, CACHE_CLASSES * SLZ_ALIGN, &b))
        return free_to_heap(h, p);
    __asm__("" : "+r"(g), "+r"(b)); /* (what derives from them is derived again: fewer registers saved) */
    struct slz_cache *c = h->cache;
    struct slz_stack *s = stack_of(c, b);
    uint32_t i = s->count;
    if (i >= c->depth || b > c->room)
        return free_to_heap(h, p);
    if (cache_set_bit(c, g)) /* (its header was damaged too: said here) */
        slz_misuse("free", "double free", p);
    __asm__("" : "+r"(c), "+r"(b)); /* (the stack derived again after the bit: fewer registers saved) */
    push(h, c, stack_of(c, b), i, g, ch, b);
    op_end(h);
}

/* take_into: live chunk g of b bytes (takes) onto its stack, row r, when
 * the stack and the byte bound have room (cache_take). */
static inline int take_into(slz_heap *h, uint32_t r, uint32_t g, uintptr_t b)
{
    struct slz_cache *c = h->cache;
    slz_chunk *ch = chunk_at(h, g);
    struct slz_stack *s = &c->head[r];
    uint32_t i = s->count;
    if (i >= c->depth || b > c->room)
        return 0;
    if (cache_set_bit(c, g))
        slz_misuse(h->op, "double free", chunk2mem(ch));
    push(h, c, s, i, g, ch, b);
    return 1;
}
/* coarse_take: take_into for a chunk above the exact sizes: its class's
 * stack if b is a class's size and the coarse stacks' bound has room. */
static __attribute__((noinline)) int coarse_take(slz_heap *h, uint32_t g, uintptr_t b)
{
    struct slz_cache *c = h->cache;
    uint32_t r = row_of(b);
    if (r == 0 || c->coarse + b > h->st.in_use >> COARSE_SHARE || !take_into(h, r, g, b))
        return 0;
    c->coarse += b;
    return 1;
}

/* cache_take: the block at g, which another thread freed and the owner
 * has taken (take_pending), or the owner freed (slow_take), goes into the
 * cache as the owner's own free would put it there, with that free's checks
 * (cache_slz_free: the bits say a live block of a cached size, its header
 * says so; a cached block's has K and fails; its cached bit set: a double
 * free), when its stack and the byte bound have room: 1; else 0
 * (the caller checks it as a free checks it and releases it, or reports).
 * So a thread that allocates what others free is served by the cache, as by
 * its own frees (the chunk above unread, as there). */
int cache_take(slz_heap *h, uint32_t g)
{
    uintptr_t b;
    if (!takes(h, g, chunk_at(h, g), UINTPTR_MAX, &b)) /* (any size: coarse_take's row_of) */
        return 0;
    if (b > CACHE_CLASSES * SLZ_ALIGN)
        return coarse_take(h, g, b);
    return take_into(h, (uint32_t)(b / SLZ_ALIGN), g, b);
}

/* ---- realloc ----------------------------------------------------------- */

/* cache_realloc: realloc of live block p (at g) to n bytes on a heap with a
 * cache. When n's class is not p's chunk size and its stack holds a block,
 * that block is served, p's bytes copied into it and p freed as a free
 * frees it (into the cache, cache_take, else into the heap): a program that
 * shrinks blocks of one size to another (cfrac) moves them between the
 * stacks, where an in-place shrink would fill the smaller size's stack and
 * starve the larger one's. Else the core's realloc (in place, or moved by
 * first fit; it reads the pending frees). Never in the secure profile. */
void *cache_realloc(slz_heap *h, void *p, uint32_t g, size_t n)
{
    struct slz_cache *c = h->cache;
    if (c->secure || n > COARSE_MAX_REQUEST || __atomic_load_n(&h->pend_any, __ATOMIC_RELAXED))
        return heap_realloc(h, p, g, n);
    uintptr_t b = class_of(n), old = (uintptr_t)grains_of(h, g) * SLZ_ALIGN;
    uint32_t r = row_of(b), i;
    if (b == old || r == 0 || (i = c->head[r].count) == 0)
        return heap_realloc(h, p, g, n);
    h->st.reallocs++;
    void *q = served(h, c, &c->head[r], b, i, n);
    memcpy(q, p, n < old - SLZ_HDR ? n : old - SLZ_HDR);
    if (!cache_take(h, g)) {
        release(h, g);
        h->st.frees++; /* (as free_to_heap) */
    }
    return q;
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

/* held_blocks: the blocks c holds, in its stacks or its quarantine ring. */
static size_t held_blocks(const struct slz_cache *c)
{
    size_t blocks = c->qlen; /* (the quarantine's, SLZ_SECURE) */
    for (uint32_t r = MIN_GRAINS; r < CACHE_ROWS; r++)
        blocks += c->head[r].count;
    return blocks;
}

/* cache_held: what the core's counters miss of the chunks in use (for the
 * checker): the blocks the quarantine holds (counted as freed when they came
 * in); 0 without it. A cached block is neither: the core counts a block
 * freed when the cache gives it to the heap (cache_flush), and the cache's
 * own frees and hits apart (pushes; cache_stats). */
size_t cache_held(const slz_heap *h)
{
    return h->cache == NULL ? 0 : h->cache->qlen;
}

/* cache_stats: what the cache adds to a statistics snapshot, where the
 * core's counters are the heap's view (heap.c): the frees and mallocs the
 * cache served, for the program's view, and its counters. The cache counts
 * what a hit need not: each block it took (pushes) left it as a hit, to the
 * heap (flushed) or is held. */
void cache_stats(const slz_heap *h, struct slz_heap_stats *out)
{
    const struct slz_cache *c = h->cache;
    if (c == NULL)
        return;
    size_t blocks = held_blocks(c), cached = blocks - c->qlen;
    uint64_t hits = c->pushes - c->flushed - cached;
    out->cache_hits = hits;
    out->cache_misses = c->misses;
    out->cached_blocks = blocks;
    out->cached_bytes = cache_bytes(c);
    out->in_use -= cache_bytes(c);
    out->mallocs += hits; /* (the core counts what it serves) */
    out->frees += c->pushes - c->flushed; /* (the core counts the flushed blocks, not the frees the cache took) */
    out->live_blocks -= cached; /* mallocs - frees: the heap's view was mallocs - frees of the core's */
}

/* rows_bad: 1, and *first set, when a head's row is not where
 * cache_attach put it (rows depth + 17 words apart after the bits): the
 * heads are out of band, and the checker reads all of the cache's state. */
static size_t rows_bad(const slz_heap *h, const char **first)
{
    const struct slz_cache *c = h->cache;
    const uint32_t *rows = (const uint32_t *)((const char *)c + bits_bytes(h->ncells));
    size_t stride = (size_t)cache_depth(h->ncells) + 17;
    for (uint32_t r = 0; r < CACHE_ROWS; r++)
        if (c->head[r].row != rows + r * stride) {
            *first = "a cache stack's row is not where its layout puts it";
            return 1;
        }
    return 0;
}

/* cache_check: invariants C1-C3 (cache.h) over the cells up to the
 * high-water mark, and the rows' places. The number of violations; *first
 * names the first. */
size_t cache_check(const slz_heap *h, size_t cells, const char **first)
{
    const struct slz_cache *c = h->cache;
    if (c == NULL)
        return 0;
    size_t bad = rows_bad(h, first), blocks = 0, bytes = 0, coarse = 0, set = 0;
    const char *later;
    if (c->secure)
        return bad + quarantine_check(h, cells, bad ? &later : first);
    for (uint32_t r = 0; r < CACHE_ROWS; r++) {
        const uint32_t *row = c->head[r].row;
        uint32_t held = c->head[r].count, k = (uint32_t)(row_bytes(r) / SLZ_ALIGN);
        if (held > c->depth || (held && k < MIN_GRAINS)) {
            if (bad++ == 0)
                *first = "a cache stack is over its depth or of no chunk size";
            continue;
        }
        for (unsigned i = 0; i < held; i++) {
            uint32_t g = row[i];
            blocks++;
            bytes += (size_t)k * SLZ_ALIGN;
            coarse += r > CACHE_CLASSES ? (size_t)k * SLZ_ALIGN : 0;
            if (g >= h->grains || !is_start(h, g) || !is_used(h, g) || grains_of(h, g) != k || !cache_holds(h, g)) {
                if (bad++ == 0)
                    *first = "a cached block is not a used chunk of its stack's size with its cached bit";
            } else if (!cache_header_ok(h, g)) {
                if (bad++ == 0)
                    *first = "a cached block's header is not size | U | K with its check";
            } else if (canary_off(chunk_at(h, g)) != 0 && bad++ == 0) {
                *first = "a cached block's canary is damaged";
            }
        }
    }
    for (size_t w = 0; w < mark_words(cells); w++)
        set += (size_t)__builtin_popcountll(c->bits[w]);
    if ((bytes != cache_bytes(c) || coarse != c->coarse || c->room > c->bound || blocks > c->pushes - c->flushed) && bad++ == 0)
        *first = "the cache's totals disagree with its stacks";
    if (set != blocks && bad++ == 0)
        *first = "a cached bit without a cached block";
    return bad;
}
