/*
 * free.c - giving chunks back: free (also from another thread), realloc,
 * and the checks that every block pointer passes first.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"
#include "grains.h" /* (a thread other than the owner reads the arena size) */

/* ---- Checking a block pointer ------------------------------------------ */

/* bad_block: block p (granule g, if inside the arena) failed block_grain's
 * checks: say which. */
static _Noreturn __attribute__((cold, noinline)) void bad_block(const slz_heap *h, const void *p, const char *op, uint32_t g)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base - SLZ_HDR;
    if ((off & (SLZ_ALIGN - 1)) || off >= (size_t)heap_grains_acquire(h) * SLZ_ALIGN)
        slz_misuse(op, "invalid pointer", p);
    const struct slz_cell *c = cell_of(h, g);
    uint64_t b = bit_of(g);
    if (!(__atomic_load_n(&c->start, __ATOMIC_RELAXED) & b))
        slz_misuse(op, (__atomic_load_n(&c->used, __ATOMIC_RELAXED) & b) ? "double free" : "invalid pointer", p);
    if (!(__atomic_load_n(&c->used, __ATOMIC_RELAXED) & b) || cache_holds(h, g)) /* (a cached block: */
        slz_misuse(op, "double free", p); /* its header has K, cache.h) */
    slz_misuse(op, "corrupted chunk header (write past the end of the block below?)", p);
}

/* block_bits: the granule of block p's chunk, checked against the bits:
 * a pointer inside the arena (one unsigned compare) at a chunk that is
 * allocated (one test of both bits); *size gets its size. block_grain:
 * the same, whose header says so too. op names the caller in a report.
 * Reads the bits with single loads only, so another thread may call it
 * while the owner works (see slz_free_deferred). */
/* (live_in: whether an allocated chunk begins at granule g, of cell c: one
 * test of both bits; *size gets the size the bits give it) */
static inline int live_in(const struct slz_cell *c, uint32_t g, uint32_t *size)
{
    uint64_t st = __atomic_load_n(&c->start, __ATOMIC_RELAXED);
    int live = (st & __atomic_load_n(&c->used, __ATOMIC_RELAXED) & bit_of(g)) != 0;
    *size = size_in_cell(c, st, g % SLZ_CELL);
    return live;
}
HOT uint32_t block_bits(const slz_heap *h, const void *p, const char *op, uint32_t *size)
{
    uintptr_t q = rot_grain(h, p);
    if (q >= heap_grains_acquire(h))
        bad_block(h, p, op, 0);
    uint32_t g = (uint32_t)q;
    if (!live_in(cell_of(h, g), g, size))
        bad_block(h, p, op, g);
    return g;
}
HOT uint32_t block_grain(const slz_heap *h, const void *p, const char *op, uint32_t *size)
{
    uint32_t n, g = block_bits(h, p, op, &n);
    if (!header_ok(h, chunk_at(h, g), (size_t)n * SLZ_ALIGN, 1))
        bad_block(h, p, op, g);
    *size = n;
    return g;
}

/* next_damaged: the header of the chunk above block p (at g) failed its
 * check: a block held by the fast mode's cache or the secure profile's
 * quarantine (its header has K, cache.h) passes; else damage, reported
 * (op: as release_in's). */
static __attribute__((cold, noinline)) void next_damaged(slz_heap *h, uint32_t g, uint32_t nx, const char *op)
{
    if (op)
        h->op = op;
    if (!cache_header_ok(h, nx))
        slz_misuse(h->op, "corrupted next chunk (write past the end of a block?)", chunk2mem(chunk_at(h, g)));
}

/* above_damaged: the free chunk up above block g (at nx, of sn granules)
 * failed its seal (reported as next_damaged's) or its canary (a write after
 * free) */
static __attribute__((cold, noinline)) void above_damaged(slz_heap *h, const slz_chunk *up, uint32_t g, uint32_t nx,
                                                          uint32_t sn, const char *op)
{
    if (!CHECKED(up->check == free_seal(h, up)))
        next_damaged(h, g, nx, op);
    if (!CHECKED(canary_off(up) == 0))
        corrupt_free_as(h, nx, sn, op);
}

/* live_block: the chunk of block p, checked, once the frees other threads
 * left are taken (one of them may be p: then this is a double free). The
 * chunk above is checked when the block is released (release_sized). */
HOT uint32_t live_pass(slz_heap *h, const void *p, const char *op, uint32_t *size)
{
    pend_taken(h, op);
    return block_grain(h, p, op, size);
}
uint32_t live_block(slz_heap *h, const void *p)
{
    uint32_t n;
    return live_pass(h, p, h->op, &n);
}

/* ---- Giving a chunk back: merge above, merge below, place -------------- */

/* ahead: c, the chunk above a block being freed, with the line
 * SLZ_FREE_AHEAD beyond it on its way to the cache: a program that frees
 * its blocks in address order (a list built, then freed: python's del of a
 * dict, the a, c, b pattern) reads there a few frees later. */
HOT slz_chunk *ahead(slz_chunk *c)
{
    __builtin_prefetch((char *)c + SLZ_FREE_AHEAD);
    return c;
}

/* wipe: a header swallowed by a merge leaves nothing behind. */
static inline void wipe(slz_chunk *c) { memset(c, 0, sizeof *c); }

/* prev_start: where the chunk just below granule g begins (a start in
 * cell c whose start bits are st): the start bit below g in its cell, else
 * the lead of its cell (the chunk began in an earlier cell and ends in this
 * one), chosen without a branch; for g at a cell's first granule, from the
 * cell before (bits_prev_start); for g = 0, g itself (no chunk below: the
 * caller's block, read as in use). On x86-64 as size_in_cell (chunk.h):
 * bsr finds the start below and says by its zero flag that there is none,
 * lea adds the cell's first granule and leaves the flags, a conditional
 * move takes the lead then (three instructions where the portable form,
 * a count of leading zeros turned into a bit number, took seven). */
HOT uint32_t prev_start(const slz_heap *h, const struct slz_cell *c, uint64_t st, uint32_t g)
{
    uint64_t b = bit_of(g); /* (g % SLZ_CELL == 0 as b == 1: b is at hand, g % SLZ_CELL not) */
    __asm__("" : "+r"(b));
    if (__builtin_expect(b == 1, 0))
        return g ? bits_prev_start(h, g) : g;
    uint64_t below = st & (b - 1), first = g & ~(uint32_t)(SLZ_CELL - 1);
#if defined(__x86_64__)
    uint64_t s;
    __asm__("bsr %1, %0\n\tlea (%0,%2), %0\n\tcmovz %3, %k0" : "=&r"(s) : "r"(below), "r"(first), "rm"(c->lead) : "cc");
    return (uint32_t)s;
#else
    return pick_nz(below, (uint32_t)first | (63u ^ (uint32_t)__builtin_clzll(below | 1)), c->lead);
#endif
}


/* ---- Giving pages back to the kernel ------------------------------------
 *
 * As glibc trims its top once it exceeds a threshold, a free chunk gives
 * back the whole pages beyond its first keep bytes once enough of them are
 * still resident (the debt, the step of worth()): first fit
 * carves from a chunk's low end, so the keep zone takes the reuse and the
 * high end, the coldest part, goes back. What a chunk gave back is recorded
 * (invariant 10): a range [a, r) of granules, kept for a chunk in the spares
 * of the two cells where it ends (a in the one before), for the top in the
 * heap; so a free into a big chunk costs no system call until the debt
 * reaches the step again, and each byte freed is given back once.
 *
 * A record is a hint, never trusted for safety: pages are given back only
 * inside the free chunk that a free just made, beyond its keep zone. A chunk
 * carved from its low end keeps its record (the pages above the new start
 * were not touched). The keep zone (one page to begin with) follows the
 * program, as glibc raises its thresholds when a program frees and
 * allocates big blocks: when pages are about to go back, a program whose
 * peak since they last went back rose above the level they went back at
 * gets twice that growth (it may have grown into them; one that frees all
 * it has and allocates it again gives back at the same low point of every
 * round: only the peak between shows the reuse), one whose peak has fallen
 * to half the peak where the zone last changed gets half of it; and a chunk
 * carved into its given-back pages gets twice what was reused. At most
 * SLZ_KEEP_MAX a chunk, as glibc keeps up to 64 MiB free at its top (its
 * trim threshold: twice the largest block it serves from its heap once it
 * has seen one freed, 32 MiB; first fit carves such blocks one after the
 * other from one chunk); a trim sets it back to SLZ_KEEP. Frees leave the
 * top at least SLZ_TOP_KEEP (glibc's trim threshold at first, 128 KiB); a
 * trim does not. So a program that frees most of what it had keeps about a
 * page per free chunk (128 KiB of the top), and one that frees and
 * allocates again stops moving pages in and out after its first rounds.
 * (malloc keeps the peak anyway, for the stats: went_back starts it
 * again.) */

/* keep_grains: the keep zone of every free chunk of h, in granules (from
 * SLZ_KEEP, set when the heap is made, to SLZ_KEEP_MAX: no 0 to test for on
 * every free). */
static uint32_t keep_grains(const slz_heap *h)
{
    return h->keep;
}
/* keep_at: the keep zone of the free chunk that ends at end: the top's is
 * at least SLZ_TOP_KEEP, as glibc trims its top only beyond its trim
 * threshold (a trim takes it to keep_grains too). */
static uint32_t keep_at(const slz_heap *h, uint32_t end)
{
    uint32_t k = keep_grains(h), top = SLZ_TOP_KEEP / SLZ_ALIGN;
    return end == h->grains && k < top ? top : k;
}

struct span {
    uint32_t a, r; /* granules [a, r): given back; a >= r: nothing */
};

/* record_words: where the record of the free chunk that ends at end lives:
 * the top's in the heap, any other's in the spares of the two cells where
 * it ends (a in the one before); none for a chunk that ends in the first two
 * cells. record_get/record_put read and write it there. */
struct words {
    uint32_t *a, *r;
};
static struct words record_words(slz_heap *h, uint32_t end)
{
    if (end == h->grains)
        return (struct words){&h->rel_a, &h->rel_r};
    if (end <= 2 * SLZ_CELL)
        return (struct words){NULL, NULL};
    size_t e = (end - 1) / SLZ_CELL;
    return (struct words){&h->cells[e - 1].spare, &h->cells[e].spare};
}
static struct span words_get(struct words w)
{
    return w.a ? (struct span){*w.a, *w.r} : (struct span){0, 0};
}
static struct span record_get(slz_heap *h, uint32_t end) { return words_get(record_words(h, end)); }
static void word_set(uint32_t *w, uint32_t v)
{
    if (*w != v) /* (no write into a page given back, if it need not) */
        *w = v;
}
static inline void words_put(slz_heap *h, struct words w, struct span s)
{
    if (s.a >= s.r)
        s.a = s.r = 0;
    if (w.a) {
        if (w.r != &h->rel_r)
            h->cell_records += (size_t)(s.r != 0) - (size_t)(*w.r != 0);
        word_set(w.a, s.a);
        word_set(w.r, s.r);
    }
}
HOT void record_put(slz_heap *h, uint32_t end, struct span s) { words_put(h, record_words(h, end), s); }
/* record_drop: the chunk that began at s and ended at end is gone (merged,
 * or carved whole): its record goes, if the words hold it. Two chunks that
 * end within a cell of each other share words (one of them small, holding
 * no record): a record that does not reach into (s, end] is the other's
 * and stays, else the other chunk's pages would go back again. */
static __attribute__((noinline)) void record_clear(slz_heap *h, uint32_t end) { record_put(h, end, (struct span){0, 0}); }
static inline uint32_t record_r(const slz_heap *h, uint32_t end) /* (the r word of record_words) */
{
    return end == h->grains ? h->rel_r : end > 2 * SLZ_CELL ? h->cells[(end - 1) / SLZ_CELL].spare : 0;
}
HOT void record_drop(slz_heap *h, uint32_t end, uint32_t s)
{
    uint32_t r = record_r(h, end);
    if (r > s && r <= end) /* (read alone: usually 0) */
        record_clear(h, end);
}

/* record_carved: the block just freed ends at nx, where the free chunk
 * that ends at end begins: if that chunk's record begins below nx (plus
 * its header), the chunk was carved into what went back, down to nx, and
 * the carved blocks touched those pages: the record begins above them now,
 * as part_span has it (weigh). Else a record kept by a keep zone that frees
 * did not weigh (settle) would claim resident pages as given back, and a
 * trim or a smaller keep zone would leave them resident. */
static __attribute__((noinline)) void record_carved(slz_heap *h, uint32_t nx, uint32_t end)
{
    struct words w = record_words(h, end);
    struct span s = words_get(w);
    if (s.a < s.r && s.r > nx && s.r <= end && s.a < nx + MIN_GRAINS)
        words_put(h, w, (struct span){nx + MIN_GRAINS, s.r});
}

/* part_span: what the record s read where free chunk [lo, end) ends still
 * holds for it. A range that begins below the chunk's header was carved
 * into: the keep zone was too small for this program; it becomes twice what
 * was reused. */
static inline struct span part_span(slz_heap *h, struct span s, uint32_t lo, uint32_t end)
{
    if (s.a >= s.r || s.r > end || s.r <= lo + MIN_GRAINS) /* (one of a chunk carved whole) */
        return (struct span){0, 0};
    if (s.a < lo + MIN_GRAINS) {
        size_t reused = s.a < lo ? lo - s.a : 0; /* (none when it begins in the header) */
        size_t k = 2 * ((size_t)keep_grains(h) + reused); /* at least that much was reused */
        h->keep = (uint32_t)(k < SLZ_KEEP_MAX / SLZ_ALIGN ? k : SLZ_KEEP_MAX / SLZ_ALIGN);
        h->keep_level = h->st.peak_in_use + 1;
        s.a = lo + MIN_GRAINS;
    }
    return s;
}

/* clip: s within [x, y) (nothing if they do not meet); longer: the longer
 * of two spans. */
static struct span clip(struct span s, uint32_t x, uint32_t y)
{
    s.a = s.a > x ? s.a : x;
    s.r = s.r < y ? s.r : y;
    return s.a < s.r ? s : (struct span){0, 0};
}
static struct span longer(struct span s, struct span t)
{
    return (t.r - t.a > s.r - s.a) ? t : s;
}

/* cell_pages: the addresses [x, y) of the whole pages of cells that cover
 * granules of [from, to) only (from above the start of their free chunk:
 * they hold no start bit), none of the cells of the record of the chunk
 * that ends at end. */
struct pages {
    uintptr_t x, y;
};
static struct pages cell_pages(const slz_heap *h, uint32_t from, uint32_t to, uint32_t end)
{
    uintptr_t pg = h->page - 1;
    size_t last = (end - 1) / SLZ_CELL - 1; /* the record's first cell */
    size_t lo = (from + SLZ_CELL - 1) / SLZ_CELL, hi = to / SLZ_CELL < last ? to / SLZ_CELL : last;
    struct pages c = {((uintptr_t)&h->cells[lo] + pg) & ~pg, (uintptr_t)&h->cells[hi] & ~pg};
    return c.y > c.x ? c : (struct pages){0, 0};
}
static void pages_back(uintptr_t x, uintptr_t y)
{
    if (y > x)
        os_release((void *)x, y - x);
}

/* pages_around: the pages of granules [x, y) but the whole ones inside
 * lost (given back already: the record a merge dropped, see weigh). */
static void pages_around(const slz_heap *h, uint32_t x, uint32_t y, struct span lost)
{
    uintptr_t pg = h->page - 1, px = (uintptr_t)chunk_at(h, x), py = (uintptr_t)chunk_at(h, y);
    uintptr_t ox = ((uintptr_t)chunk_at(h, lost.a) + pg) & ~pg, oy = (uintptr_t)chunk_at(h, lost.r) & ~pg;
    if (lost.a >= lost.r || oy <= ox || oy <= px || ox >= py) {
        pages_back(px, py);
        return;
    }
    pages_back(px, ox < py ? ox : py);
    pages_back(oy > px ? oy : px, py);
}

/* give_back: the kernel takes the pages of granules [x, y) (page-aligned,
 * inside the free chunk that ends at end) that lie outside `was`, what went
 * back before, and outside `lost`, the shorter record of a merge (weigh),
 * and the pages of cells that cover only granules of `now`,
 * the whole range given back after, except those that covered only `was`
 * (they went back then; a record's cells are counted out of both, its
 * words may have moved since): each page goes once. Cells hold no start
 * bit there (tombs go: a pointer into them then reads as invalid, not as
 * a double free). They read as zero when touched again. */
static void give_back(slz_heap *h, uint32_t x, uint32_t y, struct span was, struct span lost, struct span now, uint32_t end)
{
    uint32_t r = was.r > x ? was.r : x;
    if (was.a > x)
        pages_around(h, x, was.a, lost);
    if (y > r)
        pages_around(h, r, y, lost);
    struct pages c = cell_pages(h, now.a, now.r, end), o = {c.x, c.x};
    if (was.a < was.r)
        o = cell_pages(h, was.a, was.r, was.r);
    if (o.y <= o.x || o.x >= c.y || o.y <= c.x) {
        pages_back(c.x, c.y);
        return;
    }
    pages_back(c.x, o.x);
    pages_back(o.y, c.y);
}

/* What settle would give back of a free chunk: the granules [x, y) beyond
 * its keep zone of keep granules (for the top, up to the high-water mark:
 * nothing above it was written), the part `in` of them that its record
 * holds, and the rest below and above that part. */
struct plan {
    uint32_t x, y, below, above;
    struct span in;
};
static inline struct plan plan_for(const slz_heap *h, uint32_t lo, uint32_t end, uint32_t keep, struct span held)
{
    struct plan p;
    uintptr_t pg = h->page - 1, base = (uintptr_t)h->base, hi = (uintptr_t)chunk_at(h, end);
    if (end == h->grains && base + h->st.high_water < hi)
        hi = base + h->st.high_water + pg;
    uintptr_t ax = ((uintptr_t)chunk_at(h, lo) + (size_t)keep * SLZ_ALIGN + pg) & ~pg;
    uintptr_t ay = hi & ~pg;
    p.x = grain_of(h, (void *)ax);
    p.y = ay > ax ? grain_of(h, (void *)ay) : p.x;
    p.in = held.r < p.x || held.a >= p.y ? (struct span){p.x, p.x} : held;
    p.below = p.in.a > p.x ? p.in.a - p.x : 0;
    p.above = p.y > p.in.r ? p.y - p.in.r : 0;
    return p;
}
/* worth: the pages not given back weigh the step: 1/256 of what the
 * chunk would give back in all, from SLZ_RELEASE_STEP to SLZ_RELEASE_STEP_MAX
 * (a chunk that grows by small frees goes back in few calls). */
static int worth(const slz_heap *h, const struct plan *p)
{
    size_t step = (size_t)(p->y - p->x) * SLZ_ALIGN / 256;
    step = step < SLZ_RELEASE_STEP ? SLZ_RELEASE_STEP : step > SLZ_RELEASE_STEP_MAX ? SLZ_RELEASE_STEP_MAX : step;
    return (h->flags & SLZ_ANON) && (size_t)(p->below + p->above) * SLZ_ALIGN >= step;
}

/* went_back: pages go back at this level (rel_level); the peak adapt
 * reads starts again from it. (st.peak_in_use, which malloc raises, is the
 * peak since; peak_before the peak before: slz_heap_get_stats reports the
 * larger, and malloc pays nothing more.) */
static void went_back(slz_heap *h)
{
    struct slz_heap_stats *st = &h->st;
    h->peak_before = st->peak_in_use > h->peak_before ? st->peak_in_use : h->peak_before;
    st->peak_in_use = st->in_use;
    h->rel_level = st->in_use + 1;
}

/* adapt: pages are about to go back. A program whose peak since pages last
 * went back rose above the level they went back at may have grown into
 * them: the keep zone becomes twice that growth (a program that frees most
 * of what it has and allocates it again: pages go back at the same low
 * point of each round, the peak between is what it reuses). One whose
 * peak since has fallen to half the peak where the keep zone last changed
 * (or lower) halves it (to SLZ_KEEP). A program that churns around a level
 * keeps its zone: halving on every dip of such churn sent its big chunks'
 * pages back and had them fault in again at the next carve. */
static void adapt(slz_heap *h)
{
    size_t peak = h->st.peak_in_use + 1, k = keep_grains(h), least = SLZ_KEEP / SLZ_ALIGN;
    if (h->rel_level && peak > h->rel_level && 2 * (peak - h->rel_level) / SLZ_ALIGN > k) {
        k = 2 * (peak - h->rel_level) / SLZ_ALIGN;
        h->keep_level = peak;
    } else if (peak <= h->keep_level / 2) { /* (never before a first raise: keep_level 0) */
        k = k / 2 > least ? k / 2 : least;
        h->keep_level = peak;
    }
    h->keep = (uint32_t)(k < SLZ_KEEP_MAX / SLZ_ALIGN ? k : SLZ_KEEP_MAX / SLZ_ALIGN);
    went_back(h);
}

/* same_words: a chunk that ended at e (< end) kept its record in the words
 * where the chunk that ends at end keeps its own (both end in one cell, and
 * that is not the top): the record written at end replaces it, no drop
 * first. */
static inline int same_words(const slz_heap *h, uint32_t e, uint32_t end)
{
    return (e - 1) / SLZ_CELL == (end - 1) / SLZ_CELL && end != h->grains;
}

/* same_page: the block joined the free chunk [lo, g) below it (and what
 * was free above it) and the chunk, not the top, still ends in the page and
 * the cell where the chunk below ended: its whole pages beyond the keep
 * zone are that chunk's, its record stays in the same words: settle_rest
 * would weigh what that chunk weighed when it last settled, and write what
 * the words hold. (What a carve or a new keep zone changed since waits for
 * the next free that adds a page.) */
static inline int same_page(const slz_heap *h, uint32_t lo, uint32_t g, uint32_t end)
{
    /* (g and end in one page: their offsets in the arena, whose base is a
     * page boundary where pages go back, SLZ_ANON: guarded, heap.c) */
    size_t ge = (size_t)(g ^ end) * SLZ_ALIGN;
    return end != h->grains && ((lo < g) & (((g - 1) ^ (end - 1)) < SLZ_CELL) & (ge < h->page));
}

/* settle: release() made [lo, end) one free chunk of the block [g, nx) and
 * its free neighbours: their records become the chunk's, and once the pages
 * beyond the keep zone that are not given back weigh the step, they go.
 * O(1): at most four system calls (pages of the chunk, pages of its cells,
 * below and above what went back before), each for pages that were in use. */
static __attribute__((noinline)) void weigh(slz_heap *h, uint32_t lo, uint32_t g, uint32_t nx, uint32_t end)
{
    struct words w = record_words(h, end); /* (read once, written once) */
    struct span at_end = words_get(w), below = {0, 0}, above = {0, 0};
    int same = same_words(h, g, end);
    if (lo < g)
        below = part_span(h, same ? at_end : record_get(h, g), lo, g);
    if (nx < end)
        above = part_span(h, at_end, nx, end);
    /* (the longer record is held; the other's pages, lost, are not given
     * again if pages go back now) */
    struct span held = longer(below, above), lost = held.r == below.r ? above : below;
    if (lo < g && !same)
        record_drop(h, g, lo); /* old ends, inside the chunk now */
    if (nx < end && !same_words(h, nx, end))
        record_drop(h, nx, g);
    held = clip(held, lo + MIN_GRAINS, end);
    lost = clip(lost, lo + MIN_GRAINS, end);
    struct plan p = plan_for(h, lo, end, keep_at(h, end), held);
    int due = worth(h, &p);
    if (due) {
        adapt(h);
        p = plan_for(h, lo, end, keep_at(h, end), held);
        due = worth(h, &p);
    }
    if (!due) {
        words_put(h, w, held);
        return;
    }
    struct span now = {p.in.a < p.x ? p.in.a : p.x, p.in.r > p.y ? p.in.r : p.y};
    give_back(h, p.x, p.y, p.in, lost, now, end);
    words_put(h, w, now);
}

/* records_dropped: settle's way for a chunk too short to give a page
 * back: the records of the chunks it took in go, and a chunk above carved
 * into its given-back part has its record moved up. */
HOT void records_dropped(slz_heap *h, uint32_t lo, uint32_t g, uint32_t nx, uint32_t end)
{
    if (h->rel_level == 0)
        return; /* no page ever went back: no record anywhere */
    if (h->cell_records == 0 && end != h->grains)
        return; /* no record in any cell, and the chunk is not the top */
    if (lo < g)
        record_drop(h, g, lo); /* (the record of the part above stays where the chunk ends) */
    if (nx == end)
        record_drop(h, end, g); /* the block's end: a record there is of a chunk gone */
    else if (record_r(h, end) > nx)
        record_carved(h, nx, end); /* (the r word alone first: usually 0) */
}

/* records_near: whether records_dropped may find a record to drop or move
 * for the chunk [lo, end), not the top, that took in the block at g: one
 * that ends at g with r in (lo, g] (the chunk below's), or one in the words
 * at end with r above g (of a chunk gone, or of the chunk above, carved).
 * The r words are the spares of cells (g - 1) / SLZ_CELL and (end - 1) /
 * SLZ_CELL (none in the first two cells: a spare read there may say yes for
 * nothing, as a words' a may). So a free beside no record in its heap pays
 * two loads and tests, not records_dropped's. */
static inline int records_near(const slz_heap *h, uint32_t lo, uint32_t g, uint32_t end)
{
    uint32_t r_end = h->cells[(end - 1) / SLZ_CELL].spare;
    return r_end > g || (lo < g && h->cells[(g - 1) / SLZ_CELL].spare - lo - 1 < g - lo);
}

/* quiet_note: h->quiet, settle's first test: a chunk, not the top, shorter
 * than it (its keep zone and a step) gives nothing back. Noted again
 * after whatever moves the keep zone (weigh in settle_rest, trim_walk); 0
 * in a new heap sends its frees to settle_rest until then. */
static void quiet_note(slz_heap *h)
{
    h->quiet = keep_grains(h) + SLZ_RELEASE_STEP / SLZ_ALIGN;
}

/* moved_up: weigh's way, cheaper, for the blocks that frees in address
 * order add (a,c,b's, a program's that frees what it built): the block
 * joined a chunk [lo, g) below it, in a cell past the one where that chunk
 * ended (not the top), whose record lies whole above its header (not
 * carved into), and what was free above it holds no record for itself.
 * Then weigh would hold that record and drop the old words; if the plan is
 * not due either, the record just moves to the words at end (1 when done:
 * else weigh). */
static inline int moved_up(slz_heap *h, uint32_t lo, uint32_t g, uint32_t nx, uint32_t end)
{
    if (lo >= g || end == h->grains || g <= 2 * SLZ_CELL || same_words(h, g, end))
        return 0;
    struct words old = record_words(h, g);
    struct span rec = words_get(old), up = record_get(h, end);
    if (rec.a >= rec.r || rec.a < lo + MIN_GRAINS || rec.r > g)
        return 0;
    if (nx < end && up.a < up.r && up.r <= end && up.r > nx + MIN_GRAINS)
        return 0; /* (part_span would find a record above) */
    struct plan p = plan_for(h, lo, end, keep_grains(h), rec);
    if (worth(h, &p))
        return 0;
    words_put(h, old, (struct span){0, 0});
    if (nx < end && !same_words(h, nx, end))
        record_drop(h, nx, g);
    record_put(h, end, rec);
    return 1;
}

/* settle_far: settle_rest's way for a chunk that may give back (moved_up,
 * else weigh); a frame of its own, so the top's way, which most calls of
 * settle_rest take, saves no register. */
static __attribute__((noinline)) void settle_far(slz_heap *h, uint32_t lo, uint32_t g, uint32_t nx, uint32_t end)
{
    if (!moved_up(h, lo, g, nx, end)) {
        weigh(h, lo, g, nx, end);
        quiet_note(h);
    }
}
/* settle_rest: settle past its first tests. The top short of its keep
 * zone and a step below the high-water mark drops records; any other chunk
 * here may give back (weigh). (A chunk not the top passes here only at
 * least quiet long, or before the first weigh or trim notes quiet, when
 * there is no record to drop: weigh's plan then finds nothing due.) */
static __attribute__((noinline)) void settle_rest(slz_heap *h, uint32_t lo, uint32_t g, uint32_t nx, uint32_t end)
{
    if (end == h->grains && h->st.high_water / SLZ_ALIGN < lo + keep_at(h, end) + SLZ_RELEASE_STEP / SLZ_ALIGN)
        records_dropped(h, lo, g, nx, end);
    else
        settle_far(h, lo, g, nx, end);
}

/* (settle's first tests, the ones most frees take: the chunk, not the top,
 * is shorter than h->quiet, and then, while no cell holds a record, there
 * is nothing else to do; or the block joined a chunk below in the same page
 * (same_page: a chunk that grows a block at a time, as a,c,b's frees and a
 * program's frees in address order grow theirs, calls settle_rest once a
 * cell, not once a free) */
HOT void settle(slz_heap *h, uint32_t lo, uint32_t g, uint32_t nx, uint32_t end)
{
    if (end != h->grains && end - lo < h->quiet) {
        if (h->cell_records != 0 && records_near(h, lo, g, end))
            records_dropped(h, lo, g, nx, end);
        return;
    }
    if (!same_page(h, lo, g, end))
        settle_rest(h, lo, g, nx, end);
}

/* trim_chunk: the free chunk [lo, end) gives back every page beyond its
 * keep zone that its record does not hold, whatever the step (dry: only
 * counts them). The bytes of those pages. */
static size_t trim_chunk(slz_heap *h, uint32_t lo, uint32_t end, int dry)
{
    struct span held = clip(part_span(h, record_get(h, end), lo, end), lo + MIN_GRAINS, end);
    h->keep = SLZ_KEEP / SLZ_ALIGN; /* (part_span raises it for a chunk carved into) */
    struct plan p = plan_for(h, lo, end, keep_grains(h), held);
    if (!(h->flags & SLZ_ANON))
        return 0;
    if (p.below + p.above == 0 || dry)
        return (size_t)(p.below + p.above) * SLZ_ALIGN;
    struct span now = {p.in.a < p.x ? p.in.a : p.x, p.in.r > p.y ? p.in.r : p.y};
    give_back(h, p.x, p.y, p.in, (struct span){0, 0}, now, end);
    record_put(h, end, now);
    return (size_t)(p.below + p.above) * SLZ_ALIGN;
}

/* trim_walk: the frees of other threads taken and the cache emptied, the
 * keep zone back to its least, and every free chunk big enough to give a
 * page back (found through the index, the arena's last one too) trimmed to
 * it (dry: counted): O(such chunks), not O(heap). The bytes. */
static size_t trim_walk(slz_heap *h, int dry)
{
    size_t n = 0;
    op_begin(h, "free");
    heap_collect(h);
    if (h->cache)
        cache_flush(h); /* (as slz_heap_collect: a heap whose thread exits holds nothing back) */
    uint32_t need = (uint32_t)((SLZ_KEEP + 2 * h->page) / SLZ_ALIGN), keep = h->keep;
    size_t level = h->keep_level;
    if (!dry)
        went_back(h);
    for (uint32_t g = index_find(h, need, 0); g != SLZ_NONE; g = index_find(h, need, g + 1))
        n += trim_chunk(h, g, g + grains_of(h, g), dry);
    if (dry) { /* the keep zone and its level as they were (part_span's raise and */
        h->keep = keep; /* trim_chunk's least undone) */
        h->keep_level = level;
    }
    quiet_note(h);
    op_end(h);
    return n;
}
void slz_heap_trim(slz_heap *h)
{
    if (h != NULL)
        trim_walk(h, 0);
}
size_t slz_heap_trimmable(slz_heap *h) { return h ? trim_walk(h, 1) : 0; }

/* lower_lost: a merge took the largest free chunk of cell lost into one
 * that begins in cell k (index_lower), inline when the two share their
 * index line: then lost's entry alone falls (index_lower's loop does nothing
 * more there: the rise that follows climbs from the shared line). */
HOT void lower_lost(slz_heap *h, size_t lost, size_t k)
{
    if ((lost ^ k) < SLZ_FAN)
        h->lv[0][lost] = cell_max(h, lost);
    else
        index_lower(h, lost, k);
}

/* take_above: the free chunk up above the block at g (at nx, its head as
 * the bits say, in cell cn) merges into the chunk that begins at lo (the
 * block's, or the free chunk's below it): the rest of its header checked
 * (damaged: a write past the end) and its canary (a write after free), it
 * leaves a tomb, and the index entry of its cell, lost, falls if it was
 * the cell's largest and lo begins in another cell (lower_lost, now,
 * before the bits below change: the block at g still reads in use there).
 * The merged chunk's end. Its size comes from head, lo's cell from lo,
 * both hidden by an empty asm: else gcc keeps them, and nx's bit, on the
 * stack through every free for this one. */
HOT uint32_t take_above(slz_heap *h, struct slz_cell *cn, slz_chunk *up, uintptr_t head, uint32_t g, uint32_t nx,
                        uint32_t lo, const char *op)
{
    __asm__("" : "+r"(head), "+r"(lo));
    uint32_t sn = (uint32_t)(head / SLZ_ALIGN);
    uint64_t nb = bit_of(nx);
    if (!CHECKED(((up->check ^ free_seal(h, up)) | canary_off(up)) == 0))
        above_damaged(h, up, g, nx, sn, op);
    wipe(up);
    wr(&cn->start, cn->start & ~nb); /* a tomb (bits_unstart) */
    wr_or(&cn->used, nb);
    size_t lost = h->lv[0][nx / SLZ_CELL] == sn ? nx / SLZ_CELL : 0, k = lo / SLZ_CELL;
    if (lost > k) /* (lost is never below lo's cell; 0 is none) */
        lower_lost(h, lost, k);
    h->st.coalesces++;
    h->st.free_chunks--;
    return nx + sn;
}

/* release_sized: the allocated chunk at g of n granules (its own header
 * checked) becomes free and merges with both neighbours at once, in one
 * pass over their bits: the chunk above (its header checked here: a write
 * past the end of the block lands there; a free one's canary too, a write
 * after free), then the one below (found first: a chunk free on both sides
 * is noted once, from below); the merged chunk [lo, end) gets its
 * header, its size in the bits and its index entry, and settles what it
 * gives back (settle). Only the chunks are counted here: a block given up
 * is counted once by the caller that gives one up (count_free), not for
 * shrink's tail. */
HOT void release_in(slz_heap *h, uint32_t g, uint32_t n, const char *op)
{
    struct slz_cell *const cells = h->cells;
    const uint32_t grains = h->grains;
    struct slz_heap_stats *st = &h->st;
    uint32_t nx = g + n, end = nx, lo = g;
    st->in_use -= (size_t)n * SLZ_ALIGN;
    struct slz_cell *c = &cells[g / SLZ_CELL];
    uint64_t b = bit_of(g);
    uint32_t pv = prev_start(h, c, c->start, g); /* (the chunk below: read first, merged after) */
    int merge_below = !(__atomic_load_n(&cells[pv / SLZ_CELL].used, __ATOMIC_RELAXED) & bit_of(pv));
    { /* the chunk above; at the arena's end the block itself stands in
       * for it, a used chunk whose size word is right (no branch) */
        uint32_t un = pick_ae(nx, grains, g, nx);
        struct slz_cell *cn = &cells[un / SLZ_CELL];
        uint64_t used = __atomic_load_n(&cn->used, __ATOMIC_RELAXED);
        uint32_t sn = size_in_cell(cn, cn->start, un % SLZ_CELL);
        slz_chunk *up = ahead(chunk_at(h, un));
        uintptr_t head = (size_t)sn * SLZ_ALIGN | ((used >> (un % SLZ_CELL)) & SLZ_INUSE);
        if (!CHECKED(up->head == head)) /* its size word, as the bits say: the first */
            next_damaged(h, g, nx, op); /* word a write past the end reaches */
        if (__builtin_expect(!(head & SLZ_INUSE), 0)) { /* free: taken in */
            end = take_above(h, cn, up, head, g, nx, merge_below ? pv : g, op);
            if (!merge_below)
                bits_note_at(h, c, g, end); /* (the chunk above merged alone; else from pv, once) */
        }
    }
    { /* the chunk below (none at 0: prev_start reads the block, in use) */
        if (merge_below) {
            free_checked_as(h, pv, g - pv, op); /* free: it takes g in */
            wipe(chunk_at(h, g));
            wr(&c->start, c->start & ~b);
            lo = pv;
            __asm__("" : "+r"(lo)); /* (its cell found again here, not kept from merge_below's load) */
            bits_note_chunk(h, lo, end);
            st->coalesces++;
            st->free_chunks--;
        }
    }
    wr(&c->used, (c->used & ~b) | (lo != g ? b : 0)); /* free, or a tomb */
    st->free_chunks++; /* (a chunk the bits already note, unless it merged) */
    make_free(h, lo, end - lo);
    index_raise_unrolled(h, lo / SLZ_CELL, end - lo); /* anything it swallowed in its cell was smaller */
    if (lo < h->align_low)
        h->align_low = lo; /* (the aligned search's marks come down to it) */
    settle(h, lo, g, nx, end);
}
/* (free_op's copy inlined: one frame, not two, for the free of a block) */
static __attribute__((noinline)) void release_sized(slz_heap *h, uint32_t g, uint32_t n) { release_in(h, g, n, NULL); }
/* (a block given up passes here or counts a free, count_free: gave_up or
 * the count says so to carve's check of the pending bits, pending_reused) */
void release(slz_heap *h, uint32_t g)
{
    gave_up(h);
    release_sized(h, g, grains_of(h, g));
}

/* count_free: a block is given up (slz_free, the old place of a block
 * realloc moved; a drain counts the deferred frees it takes a run at a
 * time, run_flush). */
static void count_free(slz_heap *h)
{
    h->st.frees++;
}

/* free's pass, compiled once per line version (free_pass.h); slz_free's
 * entry from a read-only table by h->lines, as slz_malloc's in alloc.c
 * (bit 0: the line version; bit 1: the fast mode, cache.c): one indirect
 * call, no test of the mode. */
#define SLZ_VERSIONED "free_pass.h"
#include "versions.h"
#ifdef SLZ_LINES_X86
static void (*const free_ops[4])(slz_heap *, void *) = {free_op_sse2, free_op_avx2, cache_slz_free, cache_slz_free};
#else
static void (*const free_ops[4])(slz_heap *, void *) = {free_op_plain, free_op_plain, cache_slz_free, cache_slz_free};
#endif
/* (a tail call: no frame is set up before the mode is known) */
inline void slz_free(slz_heap *h, void *p)
{
    if (p == NULL)
        return;
    free_ops[h->lines & 3](h, p);
}
slz_free_fn slz_heap_free_fn(const slz_heap *h) { return free_ops[h->lines & 3]; }

/* ---- Frees from another thread -----------------------------------------
 *
 * Thread B frees block p (granule g) of a heap that thread A owns. B sets
 * g's pending bit (pending_mark) and THEN reads g's start and used bits
 * (a batch, slz_free_deferred_n: all its bits, then all its blocks);
 * A takes the bit later (heap_collect: the block is checked again, header
 * too, and released), and whenever it makes a chunk a live block (carve,
 * the one place that does) it reads that chunk's bit: set, it is a double
 * free (pending_reused). The block released is then always the one B saw
 * live, never a later life of g. Every block A gives up counts a free
 * (free_op) or sets fence_frees apart from every count (gave_up: release,
 * heap_collect); carve's check, finding fence_frees no longer the count,
 * passes a sequentially consistent fence F and notes the count. So between the
 * store R that ended g's last life (its start and used bits no longer both
 * set: a free chunk or a tomb) and carve's load of the bit there is always
 * such a fence, one for every carve until A gives up a block again. The
 * ordering, in the single order S of sequentially consistent operations
 * and fences (B's OR and loads, A's fences and exchanges):
 *  - B saw g's last life live: its load read a value before R, so it comes
 *    before F in S (had it followed F, it would read R or later, R being
 *    sequenced before F); B's OR, before its load, comes before F too, and
 *    A's load after F sees the bit (or a drain's exchange after it, which
 *    took it and found g free: a double free, reported). Reported, never
 *    applied to the new life.
 *  - B saw the new life live (A's carve store): its free is a free of that
 *    block (a stale free after reuse looks exactly like it; only a
 *    quarantine can tell them apart).
 *  - B reads g not live (a tomb, a free chunk, inside a chunk): a bad
 *    pointer or a double free, unless a drain took the bit meanwhile (it
 *    released the block and checked it itself). B reports only if the bit
 *    is still set AND no drain began since before its OR (drain_epoch, read
 *    before the OR and again last): a drain that took B's bit released g,
 *    after which a new life of g, freed by another thread, can set the bit
 *    again before B reads it (B read g between the two lives). The drain's
 *    increment precedes its exchange, which follows B's OR; that later
 *    free's OR follows the drain through the owner's carve (happens-before,
 *    so in S), and B's last load, after its load of the bit that OR set,
 *    sees the increment. So B stays silent then; a real double free that
 *    races a drain may go unreported, never a correct free reported.
 * A reads remote (the heap has had frees from other threads) without a
 * fence, as a single-threaded program pays one load a malloc. B sets it
 * before its first bit and waits on os_membarrier (pending_announce), which
 * makes every running thread pass a full barrier: A's carve read 0 only
 * before that barrier, so its stores before the read (R, and the carve's
 * used bit, kept there by the compiler fence) are visible to B's loads
 * after the call returns: B sees the new life; after the barrier A reads
 * nonzero and takes the path above. B reads only bits (atomic words): the
 * header is the owner's to check, when it drains. */
/* slz_free_deferred_n: slz_free_deferred of p[0..n) (NULLs skipped), at
 * most DEFER_MAX at a time: every pointer in the arena, the bits of all of
 * them marked (pending_mark: one atomic OR a word of bits), then each block
 * checked, in that order (above). A single free (slz_free_deferred) takes
 * the same steps for its one granule, without the batch's array. */
#define DEFER_MAX 64
static inline uint32_t defer_grain(const slz_heap *h, const void *p)
{
    uintptr_t q = rot_grain(h, p);
    if (q >= heap_grains_acquire(h))
        bad_block(h, p, "free", 0);
    return (uint32_t)q;
}
/* (defer_not_live: block g read not live, the rest of the check, out of line) */
static __attribute__((noinline, cold)) void defer_not_live(slz_heap *h, uint32_t g, uint64_t bits, unsigned long epoch)
{
    if (pending_is(h, g) && __atomic_load_n(&h->drain_epoch, __ATOMIC_SEQ_CST) == epoch)
        slz_misuse("free", (bits & bit_of(g)) ? "double free" : "invalid pointer", chunk2mem(chunk_at(h, g)));
}
static inline void defer_grains(slz_heap *h, const uint32_t *g, size_t m)
{
    unsigned long epoch = __atomic_load_n(&h->drain_epoch, __ATOMIC_SEQ_CST);
    size_t d = pending_mark(h, g, m);
    if (d < m)
        slz_misuse("free", "double free", chunk2mem(chunk_at(h, g[d])));
    for (size_t i = 0; i < m; i++) {
        const struct slz_cell *c = cell_of(h, g[i]);
        uint64_t b = bit_of(g[i]), st = __atomic_load_n(&c->start, __ATOMIC_SEQ_CST);
        uint64_t us = __atomic_load_n(&c->used, __ATOMIC_SEQ_CST);
        if (!(st & us & b))
            defer_not_live(h, g[i], st | us, epoch);
    }
}
static void defer_some(slz_heap *h, void *const *p, size_t n)
{
    uint32_t g[DEFER_MAX], m = 0;
    for (size_t i = 0; i < n; i++)
        if (p[i] != NULL)
            g[m++] = defer_grain(h, p[i]);
    if (m > 0) {
        pending_announce(h);
        defer_grains(h, g, m);
    }
}
void slz_free_deferred_n(slz_heap *h, void *const *p, size_t n)
{
    for (size_t i = 0; i < n; i += DEFER_MAX)
        defer_some(h, p + i, n - i < DEFER_MAX ? n - i : DEFER_MAX);
}
/* (defer_first: a free before the heap's announcement is behind the
 * caller: it announces, then frees; out of line, so that a free's own path
 * calls nothing that returns: no values kept across a call, two
 * instructions fewer a free) */
static __attribute__((noinline, cold)) void defer_first(slz_heap *h, void *p)
{
    pending_announce(h);
    slz_free_deferred(h, p);
}
void slz_free_deferred(slz_heap *h, void *p)
{
    if (p == NULL)
        return;
    uint32_t g = defer_grain(h, p);
    if (!pending_said(h))
        defer_first(h, p);
    else
        defer_grains(h, &g, 1);
}

/* take_pending: the blocks another thread freed at granules g + the bits
 * of w (a word of pending bits: one cell's), given back by the owner: each
 * checked (taken_size) and counted; in the fast mode, into the cache with the
 * checks of the owner's own free there when it takes them (cache_take).
 * Blocks that follow one another in the arena (a producer's, freed in turn
 * by a consumer: a drain takes them in address order) form a run, released
 * as one chunk (run_flush): what their frees one by one would leave, the
 * later blocks' starts tombs and their headers wiped as each merged with the
 * free chunk below, for one merge with the neighbours and one index raise.
 * Until then a run's blocks are allocated chunks to the bits but for the
 * tombs (no one else reads them: the owner's, and freers read only their
 * own block's bits, a later block of the run a double free either way). */
struct run {
    uint32_t lo, end, k; /* the run's granules [lo, end), k blocks (0: none, end SLZ_NONE) */
};
/* (the run passed by value: the drain keeps it in registers) */
static __attribute__((noinline)) void run_flush(slz_heap *h, struct run r)
{
    if (r.k == 0)
        return;
    h->st.frees += r.k; /* (count_free's count, a run at a time) */
    if (r.k > 1) {
        bits_note_chunk(h, r.lo, r.end); /* (as the merges would: one chunk now, */
        chunk_at(h, r.lo)->head = (size_t)(r.end - r.lo) * SLZ_ALIGN | SLZ_INUSE; /* whose size word */
        h->st.coalesces += r.k - 1; /* release_in reads when it ends the arena) */
    }
    release_in(h, r.lo, r.end - r.lo, NULL);
}
/* taken_size: the size of the block at granule at (of cell c) a drain
 * takes, checked as block_grain checks a pointer (live_in, its header): but for the
 * compare with the arena's end, which its freer passed (defer_grain; an
 * arena never shrinks). */
static inline uint32_t taken_size(slz_heap *h, const struct slz_cell *c, uint32_t at)
{
    uint32_t n;
    if (!live_in(c, at, &n) || !header_ok(h, chunk_at(h, at), (size_t)n * SLZ_ALIGN, 1))
        bad_block(h, chunk2mem(chunk_at(h, at)), h->op, at);
    return n;
}
static inline __attribute__((always_inline)) void take_pending(slz_heap *h, uint32_t g, uint64_t w, void *arg)
{
    struct run *r = arg;
    struct slz_cell *c = cell_of(h, g); /* (a word of bits: one cell's) */
    for (; w; w &= w - 1) {
        uint32_t at = g + (uint32_t)__builtin_ctzll(w);
        if (h->cache && cache_take(h, at))
            continue; /* (counted as the owner's own free there) */
        uint32_t n = taken_size(h, c, at);
        if (at == r->end) { /* (never when there is no run: its end is no granule) */
            wr(&c->start, c->start & ~bit_of(at)); /* a tomb (bits_unstart; used already) */
            wipe(chunk_at(h, at));
            r->end = at + n;
            r->k++;
            continue;
        }
        run_flush(h, *r);
        *r = (struct run){at, at + n, 1};
    }
}

#define PENDING_TAKE take_pending
#include "pending.h"
void heap_collect(slz_heap *h)
{
    struct run r = {0, SLZ_NONE, 0};
    gave_up(h); /* (for every block the drain gives up: once, before) */
    pending_drain(h, &r);
    run_flush(h, r);
}

void slz_heap_collect(slz_heap *h)
{
    op_begin(h, "free");
    heap_collect(h);
    if (h->cache)
        cache_flush(h); /* (the heap may pass to another thread: nothing held back) */
    op_end(h);
}

/* ---- realloc ----------------------------------------------------------- */

/* grow_into_next: extend chunk g over its free successor when that makes
 * need granules; what is left of the successor stays free. */
static int grow_into_next(slz_heap *h, uint32_t g, uint32_t n, uint32_t need)
{
    uint32_t nx = g + n;
    if (nx >= h->grains || is_used(h, nx) || n + grains_of(h, nx) < need)
        return 0;
    uint32_t nn = grains_of(h, nx), take = need - n;
    wipe(free_checked(h, nx, nn));
    bits_unstart(h, nx);
    if (nn - take >= MIN_GRAINS) {
        bits_start(h, nx + take);
        bits_note_chunk(h, nx + take, nx + nn);
        make_free(h, nx + take, nn - take);
        index_refresh(h, (nx + take) / SLZ_CELL);
        if (nx + take < h->align_low) /* (moved up by fewer granules than a chunk, it may */
            h->align_low = nx + take; /* have an aligned spot it had not: alloc.c's marks) */
    } else {
        take = nn;
        h->st.free_chunks--;
    }
    bits_note_chunk(h, g, nx + take);
    index_refresh(h, nx / SLZ_CELL);
    write_header(h, chunk_at(h, g), (size_t)(n + take) * SLZ_ALIGN, 1);
    account_use(h, g, n + take, take);
    return 1;
}

/* secure: the heap has the secure profile (quarantine.c), whose promise
 * realloc's leftovers keep too: the old place of a block it moves is held
 * in the quarantine, the tail it cuts off is cleared before it is freed. */
static int secure(const slz_heap *h) { return h->cache != NULL && h->cache->secure; }

/* shrink: give back the tail of chunk g (n granules) beyond need when it
 * can stand alone: it is released like a block of its own, merging
 * upwards. Of its header release reads only the size word, and only when
 * the tail ends the arena (it stands in for the chunk above): no check
 * word is written for it; the merged chunk's header is release's. */
static void shrink(slz_heap *h, uint32_t g, uint32_t n, uint32_t need)
{
    if (n - need < MIN_GRAINS)
        return;
    bits_start(h, g + need);
    mark_used(h, g + need, 1);
    chunk_at(h, g + need)->head = (size_t)(n - need) * SLZ_ALIGN | SLZ_INUSE;
    bits_note_chunk(h, g, g + need);
    bits_note_chunk(h, g + need, g + n);
    write_header(h, chunk_at(h, g), (size_t)need * SLZ_ALIGN, 1);
    h->st.splits++;
    if (secure(h))
        memset(chunk2mem(chunk_at(h, g + need)), 0, (size_t)(n - need) * SLZ_ALIGN - SLZ_HDR);
    gave_up(h); /* (as release's) */
    release_sized(h, g + need, n - need);
}

/* realloc_sized: heap_realloc of block g of size granules. */
static void *realloc_sized(slz_heap *h, void *p, uint32_t g, uint32_t size, size_t n)
{
    h->st.reallocs++;
    uint32_t need = grains_for(h, n);
    if (need == 0)
        return heap_fail(h);
    if (need <= size || grow_into_next(h, g, size, need)) {
        if (need <= size) /* (grown: nothing to give back) */
            shrink(h, g, size, need);
        h->st.realloc_in_place++;
        return p;
    }
    char *q = heap_malloc(h, n);
    if (q == NULL)
        return NULL;
    size_t len = (size_t)size * SLZ_ALIGN - SLZ_HDR;
    if (len >= SLZ_RELEASE_MIN)
        slz_copy_out(h, q, p, len); /* a big block: never both copies resident */
    else
        memcpy(q, p, len);
    if (secure(h)) {
        quarantine_hold(h, g); /* (counts the free) */
        return q;
    }
    release(h, g); /* a move: an allocation (counted by heap_malloc) and a free */
    count_free(h);
    return q;
}
void *heap_realloc(slz_heap *h, void *p, uint32_t g, size_t n) { return realloc_sized(h, p, g, grains_of(h, g), n); }

void *slz_realloc(slz_heap *h, void *p, size_t n)
{
    if (p == NULL)
        return slz_malloc(h, n);
    if (n == 0) {
        slz_free(h, p);
        return NULL;
    }
    op_begin(h, "realloc");
    uint32_t size, g = live_pass(h, p, h->op, &size);
    void *q;
    if (h->cache) {
        int e = errno;
        q = cache_realloc(h, p, g, n);
        if (q == NULL && cache_refused(h, e))
            q = heap_realloc(h, p, g, n);
    } else {
        q = realloc_sized(h, p, g, size, n);
    }
    op_end(h);
    return q;
}

/* ---- Questions about a block ------------------------------------------- */

size_t slz_block_size(const slz_heap *h, const void *p, const char *op)
{
    uint32_t n;
    block_grain(h, p, op, &n);
    return (size_t)n * SLZ_ALIGN - SLZ_HDR;
}

size_t slz_usable_size(slz_heap *h, const void *p)
{
    if (p == NULL)
        return 0;
    op_begin(h, "malloc_usable_size");
    size_t n = (size_t)grains_of(h, live_block(h, p)) * SLZ_ALIGN - SLZ_HDR;
    op_end(h);
    return n;
}

void slz_copy_out(slz_heap *h, void *dst, void *p, size_t len)
{
    const size_t piece = (size_t)1 << 20;
    uintptr_t pg = h->page - 1;
    for (size_t off = 0; off < len; off += piece) {
        size_t k = len - off < piece ? len - off : piece;
        memcpy((char *)dst + off, (char *)p + off, k);
        uintptr_t a = ((uintptr_t)p + off + pg) & ~pg, b = ((uintptr_t)p + off + k) & ~pg;
        if ((h->flags & SLZ_ANON) && b > a)
            os_release((void *)a, b - a);
    }
}
