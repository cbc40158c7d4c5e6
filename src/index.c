/*
 * index.c - the heap's out-of-band state: the chunk bits, their summary,
 * the first-fit index and the pending frees of other threads.
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
 * at each line take the first entry >= need (one 64-byte line, compared 4
 * lanes at a time), then, in the cell found, the first free chunk that is
 * big enough. Cells are in address order and so are the bits in a cell, so
 * this is exactly the lowest-addressed free chunk that fits: a linear scan
 * of the heap would stop at the same chunk. The walk reads one line per
 * level; a 1 GiB heap has 2^20 cells and 5 levels, whatever the number of
 * free chunks. An update rewrites one level-0 entry and climbs while the
 * maximum of its line changes. Only the levels up to the lowest line that
 * covers every cell that ever held a free chunk are kept (start, span): a
 * heap whose blocks live in its first 4 MiB walks three levels, not five.
 *
 * The summary ("any") tells which cells have a start bit, one bit per cell,
 * and above that one bit per nonzero word, so that the chunk before a
 * granule is found in a few word reads however far below it begins.
 */
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "chunk.h"

/* ---- Bits ------------------------------------------------------------- */

/* The owner changes the bits while another thread may read them for a free
 * of its own (slz_free_deferred): word-sized relaxed accesses. */
static inline uint64_t rd(const uint64_t *w) { return __atomic_load_n(w, __ATOMIC_RELAXED); }
static inline void wr(uint64_t *w, uint64_t v) { __atomic_store_n(w, v, __ATOMIC_RELAXED); }

static inline int top_bit(uint64_t w) { return 63 - __builtin_clzll(w); }

/* any_set / any_clear: cell k has / no longer has a start bit. */
static void any_set(slz_heap *h, size_t k)
{
    for (int l = 0; l < h->nany; l++, k /= 64) {
        uint64_t *w = &h->any[l][k / 64], b = (uint64_t)1 << (k % 64);
        if (*w & b)
            return;
        int was_zero = *w == 0;
        *w |= b;
        if (!was_zero)
            return;
    }
}
static void any_clear(slz_heap *h, size_t k)
{
    for (int l = 0; l < h->nany; l++, k /= 64) {
        uint64_t *w = &h->any[l][k / 64];
        *w &= ~((uint64_t)1 << (k % 64));
        if (*w != 0)
            return;
    }
}

/* bits_note_size: the chunk at g is size granules; the cell records it
 * when no later chunk begins in the cell. */
void bits_note_size(slz_heap *h, uint32_t g, uint32_t size)
{
    struct slz_cell *c = cell_of(h, g);
    if (((c->start >> (g % SLZ_CELL)) >> 1) == 0)
        c->last = size;
}

/* bits_start: a free chunk of size granules begins at g. */
void bits_start(slz_heap *h, uint32_t g, uint32_t size)
{
    struct slz_cell *c = cell_of(h, g);
    uint64_t b = bit_of(g);
    if (c->start == 0)
        any_set(h, g / SLZ_CELL);
    wr(&c->start, c->start | b);
    wr(&c->used, c->used & ~b);
    c->tomb &= ~b;
    bits_note_size(h, g, size);
}

/* bits_unstart: the chunk at g is swallowed by the one below it. */
void bits_unstart(slz_heap *h, uint32_t g)
{
    struct slz_cell *c = cell_of(h, g);
    uint64_t b = bit_of(g);
    wr(&c->start, c->start & ~b);
    wr(&c->used, c->used & ~b);
    c->tomb |= b;
    if (c->start == 0)
        any_clear(h, g / SLZ_CELL);
}

/* bits_prev_start: where the chunk just below granule g begins (g > 0). */
uint32_t bits_prev_start(const slz_heap *h, uint32_t g)
{
    size_t k = g / SLZ_CELL;
    uint64_t below = h->cells[k].start & (bit_of(g) - 1);
    if (below)
        return (uint32_t)(k * SLZ_CELL + (size_t)top_bit(below));
    /* the nearest cell below k with a start bit, through the summary */
    size_t idx = k;
    for (int l = 0; l < h->nany; l++) {
        uint64_t w = h->any[l][idx / 64] & (((uint64_t)1 << (idx % 64)) - 1);
        if (w) {
            idx = (idx / 64) * 64 + (size_t)top_bit(w);
            while (l-- > 0)
                idx = idx * 64 + (size_t)top_bit(h->any[l][idx]);
            return (uint32_t)(idx * SLZ_CELL + (size_t)top_bit(h->cells[idx].start));
        }
        idx /= 64;
    }
    return SLZ_NONE;
}

/* ---- The first-fit index ------------------------------------------------ */

#if defined(__SSE2__)
/* The 16 entries of a line as four vectors, each entry's sign bit flipped
 * so that SSE2's signed compares order them as unsigned. */
struct line4 {
    __m128i v[4];
};
static inline struct line4 line_load(const uint32_t *line)
{
    const __m128i flip = _mm_set1_epi32((int)0x80000000u);
    const __m128i *p = (const __m128i *)line;
    struct line4 x = {{_mm_xor_si128(_mm_load_si128(p), flip), _mm_xor_si128(_mm_load_si128(p + 1), flip),
                       _mm_xor_si128(_mm_load_si128(p + 2), flip), _mm_xor_si128(_mm_load_si128(p + 3), flip)}};
    return x;
}

/* first_ge: the first of the 16 entries of line that is >= need (need >= 1),
 * or -1. The four compare masks are packed to one byte per entry for a
 * single movemask. */
static inline int first_ge(const uint32_t *line, uint32_t need)
{
    const __m128i lim = _mm_set1_epi32((int)((need - 1) ^ 0x80000000u));
    struct line4 x = line_load(line);
    __m128i lo = _mm_packs_epi32(_mm_cmpgt_epi32(x.v[0], lim), _mm_cmpgt_epi32(x.v[1], lim));
    __m128i hi = _mm_packs_epi32(_mm_cmpgt_epi32(x.v[2], lim), _mm_cmpgt_epi32(x.v[3], lim));
    unsigned m = (unsigned)_mm_movemask_epi8(_mm_packs_epi16(lo, hi));
    return m ? __builtin_ctz(m) : -1;
}

/* vmax: the lane-wise larger of a and b (signed; SSE2 has no pmaxsd). */
static inline __m128i vmax(__m128i a, __m128i b)
{
    __m128i gt = _mm_cmpgt_epi32(a, b);
    return _mm_or_si128(_mm_and_si128(gt, a), _mm_andnot_si128(gt, b));
}

/* line_max: the largest of the 16 entries of line. */
static inline uint32_t line_max(const uint32_t *line)
{
    struct line4 x = line_load(line);
    __m128i m = vmax(vmax(x.v[0], x.v[1]), vmax(x.v[2], x.v[3]));
    m = vmax(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(1, 0, 3, 2)));
    m = vmax(m, _mm_shuffle_epi32(m, _MM_SHUFFLE(2, 3, 0, 1)));
    return (uint32_t)_mm_cvtsi128_si32(m) ^ 0x80000000u;
}
#else
/* first_ge and line_max in plain C, for machines without SSE2 (aarch64:
 * make test-aarch64): the same results, one entry at a time. */
static inline int first_ge(const uint32_t *line, uint32_t need)
{
    for (int i = 0; i < SLZ_FAN; i++)
        if (line[i] >= need)
            return i;
    return -1;
}

static inline uint32_t line_max(const uint32_t *line)
{
    uint32_t m = 0;
    for (int i = 0; i < SLZ_FAN; i++)
        m = line[i] > m ? line[i] : m;
    return m;
}
#endif

/* cell_max: the largest free chunk that begins in cell k, the top excepted. */
static uint32_t cell_max(const slz_heap *h, size_t k)
{
    const struct slz_cell *c = &h->cells[k];
    uint64_t f = c->start & ~c->used;
    uint32_t m = 0;
    while (f) {
        uint32_t g = (uint32_t)(k * SLZ_CELL + (size_t)__builtin_ctzll(f));
        f &= f - 1;
        uint32_t s = g == h->top ? 0 : grains_of(h, g);
        m = s > m ? s : m;
    }
    return m;
}

/* widen: the walk's first line must cover cell k: raise start, and give
 * each new level its first entry (the levels above start are not kept:
 * nothing beyond the span is nonzero, so line 0 of lv[start] sees all). */
static void widen(slz_heap *h, size_t k)
{
    h->span = k + 1;
    while (h->start < h->nlv - 1 && h->span > h->reach[h->start]) {
        h->start++;
        h->lv[h->start][0] = line_max(h->lv[h->start - 1]);
    }
}

/* index_set: level-0 entry k becomes v. Climb (up to the walk's first
 * line) while the maximum of a line changes: a larger value raises its
 * parent only while it beats it; a smaller one lowers it only if it was
 * the maximum (then the line is read). */
static void index_set(slz_heap *h, size_t k, uint32_t v)
{
    uint32_t old = h->lv[0][k];
    if (old == v)
        return;
    h->lv[0][k] = v;
    if (v > old) {
        if (k >= h->span)
            widen(h, k);
        for (int l = 1; l <= h->start; l++) {
            uint32_t *par = &h->lv[l][k /= SLZ_FAN];
            if (*par >= v)
                return;
            *par = v;
        }
        return;
    }
    for (int l = 1; l <= h->start; l++) {
        const uint32_t *line = h->lv[l - 1] + k / SLZ_FAN * SLZ_FAN;
        uint32_t *par = &h->lv[l][k /= SLZ_FAN], was = *par;
        if (was > old)
            return;
        uint32_t m = line_max(line);
        if (m == was)
            return;
        *par = m;
        old = was;
    }
}

/* index_refresh: the free chunks that begin in g's cell have changed. */
void index_refresh(slz_heap *h, uint32_t g) { index_set(h, g / SLZ_CELL, cell_max(h, g / SLZ_CELL)); }

/* index_grew: the free chunk at g is size granules now, and no other free
 * chunk of its cell changed: the cell's entry can only rise. */
void index_grew(slz_heap *h, uint32_t g, uint32_t size)
{
    size_t k = g / SLZ_CELL;
    if (size > h->lv[0][k])
        index_set(h, k, size);
}

/* index_lost: a free chunk of old granules in g's cell left the index or
 * shrank: only if it was the cell's largest must the cell be read again. */
void index_lost(slz_heap *h, uint32_t g, uint32_t old)
{
    size_t k = g / SLZ_CELL;
    if (h->lv[0][k] == old)
        index_set(h, k, cell_max(h, k));
}

/* in_cell: the first free chunk of cell k at or above granule from that
 * has need granules, or SLZ_NONE. */
static uint32_t in_cell(const slz_heap *h, size_t k, uint32_t need, uint32_t from)
{
    const struct slz_cell *c = &h->cells[k];
    uint64_t f = c->start & ~c->used;
    if (from > k * SLZ_CELL)
        f &= ~(bit_of(from) - 1);
    while (f) {
        uint32_t g = (uint32_t)(k * SLZ_CELL + (size_t)__builtin_ctzll(f));
        f &= f - 1;
        if (g != h->top && grains_of(h, g) >= need)
            return g;
    }
    return SLZ_NONE;
}

/* descend: from entry idx of level l (known >= need) down to the cell,
 * then the chunk. */
static uint32_t descend(const slz_heap *h, int l, size_t idx, uint32_t need)
{
    while (l > 0) {
        l--;
        idx = idx * SLZ_FAN + (size_t)first_ge(h->lv[l] + idx * SLZ_FAN, need);
    }
    return in_cell(h, idx, need, 0);
}

/* index_find: the lowest-addressed free chunk (the top excepted) that
 * begins at or above granule from and has need granules, or SLZ_NONE. */
uint32_t index_find(const slz_heap *h, uint32_t need, uint32_t from)
{
    if (from == 0) { /* from the lowest line that covers every entry in use */
        int i = first_ge(h->lv[h->start], need);
        return i < 0 ? SLZ_NONE : descend(h, h->start, (size_t)i, need);
    }
    size_t idx = from / SLZ_CELL;
    if (idx >= h->span)
        return SLZ_NONE;
    if (h->lv[0][idx] >= need) {
        uint32_t g = in_cell(h, idx, need, from);
        if (g != SLZ_NONE)
            return g;
    }
    /* the next entry to the right at each level, climbing until one fits */
    for (int l = 0; l <= h->start; l++) {
        const uint32_t *line = h->lv[l] + (idx / SLZ_FAN) * SLZ_FAN;
        for (size_t j = idx % SLZ_FAN + 1; j < SLZ_FAN; j++)
            if (line[j] >= need)
                return descend(h, l, (idx / SLZ_FAN) * SLZ_FAN + j, need);
        idx /= SLZ_FAN;
    }
    return SLZ_NONE;
}

uint32_t index_root_max(const slz_heap *h) { return line_max(h->lv[h->start]); }

/* index_check: every level-0 entry of the first cells (the rest were
 * never written) is its cell's largest free chunk, every entry above the
 * maximum of its line, every summary bit right. */
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
    size_t n = cells;
    for (int l = 1; l <= h->start; l++) {
        n = (n + SLZ_FAN - 1) / SLZ_FAN;
        for (size_t p = 0; p < n; p++)
            if (h->lv[l][p] != line_max(h->lv[l - 1] + p * SLZ_FAN) && bad++ == 0)
                *first = "index entry differs from the maximum of its line";
    }
    for (size_t k = 0; k < cells; k++)
        if (((h->any[0][k / 64] >> (k % 64)) & 1) != (h->cells[k].start != 0) && bad++ == 0)
            *first = "summary bit disagrees with its cell";
    n = (cells + 63) / 64;
    for (int l = 1; l < h->nany; l++) {
        for (size_t i = 0; i < n; i++)
            if (((h->any[l][i / 64] >> (i % 64)) & 1) != (h->any[l - 1][i] != 0) && bad++ == 0)
                *first = "summary bit disagrees with the level below";
        n = (n + 63) / 64;
    }
    return bad;
}

/* ---- Frees by other threads -------------------------------------------- */

/* pending_mark: another thread gives back the block at granule g. One
 * atomic OR on the block's bit; the summary bits and pend_any are read first
 * and written only when not set yet (a run of frees into one heap writes
 * each once). Every access is sequentially consistent: a summary bit read
 * as set comes before the owner's exchange that clears it, so the owner's
 * later exchange of the word below sees this OR. Returns nonzero when g was
 * pending already (a double free). */
static inline void mark_once(uint64_t *w, uint64_t b)
{
    if (!(__atomic_load_n(w, __ATOMIC_SEQ_CST) & b))
        __atomic_fetch_or(w, b, __ATOMIC_SEQ_CST);
}
int pending_mark(slz_heap *h, uint32_t g)
{
    size_t k = g / SLZ_CELL;
    uint64_t b = bit_of(g);
    if (__atomic_fetch_or(&h->pend[0][k], b, __ATOMIC_SEQ_CST) & b)
        return 1;
    mark_once(&h->pend[1][k / 64], (uint64_t)1 << (k % 64));
    mark_once(&h->pend[2][k / 4096], (uint64_t)1 << ((k / 64) % 64));
    if (!__atomic_load_n(&h->pend_any, __ATOMIC_SEQ_CST))
        __atomic_store_n(&h->pend_any, 1, __ATOMIC_SEQ_CST);
    return 0;
}

/* pending_drain: the owner takes every pending free, calling fn for each.
 * Every block lies below the high-water mark: so do the words to read. */
void pending_drain(slz_heap *h, void (*fn)(slz_heap *, uint32_t))
{
    __atomic_store_n(&h->pend_any, 0, __ATOMIC_SEQ_CST);
    size_t n2 = h->st.high_water / SLZ_ALIGN / SLZ_CELL / 64 / 64 + 1;
    if (n2 > h->pendn[2])
        n2 = h->pendn[2];
    for (size_t i2 = 0; i2 < n2; i2++) {
        if (__atomic_load_n(&h->pend[2][i2], __ATOMIC_SEQ_CST) == 0)
            continue;
        uint64_t w2 = __atomic_exchange_n(&h->pend[2][i2], 0, __ATOMIC_SEQ_CST);
        for (; w2; w2 &= w2 - 1) {
            size_t i1 = i2 * 64 + (size_t)__builtin_ctzll(w2);
            uint64_t w1 = __atomic_exchange_n(&h->pend[1][i1], 0, __ATOMIC_SEQ_CST);
            for (; w1; w1 &= w1 - 1) {
                size_t k = i1 * 64 + (size_t)__builtin_ctzll(w1);
                uint64_t w0 = __atomic_exchange_n(&h->pend[0][k], 0, __ATOMIC_SEQ_CST);
                for (; w0; w0 &= w0 - 1)
                    fn(h, (uint32_t)(k * SLZ_CELL + (size_t)__builtin_ctzll(w0)));
            }
        }
    }
}
