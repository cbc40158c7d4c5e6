/*
 * alloc.c - malloc, calloc, free, realloc and aligned allocation on the heap.
 */
#include <errno.h>
#include <string.h>

#include "chunk.h"

/* ---- Sizes ------------------------------------------------------------- */

/* request2size: the chunk size for a request, or 0 if it can never fit. */
static size_t request2size(size_t n)
{
    if (n > slz_max_request())
        return 0;
    size_t sz = (n + SLZ_HDR + SLZ_ALIGN - 1) & ~(size_t)(SLZ_ALIGN - 1);
    return sz < SLZ_MIN_CHUNK ? SLZ_MIN_CHUNK : sz;
}

static void *fail(void)
{
    slz_H.st.failures++;
    errno = ENOMEM;
    return NULL;
}

/* ---- Marking chunks ---------------------------------------------------- */

/* make_free: write c's head (P as given, U clear) and foot. */
static void make_free(slz_chunk *c, size_t sz, uintptr_t prev_flag)
{
    set_head(c, sz | prev_flag);
    *chunk_foot(c) = sz;
}

/* set_prev_flag: set or clear P on chunk n. */
static void set_prev_flag(slz_chunk *n, int prev_in_use)
{
    uintptr_t h = n->head & ~SLZ_PREV_INUSE;
    set_head(n, h | (prev_in_use ? SLZ_PREV_INUSE : 0));
}

/* bury: mark the head of a chunk swallowed by a merge, so that freeing its
 * old pointer again is told apart from a random bad pointer. */
static void bury(slz_chunk *c) { set_head(c, SLZ_TOMB); }

/* chunk_start: whether a chunk begins at c, found by walking the heap from
 * its base. O(chunks): for telling misuse apart on the error path only. */
static int chunk_start(const slz_chunk *c)
{
    slz_chunk *x = (slz_chunk *)slz_H.base;
    while (x < c && head_ok(x) && chunk_size(x) >= SLZ_MIN_CHUNK)
        x = next_chunk(x);
    return x == c;
}

/* live_chunk: the chunk of block p (any pointer: one outside the heap is
 * reported too), checked to be a live block whose
 * neighbour's metadata is intact; reports misuse otherwise. A head that
 * fails its check where a chunk truly begins was damaged from below. */
static slz_chunk *live_chunk(const void *p)
{
    if (((uintptr_t)p & (SLZ_ALIGN - 1)) || (uintptr_t)p < (uintptr_t)slz_H.base + SLZ_HDR ||
        !in_heap(mem2chunk(p)))
        slz_misuse("invalid pointer", p);
    slz_chunk *c = mem2chunk(p);
    if (!head_ok(c))
        slz_misuse(chunk_start(c) ? "corrupted chunk header (write past the end of the block below?)"
                                  : "invalid pointer",
                   p);
    if (c->head == SLZ_TOMB || !chunk_used(c))
        slz_misuse("double free", p);
    size_t sz = chunk_size(c);
    if (sz < SLZ_MIN_CHUNK || sz > (size_t)(slz_H.fence - (char *)c))
        slz_misuse("invalid pointer", p);
    slz_chunk *n = next_chunk(c);
    if (!head_ok(n) || !prev_used(n))
        slz_misuse("corrupted next chunk (write past the end of a block?)", p);
    return c;
}

/* free_prev: the free chunk below c (P clear), checked. */
static slz_chunk *free_prev(slz_chunk *c)
{
    size_t psz = prev_foot(c);
    slz_chunk *pc = (slz_chunk *)((char *)c - psz);
    if (psz < SLZ_MIN_CHUNK || psz % SLZ_ALIGN || psz > (size_t)((char *)c - slz_H.base) || !head_ok(pc) ||
        chunk_used(pc) || chunk_size(pc) != psz)
        slz_misuse("corrupted previous chunk", chunk2mem(c));
    return pc;
}

/* ---- Taking a chunk from the index -------------------------------------- */

/* take_front: the first want bytes of free chunk c (in the index, or the
 * top chunk) stop being free.
 * The rest stays a free chunk, in c's place in the index, when it can stand
 * alone; else all of c goes. Returns the bytes taken. c's own head is the
 * caller's to rewrite. */
static size_t take_front(slz_chunk *c, size_t want)
{
    size_t sz = chunk_size(c);
    if (*chunk_foot(c) != sz) /* the line is written below anyway: no extra miss */
        slz_misuse("corrupted free chunk (write after free?)", chunk2mem(c));
    int top = c == slz_H.top;
    struct slz_links links = top ? (struct slz_links){0} : tree_links(c); /* the rest may overlap them */
    slz_chunk *rest = NULL;
    if (sz - want >= SLZ_MIN_CHUNK) {
        rest = (slz_chunk *)((char *)c + want);
        make_free(rest, sz - want, SLZ_PREV_INUSE);
        slz_H.st.splits++;
        sz = want;
    } else {
        slz_H.st.free_chunks--;
        set_prev_flag(next_chunk(c), 1);
    }
    if (top)
        slz_H.top = rest; /* the top chunk is in no index */
    else
        tree_take(c, rest, &links);
    slz_H.st.free_bytes -= sz;
    return sz;
}

/* account_use: c (in use, head written) has just gained added bytes. */
static void account_use(slz_chunk *c, size_t added)
{
    struct slz_heap_stats *st = &slz_H.st;
    st->in_use += added;
    if (st->in_use > st->peak_in_use)
        st->peak_in_use = st->in_use;
    size_t top = (size_t)((char *)next_chunk(c) - slz_H.base);
    if (top > st->high_water)
        st->high_water = top;
}

/* carve: allocate need bytes at the start of free chunk c for a request of
 * request bytes. */
static void *carve(slz_chunk *c, size_t need, size_t request)
{
    uintptr_t pflag = c->head & SLZ_PREV_INUSE;
    size_t sz = take_front(c, need);
    set_head(c, sz | SLZ_INUSE | pflag);
    account_use(c, sz);
    slz_H.st.live_blocks++;
    slz_H.st.mallocs++;
    slz_H.st.bytes_requested += request;
    slz_H.st.bytes_allocated += sz;
    return chunk2mem(c);
}

/* top_chunk: the top chunk, checked, or NULL. */
static slz_chunk *top_chunk(void)
{
    slz_chunk *t = slz_H.top;
    if (t && (!head_ok(t) || chunk_used(t)))
        slz_misuse("corrupted top chunk", chunk2mem(t));
    return t;
}

/* first_fit: the lowest-addressed free chunk of at least need bytes: the
 * index's first fit, else the top chunk (above every chunk in the index). */
static slz_chunk *first_fit(size_t need)
{
    slz_chunk *c = tree_first_fit(need);
    if (c == NULL && (c = top_chunk()) != NULL && chunk_size(c) < need)
        c = NULL;
    return c;
}

/* have_heap: a heap is set up, the default one mapped now if need be. */
static int have_heap(void) { return heap_ready() || slz_heap_initialize_impl() == 0; }

static void *heap_malloc(size_t n)
{
    if (!have_heap())
        return fail();
    size_t need = request2size(n);
    slz_chunk *c = need ? first_fit(need) : NULL;
    return c ? carve(c, need, n) : fail();
}

/* ---- Giving a chunk back ----------------------------------------------- */

/* give_back_pages: a big chunk c of sz bytes was just freed: let the kernel
 * take the whole pages inside it, beyond any free chunk's fields at its
 * start and the foot at its end, so that a freed block costs no memory, as
 * glibc's munmap of its big blocks does. Only for a heap the core mapped. */
static void give_back_pages(slz_chunk *c, size_t sz)
{
    if (sz < SLZ_RELEASE_MIN || !slz_H.mapped)
        return;
    uintptr_t lo = ((uintptr_t)c + sizeof(slz_chunk) + slz_H.page - 1) & ~(uintptr_t)(slz_H.page - 1);
    uintptr_t hi = ((uintptr_t)c + sz - sizeof(size_t)) & ~(uintptr_t)(slz_H.page - 1);
    if (hi > lo)
        os_release((void *)lo, hi - lo);
}

/* release: c (in use, checked) becomes free and merges with both
 * neighbours at once. */
static void release(slz_chunk *c)
{
    size_t sz = chunk_size(c);
    slz_chunk *n = next_chunk(c);
    struct slz_heap_stats *st = &slz_H.st;
    st->in_use -= sz;
    st->live_blocks--;
    st->frees++;
    st->free_bytes += sz;
    int prev_free = !prev_used(c), next_free = !chunk_used(n);
    slz_chunk *p = prev_free ? free_prev(c) : NULL;
    size_t nsz = next_free ? chunk_size(n) : 0;
    if (next_free && *chunk_foot(n) != nsz) /* the foot is rewritten below anyway */
        slz_misuse("corrupted free chunk (write after free?)", chunk2mem(n));

    if (n == slz_H.top || (char *)n == slz_H.fence) {
        /* c becomes part of the top chunk, or the top chunk itself; a free
         * chunk below leaves the index to head it */
        slz_chunk *head = c;
        size_t total = sz + nsz;
        if (prev_free) {
            struct slz_links links = tree_links(p);
            tree_take(p, NULL, &links);
            head = p;
            total += chunk_size(p);
            bury(c);
            st->coalesces++;
        }
        if (next_free) {
            bury(n);
            st->coalesces++;
        }
        st->free_chunks += 1 - prev_free - next_free;
        make_free(head, total, head->head & SLZ_PREV_INUSE);
        if (!next_free)
            set_prev_flag(n, 0); /* the fence */
        slz_H.top = head;
    } else if (prev_free && next_free) {
        struct slz_links links = tree_links(n);
        tree_take(n, NULL, &links);
        make_free(p, chunk_size(p) + sz + nsz, p->head & SLZ_PREV_INUSE);
        tree_changed(p);
        bury(c);
        bury(n);
        st->free_chunks--;
        st->coalesces += 2;
    } else if (prev_free) {
        make_free(p, chunk_size(p) + sz, p->head & SLZ_PREV_INUSE);
        tree_changed(p);
        bury(c);
        set_prev_flag(n, 0);
        st->coalesces++;
    } else if (next_free) {
        struct slz_links links = tree_links(n);
        make_free(c, sz + nsz, SLZ_PREV_INUSE);
        tree_take(n, c, &links);
        bury(n);
        st->coalesces++;
    } else {
        make_free(c, sz, SLZ_PREV_INUSE);
        tree_insert(c);
        set_prev_flag(n, 0);
        st->free_chunks++;
    }
    give_back_pages(c, sz);
}

/* ---- The public entry points ------------------------------------------- */

void *slz_Heap_Allocator_impl(size_t size)
{
    slz_H.op = "malloc";
    return heap_malloc(size);
}

void *slz_Heap_Allocator_init_impl(size_t numElements, size_t sizeElements)
{
    size_t total;
    slz_H.op = "calloc";
    if (__builtin_mul_overflow(numElements, sizeElements, &total))
        return fail();
    size_t hw = slz_H.st.high_water;
    char *p = heap_malloc(total);
    if (p == NULL)
        return NULL;
    /* Memory above the old high-water mark has never been handed out: it is
     * still zero from mmap except for the free chunk head that sat there
     * (and a foot in the last word). Only the rest needs clearing. */
    size_t usable = chunk_size(mem2chunk(p)) - SLZ_HDR, dirty = usable;
    char *fresh = slz_H.base + hw + sizeof(slz_chunk);
    if (slz_H.mapped && fresh > p && fresh < p + usable)
        dirty = (size_t)(fresh - p);
    memset(p, 0, dirty);
    if (dirty < usable)
        memset(p + usable - sizeof(size_t), 0, sizeof(size_t));
    return p;
}

void slz_Heap_deAllocator_impl(void *p)
{
    if (p == NULL)
        return;
    slz_H.op = "free";
    release(live_chunk(p));
}

/* grow_into_next: extend c over its free successor when that makes room. */
static int grow_into_next(slz_chunk *c, size_t need)
{
    size_t sz = chunk_size(c);
    slz_chunk *n = next_chunk(c);
    if (chunk_used(n) || sz + chunk_size(n) < need)
        return 0;
    size_t got = take_front(n, need - sz);
    bury(n);
    set_head(c, (sz + got) | (c->head & SLZ_FLAGS));
    account_use(c, got);
    return 1;
}

/* shrink: give back the tail of c beyond need when it can stand alone. */
static void shrink(slz_chunk *c, size_t need)
{
    size_t sz = chunk_size(c);
    if (sz - need < SLZ_MIN_CHUNK)
        return;
    slz_chunk *tail = (slz_chunk *)((char *)c + need);
    set_head(c, need | (c->head & SLZ_FLAGS));
    set_head(tail, (sz - need) | SLZ_INUSE | SLZ_PREV_INUSE);
    slz_H.st.splits++;
    /* the tail is released like a block of its own, merging upwards */
    slz_H.st.live_blocks++;
    slz_H.st.frees--;
    release(tail);
}

void *slz_Heap_reAllocator_impl(void *p, size_t newSize)
{
    if (p == NULL)
        return slz_Heap_Allocator_impl(newSize);
    if (newSize == 0) {
        slz_Heap_deAllocator_impl(p);
        return NULL;
    }
    slz_H.op = "realloc";
    slz_chunk *c = live_chunk(p);
    slz_H.st.reallocs++;
    size_t need = request2size(newSize);
    if (need == 0)
        return fail();
    if (need <= chunk_size(c) || grow_into_next(c, need)) {
        shrink(c, need);
        slz_H.st.realloc_in_place++;
        return p;
    }
    void *q = heap_malloc(newSize);
    if (q == NULL)
        return NULL;
    memcpy(q, p, chunk_size(c) - SLZ_HDR);
    slz_H.st.mallocs--; /* a move, not a new block */
    release(c);
    slz_H.st.frees--;
    return q;
}

void *slz_aligned_alloc(size_t align, size_t size)
{
    slz_H.op = "memalign";
    if (align == 0 || (align & (align - 1))) {
        errno = EINVAL;
        return NULL;
    }
    if (align <= SLZ_ALIGN)
        return heap_malloc(size);
    if (!have_heap())
        return fail();
    size_t need = request2size(size);
    if (need == 0 || align > slz_H.size)
        return fail();
    char *spot;
    slz_chunk *c = tree_first_fit_aligned(need, align, &spot);
    if (c == NULL && ((c = top_chunk()) == NULL || (spot = aligned_spot(c, need, align)) == NULL))
        return fail();
    if (spot != (char *)c) {
        /* leave the gap below as a free chunk of its own, in the index; the
         * chunk from spot up takes c's place (the top chunk's, if c was it) */
        size_t gap = (size_t)(spot - (char *)c), total = chunk_size(c);
        int top = c == slz_H.top;
        make_free(c, gap, c->head & SLZ_PREV_INUSE);
        if (top)
            tree_insert(c);
        else
            tree_changed(c);
        slz_chunk *a = (slz_chunk *)spot;
        make_free(a, total - gap, 0);
        if (top)
            slz_H.top = a;
        else
            tree_insert(a);
        slz_H.st.free_chunks++;
        slz_H.st.splits++;
        c = a;
    }
    return carve(c, need, size);
}

size_t slz_usable_size(const void *p)
{
    if (p == NULL)
        return 0;
    slz_H.op = "malloc_usable_size";
    return chunk_size(live_chunk(p)) - SLZ_HDR;
}
