/*
 * cache.h - the fast mode's cache (SLZ_CACHE): its state and the hooks the
 * core's entry points call. See cache.c.
 *
 * The state is out of band, in the heap's metadata after the pending bits:
 *
 *   | struct slz_heap | cells | index | pending | cache (bits, stacks) | guard | ...
 *
 * stack:  for each chunk size of CACHE_CLASSES granules or fewer, one row
 *         (then one for each coarse class, COARSE_CLASSES, after them)
 *         of depth + 17 words (cache_depth: deeper in a bigger heap): the
 *         granules of the blocks it holds, row[0..i-1], the last freed on
 *         top, then 68 bytes unused (rows a power of two apart would put
 *         every row's bottom in one set of the L1).
 * head:   in the struct, for each row its count, i, and its address, 16
 *         bytes (struct slz_stack), found by the chunk's size in bytes
 *         (stack_of): a free and a hit read one head and touch one row. The
 *         heads of a program's sizes share a few lines, which every call
 *         keeps in the L1 (a count at the head of its own row missed 0.2
 *         times a call in micro st, a line each).
 * bits:   one bit per slot of MIN_GRAINS granules (mark_slot): the chunk
 *         that begins in the slot is in the cache. Two chunks never begin in
 *         one slot (a chunk is MIN_GRAINS granules at least), and a bit per
 *         slot is a quarter of a bit per granule: the bits of a heap's busy
 *         part stay in the L1 longer (micro st: a free's bts missed 0.77
 *         times a call with a bit per granule, 0.38 now).
 *
 * A cached chunk stays in use for the bits and the index: the core never
 * merges it or hands it out. Its header says so too, with K: its head is
 * size | U | K (SLZ_CACHED), its check word still that of size | U. So the
 * check every block pointer passes (free.c, block_grain), which compares
 * the header with size | U, fails on a cached block at no cost to a heap
 * without a cache, and its report reads the cached bit: a double free.
 * Invariants (slz_heap_check verifies them):
 *  C1. Every granule in a stack is the start of a used chunk of that stack's
 *      size, and its cached bit is set; no other cached bit is set.
 *  C2. cache_bytes is what the stacks hold, coarse what the coarse classes'
 *      hold; room <= bound; the blocks held are at most pushes - flushed
 *      (the rest went out as hits).
 *  C3. A cached chunk's header is size | U | K with the check of size | U,
 *      and its first payload word is its canary.
 */
#ifndef SLZ_CACHE_H
#define SLZ_CACHE_H

#include "chunk.h"

#define CACHE_CLASSES 127 /* chunks below 2 KiB: 4 .. 127 granules, a stack per exact size */
#define COARSE_CLASSES 41 /* chunks of 2 KiB .. 64 KiB: 128 granules, then 8 classes per doubling
                           * (a request there is rounded up to its class: 1/8 of it at most) */
#define CACHE_ROWS (CACHE_CLASSES + 1 + COARSE_CLASSES) /* coarse class j: row CACHE_CLASSES + 1 + j */
#ifndef COARSE_SHARE
#define COARSE_SHARE 3 /* the coarse classes hold at most in_use >> this (big blocks held back
                        * are memory first fit cannot merge: peak footprint) */
#endif
#ifndef CACHE_DEPTH
#define CACHE_DEPTH 2047 /* blocks per size at most (glibc's tcache: 7): a stack under uniform
                          * churn is empty or full 1/(depth + 1) of the time, and each miss costs
                          * a first fit; a burst of frees of one size needs the depth of the burst
                          * (cache_depth): espresso's reduce frees ~1,000, bench-malloc-simple
                          * 1,600 (its blocks past 1,023, a first fit and a real free each:
                          * 39 -> 17 ns a pair there, glibc's 14) */
#endif
#define CACHE_DEPTH_MIN 31 /* blocks per size in a small heap (and the quarantine's rows) */
#ifndef SLZ_CACHE_BYTES
#define SLZ_CACHE_BYTES (1 << 20) /* bytes held at most (and 1/16 of the arena) */
#endif

#ifndef SLZ_QUARANTINE_BYTES
#define SLZ_QUARANTINE_BYTES (4 << 20) /* SLZ_SECURE: bytes held at most (and 1/16 of the arena) */
#endif
#define QUARANTINE_BLOCKS 2048 /* SLZ_SECURE: blocks held at most */
_Static_assert((CACHE_DEPTH & 3) == 3 && (CACHE_DEPTH_MIN & 3) == 3, "a row (depth + 17 words) is a multiple of 16 bytes");
_Static_assert(QUARANTINE_BLOCKS <= (CACHE_CLASSES + 1) * CACHE_DEPTH_MIN, "the ring fits in the stacks' blocks");

/* With SLZ_SECURE (slz.h; quarantine.c) the same hold is a quarantine: the
 * stacks' block words are one FIFO ring of QUARANTINE_BLOCKS granules
 * (RING: column by column; every count stays 0), the oldest at
 * qhead, and nothing is served from it. Its invariants:
 *  Q1. Every granule in the ring is the start of a used chunk with its
 *      cached bit set; no other cached bit is set; count is 0 everywhere.
 *  Q2. cache_bytes is what the ring holds (whole chunks); room <= bound.
 *  Q3. A held chunk's first payload word is its canary, the rest is zero. */
struct slz_cache {
    size_t room, bound;  /* bytes the stacks (the ring) may still take; held at most
                          * (held now: cache_bytes) */
    size_t coarse;       /* bytes the coarse classes' stacks hold: at most an eighth of the
                          * heap's chunks in use (COARSE_SHARE) */
    uint64_t pushes;     /* frees the cache took (the core's frees count the rest) */
    uint64_t fence_pushes; /* pushes at the last pop's fence (cache.c, reused) */
    uint64_t flushed;    /* blocks it gave to the heap (counted as the core's frees too) */
    uint64_t misses;     /* mallocs first fit served (the hits are derived, cache_stats) */
    int secure;          /* SLZ_SECURE: the stacks' block words are the quarantine's ring */
    uint32_t depth;      /* blocks a stack takes: cache_depth; 0 in the secure profile */
    uint32_t qhead, qlen; /* SLZ_SECURE: the oldest slot; slots held */
    struct slz_stack {   /* a stack's head (above) */
        uint32_t count;  /* the blocks it holds */
        uint32_t unused;
        uint32_t *row;   /* its blocks, row[0..count - 1], after the bits */
    } head[CACHE_ROWS];  /* head[k]: row k's, the chunks of k granules (a coarse
                          * class's: k = CACHE_CLASSES + 1 + its index) */
    uint64_t bits[] __attribute__((aligned(64))); /* cached: one bit per slot (in the
                          * struct: its address is c's, no pointer loaded) */
};
/* mark_slot: the slot of the chunk that begins at granule g (above); a bit
 * index: its word is bits[slot / 64]. */
static inline uintptr_t mark_slot(uintptr_t g) { return g / MIN_GRAINS; }
/* mark_words: the words of bits for a heap of ncells cells. */
static inline size_t mark_words(size_t ncells) { return (ncells * SLZ_CELL / MIN_GRAINS + 63) / 64; }
#define CACHE_MAX_REQUEST ((size_t)CACHE_CLASSES * SLZ_ALIGN - SLZ_HDR)
#define COARSE_MAX_REQUEST ((size_t)4096 * SLZ_ALIGN - SLZ_HDR) /* the last coarse class's */
/* cache_bytes: the bytes c holds (a free checks room against a block, one
 * compare, and takes it from room). */
static inline size_t cache_bytes(const struct slz_cache *c) { return c->bound - c->room; }
_Static_assert(sizeof(struct slz_stack) == SLZ_ALIGN, "stack_of: a head per granule of chunk size");
/* stack_of: the stack of chunks of b bytes (b a multiple of SLZ_ALIGN, at
 * most CACHE_CLASSES granules), head[b / SLZ_ALIGN]: at b bytes into the
 * heads, no shift nor multiply (where a row's number is at hand, head[r]). */
static inline struct slz_stack *stack_of(struct slz_cache *c, uintptr_t b)
{
    return (struct slz_stack *)((char *)c->head + b);
}
/* RING: slot r of the quarantine's ring (SLZ_SECURE). */
#define RING(c, r) ((c)->head[(r) % (CACHE_CLASSES + 1)].row[(r) / (CACHE_CLASSES + 1)])

/* cache_holds: the chunk at g is in h's cache. Another thread may ask
 * (slz_free_deferred's check of a block, when it fails): one relaxed load. */
static inline int cache_holds(const slz_heap *h, uint32_t g)
{
    const struct slz_cache *c = h->cache;
    uintptr_t m = mark_slot(g);
    return c && ((__atomic_load_n(&c->bits[m / 64], __ATOMIC_RELAXED) >> (m % 64)) & 1);
}
/* with_bit: w with bit g % 64 set (on) or clear. On x86-64 one bts or btr,
 * which take the index modulo 64 themselves: the compiler, left to itself,
 * keeps g % 64 in a register of its own (one more saved on the free's way). */
static inline uint64_t with_bit(uint64_t w, uintptr_t g, int on)
{
#if defined(__x86_64__)
    if (on)
        __asm__("bts %1, %0" : "+r"(w) : "r"(g) : "cc");
    else
        __asm__("btr %1, %0" : "+r"(w) : "r"(g) : "cc");
    return w;
#else
    uint64_t b = (uint64_t)1 << (g % 64);
    return on ? w | b : w & ~b;
#endif
}
/* cache_mark: g's cached bit on or off: one relaxed store (see above). */
static inline void cache_mark(struct slz_cache *c, uintptr_t g, int on)
{
    uintptr_t m = mark_slot(g);
    uint64_t *w = &c->bits[m / 64];
    __atomic_store_n(w, with_bit(*w, m, on), __ATOMIC_RELAXED);
}
/* cache_set_bit: g's cached bit set (one relaxed store, as cache_mark);
 * its value before (a push: set means a double free). On x86-64 the bts
 * that sets it says what it was: no test of its own; and the word is read
 * and written in asm, where the compiler, left to itself, adds the offset
 * of bits to the index in an instruction of its own (cache_clear_bit too). */
static inline int cache_set_bit(struct slz_cache *c, uintptr_t g)
{
    uintptr_t m = mark_slot(g);
    uint64_t *w = &c->bits[m / 64], v;
    int was;
#if defined(__x86_64__)
    __asm__("mov %1, %0\n\tbtsq %3, %0\n\tmov %0, %1" : "=&r"(v), "+m"(*w), "=@ccc"(was) : "r"(m));
#else
    v = *w;
    was = (v >> (m % 64)) & 1;
    __atomic_store_n(w, with_bit(v, m, 1), __ATOMIC_RELAXED);
#endif
    return was;
}
/* cache_clear_bit: g's cached bit off (a pop), as cache_set_bit. */
static inline void cache_clear_bit(struct slz_cache *c, uintptr_t g)
{
#if defined(__x86_64__)
    uint64_t v;
    uintptr_t m = mark_slot(g);
    __asm__("mov %1, %0\n\tbtrq %2, %0\n\tmov %0, %1" : "=&r"(v), "+m"(c->bits[m / 64]) : "r"(m) : "cc");
#else
    cache_mark(c, g, 0);
#endif
}

/* cache_header_ok: the chunk at g is cached and its header is a cached
 * chunk's (C3): for the checks of headers against the bits. */
__attribute__((cold)) int cache_header_ok(const slz_heap *h, uint32_t g);

size_t cache_meta_bytes(size_t ncells);
void cache_attach(slz_heap *h, void *meta, size_t ncells);
void *cache_malloc(slz_heap *h, size_t n);
void *cache_slz_malloc(slz_heap *h, size_t n);
void cache_slz_free(slz_heap *h, void *p);
void *cache_realloc(slz_heap *h, void *p, uint32_t g, size_t n);
int cache_refused(slz_heap *h, int saved_errno);
void cache_flush(slz_heap *h);
int cache_take(slz_heap *h, uint32_t g);
void cache_stats(const slz_heap *h, struct slz_heap_stats *out);
size_t cache_held(const slz_heap *h);
size_t cache_check(const slz_heap *h, size_t cells, const char **first);
/* quarantine.c: the SLZ_SECURE policy of the same hold */
void *quarantine_malloc(slz_heap *h, size_t n);
void quarantine_free(slz_heap *h, void *p);
void quarantine_hold(slz_heap *h, uint32_t g);
void quarantine_flush(slz_heap *h);
size_t quarantine_check(const slz_heap *h, size_t cells, const char **first);

#endif /* SLZ_CACHE_H */
