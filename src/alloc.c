/*
 * alloc.c - taking chunks: malloc, calloc and aligned allocation.
 */
#include <errno.h>
#include <string.h>

#include "cache.h"

/* ---- Sizes ------------------------------------------------------------- */

/* request_fits: a request of n bytes can fit the arena at all. */
static inline int request_fits(const slz_heap *h, size_t n) { return n <= (size_t)h->grains * SLZ_ALIGN - SLZ_HDR; }

/* REQUEST_MAX_version: the largest request malloc's pass takes in each
 * line version (lines.h), one whose chunk's granules the version's
 * compares read right: fewer than 2^31 in AVX2's (signed), 2^32 in the
 * others. The pass tests this constant, not the arena's size: a request
 * the arena cannot hold finds no entry at the root. */
#define REQUEST_MAX_avx2 (((size_t)1 << 35) - SLZ_HDR - SLZ_ALIGN - 1)
#define REQUEST_MAX_sse2 (SLZ_MAX_HEAP - SLZ_HDR - SLZ_ALIGN + 1)
#define REQUEST_MAX_plain REQUEST_MAX_sse2

/* request_grains: the chunk size in granules for a request of n bytes
 * that request_fits (so that it counts in 32 bits); the minimum by a
 * conditional move. */
HOT uint32_t request_grains(size_t n)
{
    uint32_t g = (uint32_t)((n + SLZ_HDR + SLZ_ALIGN - 1) / SLZ_ALIGN);
    return pick_ae(g, MIN_GRAINS, g, MIN_GRAINS);
}

/* grains_for: the chunk size in granules for a request of n bytes, or 0 if
 * it can never fit. */
uint32_t grains_for(const slz_heap *h, size_t n) { return request_fits(h, n) ? request_grains(n) : 0; }

void *heap_fail(slz_heap *h)
{
    h->st.failures++;
    if (!(h->flags & SLZ_KEEP_ERRNO))
        errno = ENOMEM;
    return NULL;
}

/* corrupt_free: free chunk g of n granules failed free_checked. */
_Noreturn __attribute__((cold, noinline)) void corrupt_free(const slz_heap *h, uint32_t g, uint32_t n)
{
    slz_misuse(h->op, g + n == h->grains ? "corrupted top chunk" : "corrupted free chunk (write after free?)",
               chunk2mem(chunk_at(h, g)));
}

/* ---- Carving ----------------------------------------------------------- */

/* The carve's reports name the entry point op when it is not NULL: malloc's
 * own pass sets h->op only on its ways to a report (malloc_pass.h), any
 * other caller has set it. taken_corrupt: free chunk g of n granules, about
 * to be taken, failed free_intact. It returns nothing, but is not declared
 * _Noreturn (noipa: nor found so): its call is a jump, as every call of
 * slz_malloc's pass is (malloc_pass.h). */
#ifdef __clang__
#define NOIPA /* (GCC's attribute: clang has none) */
#else
#define NOIPA __attribute__((noipa))
#endif
static __attribute__((cold, noinline)) NOIPA void *taken_corrupt(slz_heap *h, uint32_t g, uint32_t n, const char *op)
{
    if (op)
        h->op = op;
    corrupt_free(h, g, n);
}

/* count_use: added granules more in use. */
HOT void count_use(slz_heap *h, uint32_t added)
{
    struct slz_heap_stats *st = &h->st;
    size_t in_use = st->in_use + (size_t)added * SLZ_ALIGN;
    st->in_use = in_use;
    /* (by a conditional move: one branch less on malloc's path, for two
     * instructions more) */
    st->peak_in_use = in_use > st->peak_in_use ? in_use : st->peak_in_use;
}

/* raise_high_water: a chunk in use ends at granule e. */
HOT void raise_high_water(slz_heap *h, uint32_t e)
{
    size_t hw = (size_t)e * SLZ_ALIGN;
    h->st.high_water = hw > h->st.high_water ? hw : h->st.high_water;
}

/* account_use: the chunk at g of n granules has gained added granules. */
void account_use(slz_heap *h, uint32_t g, uint32_t n, uint32_t added)
{
    count_use(h, added);
    raise_high_water(h, g + n);
}

/* carve_take: allocate need granules at the start of free chunk g of n
 * granules in cell cg, intact (free_intact, the caller's): the bits and the rest. The
 * rest stays free, in g's place, when it can stand alone (its index entry
 * rises when it begins in another cell); else the whole chunk goes. Returns
 * the granules taken. The cell's own index entry is the caller's, and left
 * as it was: it falls (a refresh) only when g was the cell's largest free
 * chunk, lv[0][g / SLZ_CELL] == n. top 0: g is known not to be the arena's
 * last chunk, so the carve calls nothing: the high-water mark stays (only
 * the last chunk reaches above it), and the rest's cell lies below the
 * span, no widen (it lies below the cell of the chunk at g + n, a chunk
 * that began free, its cell covered since: every free chunk's start is
 * indexed, index_raise, and the span never shrinks). */
HOT uint32_t carve_take(slz_heap *h, struct slz_cell *cg, uint32_t g, uint32_t n, uint32_t need, int top)
{
    slz_chunk *ch = chunk_at(h, g);
    wr_or(&cg->used, bit_of(g)); /* (mark_used(h, g, 1) in one instruction: an or into the word) */
    if (top && __builtin_expect(g + n == h->grains, 0))
        raise_high_water(h, g + (n - need >= MIN_GRAINS ? need : n));
    struct slz_heap_stats *st = &h->st;
    if (n - need >= MIN_GRAINS) {
        uint32_t r = g + need, rest = n - need, e = g + n - 1;
        struct slz_cell *ce = cell_of(h, e), *c = cell_of(h, r);
        ce->lead = pick_ae(e ^ r, SLZ_CELL, r, ce->lead);
        /* bits_start(h, r), and bits_note_chunk(h, r, g + n) from the bits
         * at hand: the rest is its cell's last chunk when no start follows
         * it there (the chunk at g + n begins in the cell unless the rest
         * reaches past it or the arena ends) */
        uint64_t b = bit_of(r);
        wr_and(&c->used, ~b); /* (first, one instruction: a cell on a page never touched faults once, as bits_start's) */
        uint64_t sb = c->start;
        wr(&c->start, sb | b);
        c->last = pick_nz((sb >> (r % SLZ_CELL)) >> 1, c->last, rest);
        make_free_at(h, (slz_chunk *)((char *)ch + (size_t)need * SLZ_ALIGN), rest);
        if ((r ^ g) >= SLZ_CELL) { /* another cell (in g's, g's own notes stand) */
            struct slz_cell *cl = cell_of(h, r - 1);
            cg->last = need; /* (bits_note_chunk(h, g, r): it reaches past its cell) */
            cl->lead = pick_ae((r - 1) ^ g, SLZ_CELL, g, cl->lead);
            __asm__("" : "+r"(r)); /* (kr from r here, not kept from c's address: kept across the */
            size_t kr = r / SLZ_CELL;  /* rest's stores it spilled, and a spill costs malloc's pass its stack's realignment) */
            wr_touch(&h->lv[0][kr]); /* (as bits_start's words: a page never touched faults once) */
            if (top)
                index_raise(h, kr, rest);
            else if (rest > h->lv[0][kr]) /* (raise_cell but the widen) */
                h->lv[0][kr] = rest, index_climb(h, kr, rest);
        }
        st->splits++;
    } else {
        need = n;
        st->free_chunks--;
    }
    return need;
}


/* reused: pending_reused's check (pending_look's, inline) for the block at g
 * (op: as taken_corrupt's), then the block, the operation ended (op_end) if
 * end: carve_hand's way out when another thread ever freed, a jump
 * (malloc_pass.h). When the fence is due, reused_fenced does it all
 * (pending_look: the fence, then the bit), a jump: so reused calls nothing
 * that returns, and keeps no register of its caller's (a malloc in such a
 * heap: six instructions fewer). */
static __attribute__((cold, noinline)) void *reused_fenced(slz_heap *h, uint32_t g, int end)
{
    pending_look(h, g);
    if (end)
        op_end(h);
    return chunk2mem(chunk_at(h, g));
}
static __attribute__((cold, noinline)) void *reused(slz_heap *h, uint32_t g, const char *op, int end)
{
    if (op)
        h->op = op;
    if (pending_fence_due(h))
        return reused_fenced(h, g, end);
    pending_bit_look(h, g);
    if (end)
        op_end(h);
    return chunk2mem(chunk_at(h, g));
}

/* carve_hand: the chunk at g, need granules taken (carve_take), its header
 * written by the caller (need granules, used, and its check word: malloc's
 * pass has its own, V_WRITE_USED), handed out: the canary's word cleared,
 * the counts (but the bytes requested: the caller's), and the pending free
 * of its old life looked for; the operation ended (op_end) if end. op: as
 * taken_corrupt's. */
HOT void *carve_hand(slz_heap *h, uint32_t g, uint32_t need, const char *op, int end)
{
    slz_chunk *c = chunk_at(h, g);
    struct slz_heap_stats *st = &h->st;
    c->canary = 0; /* nothing of the allocator's stays in a block */
    count_use(h, need);
    st->bytes_allocated += (size_t)need * SLZ_ALIGN;
    __atomic_signal_fence(__ATOMIC_SEQ_CST); /* g marked used, then remote read (see slz_free_deferred) */
    st->mallocs++; /* (apart: two adds, not one vector add of four instructions more) */
    if (__atomic_load_n(&h->remote, __ATOMIC_RELAXED))
        return reused(h, g, op, end);
    if (end)
        op_end(h);
    return chunk2mem(c);
}

/* carve: carve_take, the cell's index entry, carve_hand (for the aligned
 * search; malloc's pass does the same with its own version of refresh). */
static void *carve(slz_heap *h, uint32_t g, uint32_t n, uint32_t need, size_t request)
{
    size_t k = g / SLZ_CELL;
    free_checked(h, g, n);
    need = carve_take(h, cell_of(h, g), g, n, need, 1);
    if (h->lv[0][k] == n)
        index_refresh(h, k);
    h->st.bytes_requested += request;
    write_header(h, chunk_at(h, g), (size_t)need * SLZ_ALIGN, 1);
    return carve_hand(h, g, need, NULL, 0);
}

/* malloc's pass, first fit in one walk of the index, is compiled once per
 * line version (lines.h), the walk and the index's fall inlined into it
 * (malloc_pass.h); heap_malloc calls the heap's. */
#define SLZ_VERSIONED "malloc_pass.h"
#include "versions.h"
#ifdef SLZ_LINES_X86
#define VERSION(h, fn) ((h)->lines & 1 ? CAT(fn, _avx2) : CAT(fn, _sse2))
#else
#define VERSION(h, fn) CAT(fn, _plain)
#endif

void *heap_malloc(slz_heap *h, size_t n) { return VERSION(h, malloc_bare)(h, n); }

static __attribute__((noinline, cold)) void *no_heap(void)
{
    errno = ENOMEM;
    return NULL;
}
/* slz_malloc's entry per h->lines: the line version (bit 0) and the fast
 * mode (bit 1: the heap has a cache, cache.c). A read-only table: one
 * indirect call, no test of the mode. */
#ifdef SLZ_LINES_X86
static void *(*const malloc_entries[4])(slz_heap *, size_t) = {malloc_op_sse2, malloc_op_avx2, cache_slz_malloc,
                                                                cache_slz_malloc};
#else
static void *(*const malloc_entries[4])(slz_heap *, size_t) = {malloc_op_plain, malloc_op_plain, cache_slz_malloc,
                                                                cache_slz_malloc};
#endif
/* (every way out a tail call: no frame is set up before the mode is known) */
inline void *slz_malloc(slz_heap *h, size_t n)
{
    if (h == NULL)
        return no_heap();
    return malloc_entries[h->lines & 3](h, n);
}
slz_malloc_fn slz_heap_malloc_fn(const slz_heap *h) { return malloc_entries[h->lines & 3]; }

/* ---- calloc ------------------------------------------------------------ */

/* zero: clear n bytes at p. Whole pages of a big block on anonymous memory
 * are handed back to the kernel instead, which maps zero pages on the next
 * touch: no page is written, and none that was given back is made resident. */
static void zero(slz_heap *h, char *p, size_t n)
{
    if (n < SLZ_CALLOC_KERNEL) {
        memset(p, 0, n);
        return;
    }
    uintptr_t lo = ((uintptr_t)p + h->page - 1) & ~(uintptr_t)(h->page - 1);
    uintptr_t hi = ((uintptr_t)p + n) & ~(uintptr_t)(h->page - 1);
    if (!(h->flags & SLZ_ANON) || hi <= lo) {
        memset(p, 0, n);
        return;
    }
    memset(p, 0, lo - (uintptr_t)p);
    os_release((void *)lo, hi - lo);
    memset((void *)hi, 0, (uintptr_t)p + n - hi);
}

void *slz_calloc(slz_heap *h, size_t count, size_t size)
{
    size_t total;
    if (h == NULL || __builtin_mul_overflow(count, size, &total)) {
        if (h)
            h->st.failures++;
        errno = ENOMEM;
        return NULL;
    }
    op_begin(h, "calloc");
    char *p = h->cache ? cache_malloc(h, total) : heap_malloc(h, total);
    if (p) /* (the block's size from the header its carve just wrote: size | U) */
        zero(h, p, (mem2chunk(p)->head & ~(uintptr_t)(SLZ_ALIGN - 1)) - SLZ_HDR);
    op_end(h);
    return p;
}

/* ---- Aligned allocation ------------------------------------------------ */

/* aligned_spot: where in free chunk g (n granules) a chunk of need granules
 * can begin with its payload a multiple of align, leaving below it either
 * nothing or a gap that can stand alone; SLZ_NONE if it does not fit. */
static uint32_t aligned_spot(const slz_heap *h, uint32_t g, uint32_t n, uint32_t need, size_t align)
{
    uintptr_t c = (uintptr_t)chunk_at(h, g);
    uintptr_t p = (c + SLZ_HDR + align - 1) & ~(uintptr_t)(align - 1);
    if (p - SLZ_HDR != c && p - SLZ_HDR - c < SLZ_MIN_CHUNK) /* the gap could not stand alone */
        p = (c + SLZ_HDR + SLZ_MIN_CHUNK + align - 1) & ~(uintptr_t)(align - 1);
    if (p - SLZ_HDR + (size_t)need * SLZ_ALIGN > c + (size_t)n * SLZ_ALIGN)
        return SLZ_NONE;
    return grain_of(h, (void *)(p - SLZ_HDR));
}

/* aligned_fit: the lowest free chunk with an aligned spot, from granule from
 * up; *spot gets the spot. */
static uint32_t aligned_fit(const slz_heap *h, uint32_t need, size_t align, uint32_t from, uint32_t *spot)
{
    for (uint32_t g = index_find(h, need, from); g != SLZ_NONE; g = index_find(h, need, g + 1))
        if ((*spot = aligned_spot(h, g, grains_of(h, g), need, align)) != SLZ_NONE)
            return g;
    return SLZ_NONE;
}

/* split_at: free chunk g becomes two free chunks, the upper one from s. */
static void split_at(slz_heap *h, uint32_t g, uint32_t s)
{
    uint32_t n = grains_of(h, g);
    free_checked(h, g, n);
    bits_start(h, s);
    bits_note_chunk(h, g, s);
    bits_note_chunk(h, s, g + n);
    make_free(h, g, s - g);
    make_free(h, s, g + n - s);
    index_refresh(h, g / SLZ_CELL);
    index_refresh(h, s / SLZ_CELL);
    h->st.free_chunks++;
    h->st.splits++;
}

/* spotless_upto: the first free chunk from granule from up to (not
 * including) granule to that has an aligned spot for a minimum chunk, or
 * to when none has. */
static uint32_t spotless_upto(slz_heap *h, uint32_t from, uint32_t to, size_t align)
{
    for (uint32_t g = index_find(h, MIN_GRAINS, from); g != SLZ_NONE && g < to; g = index_find(h, MIN_GRAINS, g + 1))
        if (aligned_spot(h, g, grains_of(h, g), MIN_GRAINS, align) != SLZ_NONE)
            return g;
    return to;
}

/* The aligned search keeps marks per alignment (class c: 32 << c bytes),
 * so that requests of alternating alignments do not undo each other's. No
 * free chunk below from fits the class's last request, nor any with a
 * larger need. No free chunk below spotless has an aligned spot at all,
 * whatever the need: the gaps left below aligned blocks are like that, and a
 * run of aligned requests of mixed sizes passes each gap once. A spot for an
 * alignment is one for every smaller one, so a request starts above the
 * marks of its class and of every smaller one. A free below a mark voids it:
 * free.c keeps the lowest chunk freed since (align_low), and marks_from
 * brings every mark down to it first. */
static uint32_t marks_from(slz_heap *h, int c, uint32_t need, uint32_t *spotless)
{
    uint32_t low = h->align_low, from = 0, spot = 0;
    h->align_low = SLZ_NONE;
    for (int i = 0; i < 32; i++) {
        struct slz_marks *m = &h->marks[i];
        m->from = m->from < low ? m->from : low;
        m->spotless = m->spotless < low ? m->spotless : low;
        if (i <= c && m->spotless > spot)
            spot = m->spotless;
        if (i <= c && need >= m->need && m->from > from)
            from = m->from;
    }
    *spotless = spot;
    return from > spot ? from : spot;
}

static void *heap_memalign(slz_heap *h, size_t align, size_t n)
{
    if (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED))
        heap_collect(h);
    uint32_t need = grains_for(h, n), spotless, spot;
    if (need == 0 || align > (size_t)h->grains * SLZ_ALIGN)
        return heap_fail(h);
    int c = __builtin_ctzll(align) - 5;
    uint32_t g = aligned_fit(h, need, align, marks_from(h, c, need, &spotless), &spot);
    if (g == SLZ_NONE)
        return heap_fail(h);
    struct slz_marks *m = &h->marks[c];
    m->from = g;
    m->need = need;
    m->spotless = spotless_upto(h, spotless, g, align);
    if (spot != g)
        split_at(h, g, spot);
    return carve(h, spot, grains_of(h, spot), need, n);
}

void *slz_memalign(slz_heap *h, size_t align, size_t n)
{
    if (align == 0 || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= SLZ_ALIGN)
        return slz_malloc(h, n);
    if (h == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    op_begin(h, "memalign");
    int e = errno;
    void *p = heap_memalign(h, align, n);
    if (p == NULL && cache_refused(h, e))
        p = heap_memalign(h, align, n);
    op_end(h);
    return p;
}
