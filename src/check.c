/*
 * check.c - the checker: every invariant of src/chunk.h (and the cache's,
 * cache.h) over the whole heap (slz_heap_check), or those of the few
 * chunks around one address (slz_heap_check_at), at a cost that does not
 * grow with the heap: what SLZ_CHECK=1 runs around each call.
 */
#include "cache.h"
#include "lines.h"

/* ---- The checker ------------------------------------------------------- */

struct tally {
    size_t bad;
    const char *what;
};
static void violation(struct tally *t, const char *what)
{
    if (t->bad++ == 0)
        t->what = what;
}

/* check_chunk: one chunk at g of n granules against invariants 1, 3, 4, 7. */
static void check_chunk(const slz_heap *h, struct tally *t, uint32_t g, uint32_t n, int prev_free)
{
    slz_chunk *c = chunk_at(h, g);
    int used = is_used(h, g);
    if (n < MIN_GRAINS)
        violation(t, "chunk smaller than the minimum");
    if (!header_ok(h, c, (size_t)n * SLZ_ALIGN, used) && !cache_header_ok(h, g))
        violation(t, "chunk header differs from the heap's bits");
    if (!used && canary_off(c) != 0)
        violation(t, "free chunk canary is damaged");
    if (!used && prev_free)
        violation(t, "two free chunks are adjacent");
    if ((g + n - 1) / SLZ_CELL != g / SLZ_CELL && h->cells[(g + n - 1) / SLZ_CELL].lead != g)
        violation(t, "a cell's lead differs from where its chunk began");
}

/* check_words: what the heap's own words say: a chunk begins at the
 * arena's start (invariant 1), the top's release record and the keep zone
 * are in range (invariant 10). */
static void check_words(const slz_heap *h, struct tally *t)
{
    if ((h->cells[0].start & 1) == 0)
        violation(t, "no chunk begins at the arena's start");
    if (h->rel_a > h->rel_r || h->rel_r > h->grains || (h->rel_a == h->rel_r && h->rel_a != 0) ||
        h->keep < SLZ_KEEP / SLZ_ALIGN || h->keep > SLZ_KEEP_MAX / SLZ_ALIGN)
        violation(t, "the top's release record or the keep zone is out of range");
}

/* check_release: invariant 10, for the cells up to the mark. */
static void check_release(const slz_heap *h, struct tally *t, size_t cells)
{
    for (size_t k = 0; k < cells; k++)
        if (h->cells[k].spare > h->grains)
            violation(t, "a cell's release record lies outside the arena");
}

/* The walk's running totals, to compare with the heap's counters. */
struct totals {
    size_t nfree, freeb, used, live;
    int prev_free; /* the chunk before was free */
};

/* take_chunk: the chunk from g up to end (the next start bit, or the end of
 * the arena): checked, then counted. */
static void take_chunk(const slz_heap *h, struct tally *t, struct totals *s, uint32_t g, uint32_t end)
{
    size_t bytes = (size_t)(end - g) * SLZ_ALIGN;
    if (end - g != grains_of(h, g))
        violation(t, "a cell's last size differs from its last chunk");
    check_chunk(h, t, g, end - g, s->prev_free);
    s->prev_free = !is_used(h, g);
    s->nfree += s->prev_free;
    s->freeb += s->prev_free ? bytes : 0;
    s->used += s->prev_free ? 0 : bytes;
    s->live += !s->prev_free;
}

size_t slz_heap_check(const slz_heap *h, const char **first)
{
    struct tally t = {0, NULL};
    if (h == NULL)
        goto out;
    check_words(h, &t);
    struct totals s = {0, 0, 0, 0, 0};
    uint32_t g = 0;
    /* every start bit, in order: the next one (or the end) bounds the chunk.
     * Cells above the high-water mark were never written: their bits stay
     * zero (the top chunk, if any, begins at or below the mark). */
    size_t cells = h->st.high_water / (SLZ_CELL * SLZ_ALIGN) + 1;
    cells = cells < h->ncells ? cells : h->ncells;
    for (size_t k = 0; k < cells; k++) {
        for (uint64_t w = h->cells[k].start; w; w &= w - 1) {
            uint32_t b = (uint32_t)(k * SLZ_CELL + (size_t)__builtin_ctzll(w));
            if (b == 0)
                continue;
            take_chunk(h, &t, &s, g, b);
            g = b;
        }
    }
    take_chunk(h, &t, &s, g, h->grains);
    check_release(h, &t, cells);
    if (s.nfree != h->st.free_chunks || s.freeb != (size_t)h->grains * SLZ_ALIGN - h->st.in_use)
        violation(&t, "free chunk totals disagree with the heap");
    if (s.used != h->st.in_use || s.live != h->st.mallocs - h->st.frees + cache_held(h))
        violation(&t, "bytes in use disagree with the heap");
    const char *iw = NULL, *cw = NULL;
    size_t ib = index_check(h, cells, &iw), cb = cache_check(h, cells, &cw);
    if ((ib || cb) && t.bad == 0)
        t.what = ib ? iw : cw;
    t.bad += ib + cb;
out:
    if (first)
        *first = t.what;
    return t.bad;
}


/* ---- The local check --------------------------------------------------- */

static unsigned top_bit(uint64_t w) { return 63u - (unsigned)__builtin_clzll(w); }

/* chunk_holding: where the chunk that holds granule g (< grains) begins: a
 * start bit at or below g in its cell; else, with a start above g there,
 * the chunk ends in the cell: its lead; else the cell lies inside one
 * chunk: the arena's last one, or the nearest cell with a start bit is
 * looked for below and above at once (as far as the nearer of the chunk's
 * ends). SLZ_NONE if the bits lead nowhere. */
static uint32_t chunk_holding(const slz_heap *h, uint32_t g)
{
    size_t k = g / SLZ_CELL, kmax = (h->grains - 1) / SLZ_CELL;
    uint64_t st = h->cells[k].start, upto = st & ((bit_of(g) << 1) - 1);
    if (upto)
        return (uint32_t)(k * SLZ_CELL + top_bit(upto));
    if (st)
        return h->cells[k].lead;
    uint32_t last = bits_prev_start(h, h->grains);
    if (g >= last && last < h->grains)
        return last;
    for (size_t d = 1; d <= k || k + d <= kmax; d++) {
        if (d <= k && h->cells[k - d].start)
            return (uint32_t)((k - d) * SLZ_CELL + top_bit(h->cells[k - d].start));
        if (k + d <= kmax && h->cells[k + d].start)
            return bits_prev_start(h, (uint32_t)((k + d) * SLZ_CELL + (size_t)__builtin_ctzll(h->cells[k + d].start)));
    }
    return SLZ_NONE;
}

/* near_chunk: the chunk at s against invariants 1, 2, 3, 4 and 7 (its
 * size, its end a start or the arena's end with no start bit before it in
 * its last cell, header, canary, lead; prev_free: the chunk below it is
 * free) and 10 (its cells' records). Its end, or SLZ_NONE when its size
 * cannot be followed. */
static uint32_t near_chunk(const slz_heap *h, struct tally *t, uint32_t s, int prev_free)
{
    if (s >= h->grains || !is_start(h, s)) {
        violation(t, "a cell's lead differs from where its chunk began");
        return SLZ_NONE;
    }
    uint32_t n = grains_of(h, s), e = s + n;
    if (n == 0 || n > h->grains - s) {
        violation(t, "a cell's last size differs from its last chunk");
        return SLZ_NONE;
    }
    const struct slz_cell *ce = cell_of(h, e - 1);
    if ((e < h->grains && !is_start(h, e)) ||
        ((e - 1) / SLZ_CELL != s / SLZ_CELL && (ce->start & ((bit_of(e - 1) << 1) - 1))))
        violation(t, "a cell's last size differs from its last chunk");
    check_chunk(h, t, s, n, prev_free);
    if (cell_of(h, s)->spare > h->grains || ce->spare > h->grains)
        violation(t, "a cell's release record lies outside the arena");
    return e;
}

/* cell_largest: the largest free chunk that begins in cell k. */
static uint32_t cell_largest(const slz_heap *h, size_t k)
{
    const struct slz_cell *c = &h->cells[k];
    uint32_t m = 0;
    for (uint64_t f = c->start & ~c->used; f; f &= f - 1) {
        uint32_t s = size_in_cell(c, c->start, (unsigned)__builtin_ctzll(f));
        m = s > m ? s : m;
    }
    return m;
}

/* index_path: invariant 6 from cell k up to the walk's first line: k's
 * entry is its largest free chunk (zero beyond the span), each entry above
 * the maximum of its line. */
static void index_path(const slz_heap *h, struct tally *t, size_t k)
{
    if (h->lv[0][k] != cell_largest(h, k))
        violation(t, "index entry differs from its cell's largest free chunk");
    if (k >= h->span && h->lv[0][k])
        violation(t, "index entry beyond the span the walk starts from");
    for (int l = 1; l <= h->start; l++) {
        k /= SLZ_FAN;
        if (h->lv[l][k] != line_max_plain(h->lv[l - 1] + k * SLZ_FAN))
            violation(t, "index entry differs from the maximum of its line");
    }
}

/* near_block: the chunk that holds granule g, its neighbours below and
 * above, and the index paths of the cells where they begin (and of g's:
 * a block just freed may have begun there). */
static void near_block(const slz_heap *h, struct tally *t, uint32_t g)
{
    uint32_t s = chunk_holding(h, g), a = SLZ_NONE, e;
    if (s == SLZ_NONE) {
        violation(t, "no chunk begins at the arena's start");
        return;
    }
    if (s > 0 && ((a = bits_prev_start(h, s)) >= s || near_chunk(h, t, a, 0) != s))
        violation(t, "a cell's lead differs from where its chunk began");
    int below_free = a < s && !is_used(h, a);
    if ((e = near_chunk(h, t, s, below_free)) == SLZ_NONE)
        return;
    if (g < s || g >= e)
        violation(t, "a cell's lead differs from where its chunk began");
    if (e < h->grains)
        near_chunk(h, t, e, !is_used(h, s));
    uint32_t at[4] = {a, s, g, e}; /* (in address order: a cell once) */
    for (int i = 0; i < 4; i++)
        if (at[i] < h->grains && (i == 0 || at[i] / SLZ_CELL != at[i - 1] / SLZ_CELL))
            index_path(h, t, at[i] / SLZ_CELL);
}

size_t slz_heap_check_at(const slz_heap *h, const void *p, const char **first)
{
    struct tally t = {0, NULL};
    if (h == NULL)
        goto out;
    check_words(h, &t);
    if (h->span > h->reach[h->start])
        violation(&t, "the walk's first line does not cover the span");
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base - SLZ_HDR;
    if (p != NULL && off < (size_t)h->grains * SLZ_ALIGN)
        near_block(h, &t, (uint32_t)(off / SLZ_ALIGN));
    near_block(h, &t, h->grains - 1); /* and the arena's last chunk, which most calls meet */
out:
    if (first)
        *first = t.what;
    return t.bad;
}
