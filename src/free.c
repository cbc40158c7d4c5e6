/*
 * free.c - giving chunks back: free (also from another thread), realloc,
 * and the checks that every block pointer passes first.
 */
#include <errno.h>
#include <string.h>

#include "chunk.h"

/* ---- Checking a block pointer ------------------------------------------ */

/* block_grain: the granule of block p's chunk, checked against the bits:
 * a pointer inside the arena at a chunk that is allocated. op names the
 * caller in a report. Reads the bits with single loads only, so another
 * thread may call it while the owner works (see slz_free_deferred). */
static uint32_t block_grain(const slz_heap *h, const void *p, const char *op)
{
    uintptr_t a = (uintptr_t)p, base = (uintptr_t)h->base;
    if ((a & (SLZ_ALIGN - 1)) || a < base + SLZ_HDR || a >= base + (size_t)h->grains * SLZ_ALIGN)
        slz_misuse(op, "invalid pointer", p);
    uint32_t g = grain_of(h, mem2chunk(p));
    const struct slz_cell *c = cell_of(h, g);
    uint64_t b = bit_of(g);
    if (!(__atomic_load_n(&c->start, __ATOMIC_RELAXED) & b))
        slz_misuse(op, (c->tomb & b) ? "double free" : "invalid pointer", p);
    if (!(__atomic_load_n(&c->used, __ATOMIC_RELAXED) & b))
        slz_misuse(op, "double free", p);
    if (!header_ok(h, chunk_at(h, g), (size_t)grains_of(h, g) * SLZ_ALIGN, 1))
        slz_misuse(op, "corrupted chunk header (write past the end of the block below?)", p);
    return g;
}

/* checked_block: block_grain, by the owner, which also checks the header
 * of the chunk above (a write past the end of the block lands there). */
static uint32_t checked_block(slz_heap *h, const void *p)
{
    uint32_t g = block_grain(h, p, h->op);
    uint32_t nx = g + grains_of(h, g);
    if (nx < h->grains && !header_ok(h, chunk_at(h, nx), (size_t)grains_of(h, nx) * SLZ_ALIGN, is_used(h, nx)))
        slz_misuse(h->op, "corrupted next chunk (write past the end of a block?)", p);
    return g;
}

/* live_block: the chunk of block p, checked, once the frees other threads
 * left are taken (one of them may be p: then this is a double free). */
uint32_t live_block(slz_heap *h, const void *p)
{
    if (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED))
        heap_collect(h);
    return checked_block(h, p);
}

/* ---- Giving a chunk back: merge above, merge below, place -------------- */

/* wipe: a header swallowed by a merge leaves nothing behind. */
static void wipe(slz_chunk *c) { memset(c, 0, sizeof *c); }

/* merge_above: the chunk being freed ends at end; take in the free chunk
 * there, if any. Returns the new end. */
static uint32_t merge_above(slz_heap *h, uint32_t end)
{
    if (end >= h->grains || is_used(h, end))
        return end;
    uint32_t n = grains_of(h, end);
    wipe(free_checked(h, end, n));
    bits_unstart(h, end);
    if (end == h->top)
        h->top = SLZ_NONE; /* place() makes the merged chunk the top */
    h->st.free_chunks--;
    h->st.coalesces++;
    return end + n;
}

/* merge_below: the free chunk just below g, if any, takes g in. Returns
 * where the merged chunk begins. */
static uint32_t merge_below(slz_heap *h, uint32_t g)
{
    if (g == 0)
        return g;
    uint32_t pv = bits_prev_start(h, g);
    if (is_used(h, pv))
        return g;
    free_checked(h, pv, g - pv);
    wipe(chunk_at(h, g));
    bits_unstart(h, g);
    h->st.free_chunks--;
    h->st.coalesces++;
    return pv;
}

/* place: [lo, end) is one free chunk now: its header, its size in the
 * bits, the top or the index. */
static void place(slz_heap *h, uint32_t lo, uint32_t end)
{
    bits_note_size(h, lo, end - lo);
    make_free(h, lo, end - lo);
    if (end == h->grains) {
        h->top = lo;
        index_refresh(h, lo); /* a chunk below may have left the index to head it */
    } else {
        index_grew(h, lo, end - lo); /* anything it swallowed in its cell was smaller */
    }
    if (lo < h->align_from)
        h->align_from = lo;
    if (lo < h->spotless)
        h->spotless = lo;
}

/* give_back: the kernel may take the whole pages of free chunk [lo, end)
 * beyond its first SLZ_KEEP bytes (so that a program working at the low end
 * of a big free chunk, the top say, does not fault its pages in and out),
 * and the pages of the cells inside it, which hold no start bit (tombs go:
 * a pointer into them then reads as invalid, not as a double free). They
 * read as zero when touched again. Only on anonymous memory. */
static void give_back(slz_heap *h, uint32_t lo, uint32_t end)
{
    uintptr_t pg = h->page - 1, base = (uintptr_t)h->base;
    uintptr_t x = ((uintptr_t)chunk_at(h, lo) + SLZ_KEEP + pg) & ~pg;
    uintptr_t y = (uintptr_t)chunk_at(h, end) & ~pg;
    if (!(h->flags & SLZ_ANON) || y <= x)
        return;
    os_release((void *)x, y - x);
    const size_t cell_bytes = SLZ_CELL * SLZ_ALIGN;
    uintptr_t cx = ((uintptr_t)&h->cells[(x - base + cell_bytes - 1) / cell_bytes] + pg) & ~pg;
    uintptr_t cy = (uintptr_t)&h->cells[(y - base) / cell_bytes] & ~pg;
    if (cy > cx)
        os_release((void *)cx, cy - cx);
}

/* trim_walk: give_back every free chunk of at least SLZ_RELEASE_MIN bytes
 * under entry idx of index level l. */
static void trim_walk(slz_heap *h, int l, size_t idx)
{
    const uint32_t min = SLZ_RELEASE_MIN / SLZ_ALIGN;
    if (h->lv[l][idx] < min)
        return;
    if (l > 0) {
        for (size_t j = 0; j < SLZ_FAN; j++)
            trim_walk(h, l - 1, idx * SLZ_FAN + j);
        return;
    }
    const struct slz_cell *c = &h->cells[idx];
    for (uint64_t f = c->start & ~c->used; f; f &= f - 1) {
        uint32_t g = (uint32_t)(idx * SLZ_CELL + (size_t)__builtin_ctzll(f)), n = grains_of(h, g);
        if (g != h->top && n >= min)
            give_back(h, g, g + n);
    }
}

/* trim: as glibc trims its top once it has grown by its threshold, once a
 * program has freed at least SLZ_TRIM_STEP bytes, and more than it now
 * holds, since the last trim, the big free chunks (found through the index)
 * and the top give their pages back: a program that frees most of what it
 * had keeps little more resident than it uses, and one that frees and
 * allocates again at the same pace does not fault its pages in and out. */
static void trim(slz_heap *h)
{
    h->untrimmed = 0;
    for (size_t j = 0; j < SLZ_FAN; j++)
        trim_walk(h, h->start, j);
    if (h->top != SLZ_NONE)
        give_back(h, h->top, h->grains);
}

/* release: the allocated chunk at g (checked) becomes free and merges with
 * both neighbours at once. A big block gives its pages back at once (glibc
 * would munmap it); small ones add up to a trim. */
void release(slz_heap *h, uint32_t g)
{
    uint32_t n = grains_of(h, g);
    struct slz_heap_stats *st = &h->st;
    st->in_use -= (size_t)n * SLZ_ALIGN;
    st->free_bytes += (size_t)n * SLZ_ALIGN;
    st->live_blocks--;
    st->frees++;
    st->free_chunks++;
    mark_used(h, g, 0);
    uint32_t nx = g + n;
    int nx_indexed = nx < h->grains && !is_used(h, nx) && nx != h->top;
    uint32_t end = merge_above(h, nx);
    uint32_t lo = merge_below(h, g);
    place(h, lo, end);
    if (nx_indexed && nx / SLZ_CELL != lo / SLZ_CELL)
        index_lost(h, nx, end - nx); /* g's own cell: g was no index entry */
    if ((size_t)n * SLZ_ALIGN >= SLZ_RELEASE_MIN)
        give_back(h, lo, end);
    else if ((h->untrimmed += (size_t)n * SLZ_ALIGN) >= SLZ_TRIM_STEP && h->untrimmed >= st->in_use &&
             (h->flags & SLZ_ANON))
        trim(h);
}

void slz_free(slz_heap *h, void *p)
{
    if (p == NULL)
        return;
    op_begin(h, "free");
    release(h, live_block(h, p));
    op_end(h);
}

/* ---- Frees from another thread ----------------------------------------- */

void slz_free_deferred(slz_heap *h, void *p)
{
    if (p == NULL)
        return;
    uint32_t g = block_grain(h, p, "free");
    if (pending_mark(h, g))
        slz_misuse("free", "double free", p);
}

/* take_pending: a block another thread freed, given back by the owner. */
static void take_pending(slz_heap *h, uint32_t g)
{
    release(h, checked_block(h, chunk2mem(chunk_at(h, g))));
}

void heap_collect(slz_heap *h) { pending_drain(h, take_pending); }

void slz_heap_collect(slz_heap *h)
{
    op_begin(h, "free");
    heap_collect(h);
    op_end(h);
}

/* ---- realloc ----------------------------------------------------------- */

/* grow_into_next: extend chunk g over its free successor when that makes
 * need granules; what is left of the successor stays free. */
static int grow_into_next(slz_heap *h, uint32_t g, uint32_t need)
{
    uint32_t n = grains_of(h, g), nx = g + n;
    if (nx >= h->grains || is_used(h, nx) || n + grains_of(h, nx) < need)
        return 0;
    uint32_t nn = grains_of(h, nx), take = need - n;
    int top = nx == h->top;
    wipe(free_checked(h, nx, nn));
    bits_unstart(h, nx);
    if (nn - take >= MIN_GRAINS) {
        bits_start(h, nx + take, nn - take);
        make_free(h, nx + take, nn - take);
        if (top)
            h->top = nx + take;
        else
            index_refresh(h, nx + take);
    } else {
        take = nn;
        h->st.free_chunks--;
        if (top)
            h->top = SLZ_NONE;
    }
    if (!top)
        index_refresh(h, nx);
    bits_note_size(h, g, n + take);
    write_header(h, chunk_at(h, g), (size_t)(n + take) * SLZ_ALIGN, 1);
    account_use(h, g, n + take, take);
    return 1;
}

/* shrink: give back the tail of chunk g beyond need when it can stand alone:
 * it is released like a block of its own, merging upwards. */
static void shrink(slz_heap *h, uint32_t g, uint32_t need)
{
    uint32_t n = grains_of(h, g);
    if (n - need < MIN_GRAINS)
        return;
    bits_start(h, g + need, n - need);
    mark_used(h, g + need, 1);
    bits_note_size(h, g, need);
    write_header(h, chunk_at(h, g), (size_t)need * SLZ_ALIGN, 1);
    write_header(h, chunk_at(h, g + need), (size_t)(n - need) * SLZ_ALIGN, 1);
    h->st.splits++;
    h->st.live_blocks++;
    h->st.frees--;
    release(h, g + need);
}


static void *heap_realloc(slz_heap *h, void *p, size_t n)
{
    uint32_t g = live_block(h, p);
    h->st.reallocs++;
    uint32_t need = grains_for(h, n);
    if (need == 0)
        return heap_fail(h);
    if (need <= grains_of(h, g) || grow_into_next(h, g, need)) {
        shrink(h, g, need);
        h->st.realloc_in_place++;
        return p;
    }
    char *q = heap_malloc(h, n);
    if (q == NULL)
        return NULL;
    size_t len = (size_t)grains_of(h, g) * SLZ_ALIGN - SLZ_HDR;
    if (len >= SLZ_RELEASE_MIN)
        slz_copy_out(h, q, p, len); /* a big block: never both copies resident */
    else
        memcpy(q, p, len);
    h->st.mallocs--; /* a move, not a new block */
    release(h, g);
    h->st.frees--;
    return q;
}

void *slz_realloc(slz_heap *h, void *p, size_t n)
{
    if (p == NULL)
        return slz_malloc(h, n);
    if (n == 0) {
        slz_free(h, p);
        return NULL;
    }
    op_begin(h, "realloc");
    void *q = heap_realloc(h, p, n);
    op_end(h);
    return q;
}

/* ---- Questions about a block ------------------------------------------- */

size_t slz_block_size(const slz_heap *h, const void *p, const char *op)
{
    return (size_t)grains_of(h, block_grain(h, p, op)) * SLZ_ALIGN - SLZ_HDR;
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
