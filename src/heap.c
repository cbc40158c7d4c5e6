/*
 * heap.c - making and destroying heaps, looking inside them (the checker:
 * check.c), the default heap of the original interface, and the one error
 * path.
 */
#include <string.h>

#include "cache.h"
#include "grains.h"

/* ---- Laying out a heap ------------------------------------------------- */

static size_t up(size_t n, size_t a) { return (n + a - 1) & ~(a - 1); }

/* The metadata of an arena of a given number of granules: where each part
 * goes, from the start of the region. */
struct layout {
    size_t ncells;
    size_t lv_off[SLZ_LEVELS], lvn[SLZ_LEVELS];
    size_t pend_off[3], pendn[3];
    size_t cells_off;
    size_t cache_off; /* SLZ_CACHE: the cache (cache.h) */
    int nlv;
    size_t bytes; /* all of it */
};

static void plan(struct layout *L, size_t grains, unsigned flags)
{
    size_t at = up(sizeof(struct slz_heap), 64);
    L->ncells = (grains + SLZ_CELL - 1) / SLZ_CELL;
    L->cells_off = at;
    at += up(L->ncells * sizeof(struct slz_cell), 64);
    size_t n = L->ncells;
    for (L->nlv = 0;; L->nlv++) { /* index levels, 16 entries a line */
        L->lvn[L->nlv] = (n + SLZ_FAN - 1) / SLZ_FAN;
        L->lv_off[L->nlv] = at;
        at += L->lvn[L->nlv] * 64;
        if (n <= SLZ_FAN) {
            L->nlv++;
            break;
        }
        n = L->lvn[L->nlv];
    }
    at = up(at, 128); /* other threads write here: its own lines */
    L->pendn[0] = L->ncells;
    L->pendn[1] = (L->pendn[0] + 63) / 64;
    L->pendn[2] = (L->pendn[1] + 63) / 64;
    for (int i = 0; i < 3; i++) {
        L->pend_off[i] = at;
        at += up(L->pendn[i] * 8, 64);
    }
    L->cache_off = at;
    if (flags & SLZ_CACHE)
        at += cache_meta_bytes(L->ncells);
    L->bytes = up(at, 128);
}

size_t slz_heap_footprint(size_t arena, unsigned flags)
{
    struct layout L;
    size_t page = os_page_size();
    if (arena > SLZ_MAX_HEAP)
        return 0;
    arena = up(arena, SLZ_ALIGN);
    plan(&L, arena / SLZ_ALIGN, flags);
    if (flags & SLZ_GUARDED)
        return up(L.bytes, page) + 2 * page + up(arena, page);
    return L.bytes + 64 + arena;
}

/* arena_for: the largest arena (a multiple of step) whose footprint fits
 * bytes, 0 if none does. The metadata of all of bytes is more than the
 * arena's: bytes less it is an arena that fits (or none is: 0, whose
 * footprint the loop never reads), and the largest lies between it and
 * bytes, found by halving that interval (a footprint grows with the
 * arena): ~20 plans, where a step at a time was ~500 for a guarded heap of
 * 1 GiB. (The first can be none while an arena fits: bytes of a guarded
 * heap hold its metadata rounded up to a page, and the metadata of all of
 * bytes, a little more, may cross that page: a cache's heap of 4 KiB.) */
static size_t arena_for(size_t bytes, unsigned flags)
{
    size_t step = (flags & SLZ_GUARDED) ? os_page_size() : SLZ_ALIGN;
    struct layout L;
    size_t g = (bytes > SLZ_MAX_HEAP ? SLZ_MAX_HEAP : bytes) / SLZ_ALIGN;
    plan(&L, g, flags);
    size_t fixed = L.bytes + ((flags & SLZ_GUARDED) ? 3 * step : 64);
    size_t a = bytes > fixed ? (bytes - fixed) & ~(step - 1) : 0, most = (bytes < SLZ_MAX_HEAP ? bytes : SLZ_MAX_HEAP) & ~(step - 1);
    while (a < most) { /* a fits; the largest is at most most */
        size_t mid = a + ((most - a) / step + 1) / 2 * step;
        if (slz_heap_footprint(mid, flags) <= bytes)
            a = mid;
        else
            most = mid - step;
    }
    return a;
}

/* attach: point h at the parts of its metadata, laid out by L. */
static void attach(slz_heap *h, char *meta, const struct layout *L)
{
    h->ncells = L->ncells;
    h->cells = (struct slz_cell *)(meta + L->cells_off);
    h->nlv = L->nlv;
    for (int i = 0; i < L->nlv; i++) {
        h->lv[i] = (uint32_t *)(meta + L->lv_off[i]);
        h->reach[i] = i == 0 ? SLZ_FAN : h->reach[i - 1] * SLZ_FAN;
    }
    h->lv[L->nlv] = &h->stop; /* (the stop above the root line: index_raise) */
    h->lv[1][0] = SLZ_STOP;   /* (above lv[0], the walk's first line; widen moves it) */
    for (int i = 0; i < 3; i++) {
        h->pend[i] = (uint64_t *)(meta + L->pend_off[i]);
        h->pendn[i] = L->pendn[i];
    }
}

slz_heap *slz_heap_create_in(void *mem, size_t bytes, unsigned flags)
{
    size_t page = os_page_size();
    uintptr_t lo = up((uintptr_t)mem, 64);
    if (mem == NULL || bytes < lo - (uintptr_t)mem)
        return NULL;
    bytes -= lo - (uintptr_t)mem;
    if ((flags & SLZ_GUARDED) && ((lo & (page - 1)) || (bytes & (page - 1))))
        return NULL;
    size_t arena = arena_for(bytes, flags), planned = arena;
    if (arena < SLZ_MIN_CHUNK)
        return NULL;
    struct layout L;
    plan(&L, arena / SLZ_ALIGN, flags);
    if ((flags & SLZ_GROWS) && arena > page)
        arena = page; /* the rest comes with slz_heap_grow */
    char *meta = (char *)lo, *base = meta + L.bytes;
    if (flags & SLZ_GUARDED) {
        base = meta + up(L.bytes, page) + page;
        if (os_guard(base - page, page) || (!(flags & SLZ_GROWS) && os_guard(base + arena, page)))
            return NULL;
    }
    if (!(flags & SLZ_ANON))
        memset(meta, 0, L.bytes);
    slz_heap *h = (slz_heap *)meta;
    h->base = base;
    h->grains = (uint32_t)(arena / SLZ_ALIGN);
    h->grains_max = (uint32_t)(planned / SLZ_ALIGN);
    h->flags = flags;
    h->page = page;
    h->region = mem;
    h->region_size = bytes + (lo - (uintptr_t)mem);
    keys_set(h, os_random(), os_random());
    h->seal = (uintptr_t)os_random();
    h->keep = SLZ_KEEP / SLZ_ALIGN; /* (free.c: the keep zone, at its least) */
    h->op = "malloc";
    h->remote = os_membarrier_ready() ? 0 : 2; /* (without the barrier, the owner always looks: index.c) */
    attach(h, meta, &L);
    if (flags & SLZ_CACHE)
        cache_attach(h, meta + L.cache_off, L.ncells);
    index_pick_lines(h);
    h->lines |= (h->cache != NULL) << 1;
    /* one free chunk over the whole arena */
    bits_start(h, 0);
    bits_note_chunk(h, 0, h->grains);
    make_free(h, 0, h->grains);
    index_raise(h, 0, h->grains);
    h->align_low = SLZ_NONE;
    h->st.heap_size = planned; /* (what a heap that grows may become) */
    h->st.free_chunks = 1;
    return h;
}

/* slz_heap_grow: the arena's last chunk takes the new granules when it is
 * free (it grows, and so does its index entry; its record, the heap's,
 * stays true); when the arena ends in a block, they become a free chunk of
 * their own (with no record: nothing there went back). */
int slz_heap_grow(slz_heap *h, size_t bytes)
{
    if (h == NULL || !(h->flags & SLZ_GROWS) || (bytes & (h->page - 1)) || bytes / SLZ_ALIGN > h->grains_max ||
        bytes / SLZ_ALIGN < h->grains)
        return -1;
    uint32_t old = h->grains, g = (uint32_t)(bytes / SLZ_ALIGN);
    if (g == old)
        return 0;
    op_begin(h, "malloc");
    uint32_t lo = bits_prev_start(h, old); /* the last chunk */
    if (is_used(h, lo)) {
        lo = old;
        h->rel_a = h->rel_r = 0;
        bits_start(h, old);
        h->st.free_chunks++;
    } else {
        free_checked(h, lo, old - lo);
    }
    heap_grains_publish(h, g); /* (another thread may read it: grains.h) */
    bits_note_chunk(h, lo, g);
    make_free(h, lo, g - lo);
    index_raise(h, lo / SLZ_CELL, g - lo);
    if (lo < h->align_low)
        h->align_low = lo; /* (the aligned search's marks: the chunk may fit now) */
    op_end(h);
    return 0;
}

slz_heap *slz_heap_create(size_t bytes) { return slz_heap_create_flags(bytes, 0); }

slz_heap *slz_heap_create_flags(size_t bytes, unsigned flags)
{
    size_t page = os_page_size();
    flags = SLZ_GUARDED | SLZ_ANON | (flags & (SLZ_SECURE | SLZ_KEEP_ERRNO)); /* (SLZ_SECURE holds SLZ_CACHE's bit) */
    if (bytes == 0 || bytes > SLZ_MAX_HEAP)
        return NULL;
    size_t total = slz_heap_footprint(up(bytes, page), flags);
    void *mem = os_map(total);
    if (mem == NULL)
        return NULL;
    slz_heap *h = slz_heap_create_in(mem, total, flags);
    if (h == NULL) {
        os_unmap(mem, total);
        return NULL;
    }
    h->flags |= SLZ_MAPPED;
    return h;
}

void slz_heap_destroy(slz_heap *h)
{
    if (h && (h->flags & SLZ_MAPPED))
        os_unmap(h->region, h->region_size);
}

/* ---- Questions --------------------------------------------------------- */

int slz_owns(const slz_heap *h, const void *p)
{
    return h && (const char *)p >= h->region && (const char *)p < h->region + h->region_size;
}
void *slz_heap_base(const slz_heap *h) { return h ? h->base : NULL; }
size_t slz_heap_size(const slz_heap *h) { return h ? (size_t)h->grains * SLZ_ALIGN : 0; }
size_t slz_max_request(const slz_heap *h) { return h ? (size_t)h->grains * SLZ_ALIGN - SLZ_HDR : 0; }
int slz_heap_interrupted(const slz_heap *h) { return h && h->busy; }

size_t slz_largest_free(const slz_heap *h)
{
    if (h == NULL)
        return 0;
    return (size_t)index_root_max(h) * SLZ_ALIGN;
}

void slz_heap_get_stats(const slz_heap *h, struct slz_heap_stats *out)
{
    if (h == NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    *out = h->st;
    out->largest_free = slz_largest_free(h);
    out->free_bytes = (size_t)h->grains * SLZ_ALIGN - h->st.in_use; /* (derived, not kept: two stores less an operation) */
    out->live_blocks = h->st.mallocs - h->st.frees;
    out->peak_in_use = h->peak_before > h->st.peak_in_use ? h->peak_before : h->st.peak_in_use; /* (free.c, went_back) */
    cache_stats(h, out);
}

void slz_heap_walk(const slz_heap *h, slz_walker fn, void *arg)
{
    for (uint32_t g = 0; h && g < h->grains;) {
        uint32_t n = grains_of(h, g);
        if (n < MIN_GRAINS || n > h->grains - g)
            return; /* damaged: slz_heap_check says where */
        if (fn(chunk_at(h, g), (size_t)n * SLZ_ALIGN, is_used(h, g) ? 1 + cache_holds(h, g) : 0, arg))
            return;
        g += n;
    }
}

/* ---- The default heap and the original interface ----------------------- */

static slz_heap *default_heap;

slz_heap *slz_default_heap(void) { return default_heap; }

int slz_heap_initialize_size(size_t bytes)
{
    if (default_heap == NULL)
        default_heap = slz_heap_create(bytes);
    return default_heap ? 0 : -1;
}

int slz_heap_initialize_with(void *mem, size_t bytes)
{
    if (default_heap != NULL)
        return -1;
    default_heap = slz_heap_create_in(mem, bytes, 0);
    return default_heap ? 0 : -1;
}

void slz_heap_release(void)
{
    slz_heap_destroy(default_heap);
    default_heap = NULL;
}

int slz_heap_initialize_impl(void) { return slz_heap_initialize_size(os_page_size()); }

static slz_heap *dh(void) { return default_heap ? default_heap : (slz_heap_initialize_impl(), default_heap); }

void *slz_Heap_Allocator_impl(size_t size) { return slz_malloc(dh(), size); }
void *slz_Heap_Allocator_init_impl(size_t n, size_t size) { return slz_calloc(dh(), n, size); }
void slz_Heap_deAllocator_impl(void *p) { slz_free(dh(), p); }
void *slz_Heap_reAllocator_impl(void *p, size_t n) { return slz_realloc(dh(), p, n); }

/* ---- The one error path ------------------------------------------------ */

static slz_error_handler error_handler;

void slz_set_error_handler(slz_error_handler h) { error_handler = h; }

static size_t put(char *buf, size_t at, size_t cap, const char *s)
{
    while (*s && at < cap)
        buf[at++] = *s++;
    return at;
}

static void hex(char *out, uintptr_t v)
{
    char digits[16];
    int n = 0;
    do {
        digits[n++] = "0123456789abcdef"[v & 15];
        v >>= 4;
    } while (v);
    *out++ = '0';
    *out++ = 'x';
    while (n > 0)
        *out++ = digits[--n];
    *out = 0;
}

/* slz_misuse: "slzmalloc: <op>(): <what> (<ptr>)", then abort. */
_Noreturn void slz_misuse(const char *op, const char *what, const void *ptr)
{
    if (error_handler) { /* (a test's handler may jump out: no guard) */
        error_handler(op, what, ptr);
        os_abort();
    }
    /* One report a process: two threads may meet the same misuse at once
     * (a block both free, say); the second waits for the first's abort. */
    static int reporting;
    if (__atomic_exchange_n(&reporting, 1, __ATOMIC_ACQ_REL))
        os_park();
    char buf[256], num[2 + 16 + 1];
    hex(num, (uintptr_t)ptr);
    size_t at = 0, cap = sizeof buf - 1;
    at = put(buf, at, cap, "slzmalloc: ");
    at = put(buf, at, cap, op);
    at = put(buf, at, cap, "(): ");
    at = put(buf, at, cap, what);
    at = put(buf, at, cap, " (");
    at = put(buf, at, cap, num);
    at = put(buf, at, cap, ")");
    buf[at++] = '\n';
    os_write_err(buf, at);
    os_abort();
}
