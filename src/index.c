/*
 * index.c - the heap's out-of-band state: the chunk bits, the first-fit
 * index and the pending frees of other threads.
 *
 * The first-fit index is a max-tree of fixed shape over the cells (1 KiB of
 * arena each). Level 0 holds, per cell, the size of the largest free chunk
 * that begins in it; every level above holds the maximum of each 64-byte
 * line (16 entries) of the level below; the top level is one line, the root:
 *
 *   root      [ 7 | 0 | 0 | ... ]                      max of 16 lines below
 *   level 1   [ 0 | 7 | 2 | ... ] [ 0 | 0 | ... ] ...   max of 16 cells each
 *   level 0   [ 0 | 0 | 4 | 7 | ... ] ...               one entry per cell
 *   cells     start/used bits -> the chunks that begin in each cell
 *
 * The first fit for a request of need granules walks down from the root:
 * at each line take the first entry >= need (one 64-byte line compared at
 * once, lines.h), then, in the cell found, the first free chunk that is big
 * enough. Cells are in address order and so are the bits in a cell, so
 * this is exactly the lowest-addressed free chunk that fits: a linear scan
 * of the heap would stop at the same chunk. The walk reads one line per
 * level; a 1 GiB heap has 2^20 cells and 5 levels, whatever the number of
 * free chunks. An update rewrites one level-0 entry and climbs while the
 * maximum of its line changes: a rise only while it beats the parent, a
 * fall only while the entry was the parent's maximum. Only the levels up to
 * the lowest line that covers every cell that ever held a free chunk are
 * kept (start, span): a heap whose blocks live in its first 4 MiB walks
 * three levels, not five. The arena's last chunk is indexed like any other.
 */
#include "chunk.h"
#include "lines.h"

/* ---- Bits ------------------------------------------------------------- */

static inline unsigned top_bit(uint64_t w) { return 63u - (unsigned)__builtin_clzll(w); }

/* bits_prev_start: where the chunk just below granule g begins (g > 0, a
 * start): the start bit below g in its cell, else the chunk ends in g's
 * cell (its lead) or, for g at a cell's first granule (the rare case), in
 * the cell before. The choice between the first two is a mask. */
uint32_t bits_prev_start(const slz_heap *h, uint32_t g)
{
    size_t k = g / SLZ_CELL;
    const struct slz_cell *c = &h->cells[k];
    if (g % SLZ_CELL == 0)
        return c[-1].start ? (uint32_t)((k - 1) * SLZ_CELL + top_bit(c[-1].start)) : c[-1].lead;
    uint64_t below = c->start & (bit_of(g) - 1);
    uint32_t near = (uint32_t)(k * SLZ_CELL + top_bit(below | 1)), mine = -(uint32_t)(below != 0);
    return (near & mine) | (c->lead & ~mine);
}

/* ---- The first-fit index ------------------------------------------------ */

/* The line versions (lines.h): the walk and the fall of an entry, compiled
 * once per version; the heap calls the one its CPU runs best. */
#define SLZ_VERSIONED "index_walk.h"
#include "versions.h"

/* index_pick_lines: the line version for this CPU (AVX2's for an arena
 * that never holds 2^31 granules: its compares are signed, lines.h; and
 * for a CPU with AES-NI, which every AVX2 CPU sold has: malloc's and free's AVX2 passes
 * key their check words with it unasked, versions.h). */
void index_pick_lines(slz_heap *h)
{
#ifdef SLZ_LINES_X86
    __builtin_cpu_init();
    int cpu = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("bmi2") && __builtin_cpu_supports("aes");
    h->lines = cpu && h->grains_max <= INT32_MAX ? 1 : 0;
#else
    h->lines = 0;
#endif
}

/* The versions, in read-only tables indexed by h->lines (0 baseline, 1
 * AVX2): one indirect call, no branch on the version. (malloc's pass has
 * its own versions, alloc.c.) */
#ifdef SLZ_LINES_X86
static void (*const refreshes[2])(slz_heap *, size_t) = {refresh_sse2, refresh_avx2};
#else
static void (*const refreshes[2])(slz_heap *, size_t) = {refresh_plain, refresh_plain};
#endif

/* index_refresh: the free chunks that begin in cell k have changed. */
void index_refresh(slz_heap *h, size_t k)
{
    refreshes[h->lines & 1](h, k);
}

/* index_lower: a merge took the largest free chunk of cell lost into a
 * bigger one that begins in cell k (another cell), whose entry rises next
 * (index_raise, which climbs to the walk's first line). lost's entry falls,
 * and each parent with it while lost's line is not k's: from the line they
 * share up, the rise covers it (a parent there was at least what lost lost,
 * and becomes at least the bigger chunk). Each line is read before its
 * entry is stored (index_walk.h's lower and fall_read: read after, a line's
 * load waited at every level; a third of the a, c, b pattern's free time,
 * perf). */
#ifdef SLZ_LINES_X86
static void (*const lowers[2])(slz_heap *, size_t, size_t) = {lower_sse2, lower_avx2};
#else
static void (*const lowers[2])(slz_heap *, size_t, size_t) = {lower_plain, lower_plain};
#endif
void index_lower(slz_heap *h, size_t lost, size_t k) { lowers[h->lines & 1](h, lost, k); }

/* widen: the walk's first line must cover cell k: raise start, and give
 * each new level its first entry (the levels above start are not kept:
 * nothing beyond the span is nonzero, so line 0 of lv[start] sees all),
 * and the level above it the stop of index_raise's climb. */
void widen(slz_heap *h, size_t k)
{
    h->span = k + 1;
    while (h->start < h->nlv - 1 && h->span > h->reach[h->start]) {
        h->start++;
        h->lv[h->start][0] = line_max_default(h->lv[h->start - 1]); /* (was the stop) */
        h->lv[h->start + 1][0] = SLZ_STOP;
    }
}

/* in_cell: the first free chunk of cell k at or above granule from that
 * has need granules, or SLZ_NONE. */
static uint32_t in_cell(const slz_heap *h, size_t k, uint32_t need, uint32_t from)
{
    const struct slz_cell *c = &h->cells[k];
    uint64_t f = c->start & ~c->used;
    if (from > k * SLZ_CELL)
        f &= ~(bit_of(from) - 1);
    for (; f; f &= f - 1) {
        uint32_t g = (uint32_t)(k * SLZ_CELL + (size_t)__builtin_ctzll(f));
        if (grains_of(h, g) >= need)
            return g;
    }
    return SLZ_NONE;
}

/* index_find: the lowest-addressed free chunk that begins at or above
 * granule from and has need granules, or SLZ_NONE: its own cell, then the
 * next entry to the right at each level, climbing until one fits, then
 * down again. */
uint32_t index_find(const slz_heap *h, uint32_t need, uint32_t from)
{
    size_t idx = from / SLZ_CELL;
    if (idx >= h->span)
        return SLZ_NONE;
    if (h->lv[0][idx] >= need) {
        uint32_t g = in_cell(h, idx, need, from);
        if (g != SLZ_NONE)
            return g;
    }
    for (int l = 0; l <= h->start; l++, idx /= SLZ_FAN) {
        size_t at = idx / SLZ_FAN * SLZ_FAN;
        unsigned m = ge_mask_default(h->lv[l] + at, need) & (0xfffeu << (idx % SLZ_FAN));
        if (!m)
            continue;
        idx = at + (size_t)__builtin_ctz(m);
        while (l-- > 0)
            idx = idx * SLZ_FAN + (size_t)__builtin_ctz(ge_mask_default(h->lv[l] + idx * SLZ_FAN, need));
        return in_cell(h, idx, need, 0);
    }
    return SLZ_NONE;
}

uint32_t index_root_max(const slz_heap *h) { return line_max_default(h->lv[h->start]); }

/* index_check: every level-0 entry of the first cells (the rest were
 * never written) is its cell's largest free chunk, every entry above the
 * maximum of its line. */
size_t index_check(const slz_heap *h, size_t cells, const char **first)
{
    size_t bad = 0;
    for (size_t k = 0; k < cells; k++)
        if (h->lv[0][k] != cell_max(h, k) && bad++ == 0)
            *first = "index entry differs from its cell's largest free chunk";
    for (size_t k = h->span; k < cells; k++)
        if (h->lv[0][k] && bad++ == 0)
            *first = "index entry beyond the span the walk starts from";
    if (h->span > h->reach[h->start] && bad++ == 0)
        *first = "the walk's first line does not cover the span";
    if (h->lv[h->start + 1][0] != SLZ_STOP && bad++ == 0)
        *first = "no stop above the walk's first line";
    size_t n = cells;
    for (int l = 1; l <= h->start; l++) {
        n = (n + SLZ_FAN - 1) / SLZ_FAN;
        for (size_t p = 0; p < n; p++)
            if (h->lv[l][p] != line_max_default(h->lv[l - 1] + p * SLZ_FAN) && bad++ == 0)
                *first = "index entry differs from the maximum of its line";
    }
    return bad;
}

/* ---- Frees by other threads -------------------------------------------- */

/* pending_mark: another thread gives back the blocks at granules g[0..n)
 * (the frees of one call of slz_free_deferred_n, usually in address
 * order). One atomic OR for each run of them in one word of bits; the
 * summary bits above the word are read first and written only when not set
 * yet, after it (a run of frees into one heap writes each once), and
 * pend_any once, after all. Every access is sequentially consistent: a
 * summary bit read as set comes before the owner's AND that clears it (at
 * either level: a bit stays set while the words below it get frees,
 * pending.h), and the owner reads the words below again after it, so it
 * sees this OR; pend_any
 * read as set comes before the owner's store that clears it, and its drain
 * after that store sees every OR. Returns the index of a granule pending
 * already (a double free: twice here, or freed before and not yet taken),
 * else n. */
static inline void mark_once(uint64_t *w, uint64_t b)
{
    if (!(__atomic_load_n(w, __ATOMIC_SEQ_CST) & b))
        __atomic_fetch_or(w, b, __ATOMIC_SEQ_CST);
}
/* or_bits: *w |= m, the bits of m that were set already; m is bit s alone
 * when one (a free alone: a lock bts, where the compare-and-swap loop that
 * a word of bits needs loads the line first, then writes it: two transfers
 * where another thread wrote it last, not one). */
static inline uint64_t or_bits(uint64_t *w, uint64_t m, int one, unsigned s)
{
    if (!one)
        return __atomic_fetch_or(w, m, __ATOMIC_SEQ_CST) & m;
    uint64_t b = (uint64_t)1 << s;
    return __atomic_fetch_or(w, b, __ATOMIC_SEQ_CST) & b;
}
size_t pending_mark(slz_heap *h, const uint32_t *g, size_t n)
{
    for (size_t i = 0, j; i < n; i = j) {
        size_t k = g[i] / SLZ_CELL;
        uint64_t m = 0, b;
        for (j = i; j < n && g[j] / SLZ_CELL == k; j++, m |= b)
            if (m & (b = bit_of(g[j])))
                return j;
        uint64_t was = or_bits(&h->pend[0][k], m, j == i + 1, g[i] % SLZ_CELL);
        for (size_t d = i; was; d++) /* (the first of them that was set) */
            if (was & bit_of(g[d]))
                return d;
        mark_once(&h->pend[1][k / 64], (uint64_t)1 << (k % 64));
        mark_once(&h->pend[2][k / 4096], (uint64_t)1 << ((k / 64) % 64));
    }
    if (!__atomic_load_n(&h->pend_any, __ATOMIC_SEQ_CST))
        __atomic_store_n(&h->pend_any, 1, __ATOMIC_SEQ_CST);
    return n;
}

/* pending_is: g's bit is set (read by the thread that set it, after its
 * check of the block failed: still set, no drain took it). */
int pending_is(const slz_heap *h, uint32_t g)
{
    return (__atomic_load_n(&h->pend[0][g / SLZ_CELL], __ATOMIC_SEQ_CST) & bit_of(g)) != 0;
}

/* pending_announce: before its first pending bit, a thread other than the
 * owner makes sure the owner's carve looks at the bits (free.c, before
 * slz_free_deferred, argues why). remote goes 0 -> 1, every running thread
 * passes a full barrier, then 2: a thread that reads 2 knows the barrier is
 * behind it (the release store after it, the acquire load here). A heap
 * where the barrier is not available starts at 2 (heap.c). */
static __attribute__((noinline, cold)) void announce(slz_heap *h)
{
    int zero = 0;
    __atomic_compare_exchange_n(&h->remote, &zero, 1, 0, __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST);
    os_membarrier();
    __atomic_store_n(&h->remote, 2, __ATOMIC_RELEASE);
}
int pending_said(const slz_heap *h) { return __atomic_load_n(&h->remote, __ATOMIC_ACQUIRE) == 2; }
void pending_announce(slz_heap *h)
{
    if (!pending_said(h))
        announce(h); /* (once a heap: out of the way of every later free) */
}

/* full_fence: a sequentially consistent fence. On x86-64 a locked
 * read-modify-write of a stack word below the return address (the value
 * left as it was), as Linux's smp_mb: reads and writes are not reordered
 * with locked instructions (Intel SDM vol. 3A, "Memory Ordering in P6 and
 * More Recent Processor Families"), which is all a fence between ordinary
 * stores and loads of write-back memory needs (the stores it orders are
 * the core's own, to its bits and headers). mfence orders non-temporal
 * and write-combining accesses too, and cost 20 ns against 2.3 for this
 * between a store and a load on the Zen 3 machine of session 33
 * (tests/bench/RESULTS.md). Elsewhere, and under ThreadSanitizer (which
 * sees no asm), the C11 fence. */
static inline void full_fence(void)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
    __asm__ __volatile__("lock orq $0, -8(%%rsp)" : : : "memory", "cc");
#else
    __atomic_thread_fence(__ATOMIC_SEQ_CST);
#endif
}

/* pending_reused (the check, pending_look in chunk.h): the owner has just
 * made the block at g live again (carve, or the cache's pop), in a heap
 * where another thread has freed: g's bit,
 * read after a full fence when a block was given up since the last one
 * (st.frees moved, or fence_frees was set apart from every count, gave_up:
 * one compare; slz_free counts, and need not store more).
 * Set means another thread freed g after the owner freed it
 * itself (a free of the block's old life): reported, never applied to the
 * new block. What the fence orders is the store that ended g's last life
 * (or its push into the cache), not this one (free.c, before
 * slz_free_deferred, argues why): so the owner's mallocs between two of its
 * frees pay one fence. Out of the fast paths (they keep nothing alive for
 * it): inline in carve's way out when another thread ever freed (alloc.c's
 * reused, cold, where a call here cost a malloc 6.6 instructions more) and
 * in the cache's pop, both out of line themselves; the fence and the report
 * out of line. */
__attribute__((noinline, cold)) void pending_fence(slz_heap *h)
{
    full_fence();
    h->fence_frees = h->st.frees;
}
__attribute__((noinline, cold)) _Noreturn void pending_double(slz_heap *h, uint32_t g)
{
    slz_misuse(h->op, "double free", chunk2mem(chunk_at(h, g)));
}

/* (the owner's drain of the pending bits: pending.h, inline in its callers) */
