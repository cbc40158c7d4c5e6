/*
 * sites.c - SLZ_SITES: where every block of the slz heaps was allocated and
 * freed, for misuse reports and for the leaks listed at exit.
 *
 * A site is the first SITE_FRAMES return addresses outside this library,
 * found with libgcc's unwinder (_Unwind_Backtrace: it reads the DWARF
 * unwind tables and allocates nothing, unlike glibc's backtrace(), which
 * dlopens libgcc_s on first use). A thread-local flag stops recursion: an
 * allocation made while this thread is unwinding (by code the unwinder
 * calls) gets the unknown site, 0.
 *
 * Everything lives in memory mapped here, never in the heaps:
 *
 *   the depot   every distinct site once, numbered from 1: an array of
 *               sites filled in order, and an open-addressing hash of
 *               their numbers; lock-free (a number is taken with one atomic
 *               add, published with one compare-and-swap into a bucket);
 *   the records one struct rec per 64 bytes of the heaps' address range
 *               (a chunk is at least 64 bytes, so no two blocks share one):
 *               the allocation site, the free site, which block it
 *               describes (key) and the size asked for. Reserved without
 *               access at set-up; a slot's part is opened on its first use.
 *
 * The free site is taken before the core frees the block, with a
 * compare-and-swap from 0, so that a second free leaves the first one's
 * site in place and another thread cannot reuse the block first. A record
 * belongs to the owner of its block; other threads only set its free site.
 *
 * Frames are printed as module+offset (the offset from the module's load
 * bias, what addr2line -e module wants); slz-run --sites turns them into
 * function:file:line.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <link.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <unwind.h>

#include "heaps.h"
#include "sites.h"
#include "stats.h"
#include "slz.h"

#define SITE_FRAMES 4
#define DEPOT_SITES (1u << 18)          /* distinct sites at most; later ones are unknown (0) */
#define DEPOT_BUCKETS (DEPOT_SITES * 2) /* the hash stays at most half full */
#define PROBES 64
#define REC_SHIFT 6 /* one record per 64 bytes of the heaps' range */

struct site {
    uintptr_t pc[SITE_FRAMES]; /* return address - 1 (inside the call); 0: fewer frames */
};
struct rec {
    uint32_t alloc; /* site number of the allocation (0: unknown) */
    uint32_t freed; /* site number of the free (0: not freed) */
    uint32_t key;   /* (block - area) / 16, low 32 bits: which block this is about */
    uint32_t size;  /* bytes asked for; UINT32_MAX: that or more */
};

int slz_sites_on;
static struct site *sites;      /* [DEPOT_SITES]; 0 unused */
static uint32_t *bucket;        /* [DEPOT_BUCKETS]: a site number or 0 */
static uint32_t n_sites;        /* numbers taken so far */
static struct rec *recs;        /* one per 64 bytes of shim_heaps.area */
static unsigned char opened[SHIM_SLOTS];
static uintptr_t self_lo, self_hi; /* this library's code: frames skipped */
static char exe[4096];             /* the main program's file */
static __thread int unwinding __attribute__((tls_model("initial-exec")));
static __thread struct rec *freed_now __attribute__((tls_model("initial-exec")));

/* ---- Set-up ------------------------------------------------------------ */

static void *map(size_t bytes, int prot)
{
    void *p = mmap(NULL, bytes, prot, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

static int find_self(struct dl_phdr_info *info, size_t size, void *arg)
{
    (void)size;
    if (info->dlpi_addr != *(uintptr_t *)arg)
        return 0;
    for (int i = 0; i < info->dlpi_phnum; i++) {
        const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
        if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
            continue;
        uintptr_t lo = info->dlpi_addr + ph->p_vaddr, hi = lo + ph->p_memsz;
        if (self_lo == 0 || lo < self_lo)
            self_lo = lo;
        if (hi > self_hi)
            self_hi = hi;
    }
    return 1;
}

static _Unwind_Reason_Code count_frame(struct _Unwind_Context *c, void *arg)
{
    (void)c;
    return ++*(int *)arg >= 2 ? _URC_END_OF_STACK : _URC_NO_REASON;
}

/* The unwinder lives in libgcc_s, which the library does not link (it
 * depends on nothing beyond libc): found at run time, and loaded by
 * sites_prime() from the shim's constructor, outside any allocation, when
 * the program has not loaded it already. Until then sites read "unknown". */
static _Unwind_Reason_Code (*unwind)(_Unwind_Trace_Fn, void *);
static _Unwind_Ptr (*unwind_ip)(struct _Unwind_Context *);

/* find_unwinder: the two functions, once libgcc_s is loaded (a dlsym that
 * fails allocates its message: called only outside any allocation). */
static void find_unwinder(void)
{
    void *b = dlsym(RTLD_DEFAULT, "_Unwind_Backtrace"), *g = dlsym(RTLD_DEFAULT, "_Unwind_GetIP");
    if (b && g) {
        unwind_ip = (_Unwind_Ptr(*)(struct _Unwind_Context *))g;
        int frames = 0;
        ((_Unwind_Reason_Code(*)(_Unwind_Trace_Fn, void *))b)(count_frame, &frames); /* binds its symbols now */
        __atomic_store_n(&unwind, (_Unwind_Reason_Code(*)(_Unwind_Trace_Fn, void *))b, __ATOMIC_RELEASE);
    }
}

void sites_prime(void)
{
    if (!slz_sites_on || unwind)
        return;
    if (dlopen("libgcc_s.so.1", RTLD_NOW | RTLD_GLOBAL) == NULL) {
        const char *p[] = {"SLZ_SITES: no libgcc_s.so.1 to unwind with; sites read unknown"};
        say(2, p, 1);
        return;
    }
    find_unwinder();
}

/* sites_setup: from the shim's set-up (watch_setup), once, after the heaps
 * are reserved. Nothing here allocates. */
void sites_setup(void)
{
    if (shim_heaps.area == NULL)
        return;
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t rec_bytes = ((shim_heaps.span >> REC_SHIFT) * sizeof(struct rec) + page - 1) & ~(page - 1);
    sites = map(DEPOT_SITES * sizeof(struct site), PROT_READ | PROT_WRITE);
    bucket = map(DEPOT_BUCKETS * sizeof(uint32_t), PROT_READ | PROT_WRITE);
    recs = map(rec_bytes, PROT_NONE);
    if (sites == NULL || bucket == NULL || recs == NULL) {
        const char *p[] = {"SLZ_SITES: cannot map the site tables; no call sites"};
        say(2, p, 1);
        return;
    }
    Dl_info info;
    struct link_map *self = NULL;
    if (dladdr1((void *)sites_setup, &info, (void **)&self, RTLD_DL_LINKMAP) && self != NULL) {
        uintptr_t bias = self->l_addr;
        dl_iterate_phdr(find_self, &bias);
    }
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    exe[n > 0 ? n : 0] = '\0';
    slz_set_error_handler(sites_misuse); /* the unwinder comes with sites_prime() */
    stats_leaks = sites_leaks;
    slz_sites_on = 1;
}

/* ---- Taking a site ----------------------------------------------------- */

struct walk {
    int n;
    struct site s;
};

static _Unwind_Reason_Code take_frame(struct _Unwind_Context *c, void *arg)
{
    struct walk *w = arg;
    uintptr_t ip = unwind_ip(c);
    if (ip == 0)
        return _URC_END_OF_STACK;
    if (w->n == 0 && ip >= self_lo && ip < self_hi)
        return _URC_NO_REASON; /* still inside the allocator */
    w->s.pc[w->n++] = ip - 1;
    return w->n == SITE_FRAMES ? _URC_END_OF_STACK : _URC_NO_REASON;
}

static uint32_t hash_site(const struct site *s)
{
    uint64_t h = 0x9e3779b97f4a7c15u;
    for (int i = 0; i < SITE_FRAMES; i++) {
        h ^= s->pc[i];
        h *= 0xff51afd7ed558ccdu;
        h ^= h >> 32;
    }
    return (uint32_t)h;
}

/* depot_put: the number of site s, entered if it is new; 0 when full. */
static uint32_t depot_put(const struct site *s)
{
    uint32_t h = hash_site(s), mine = 0;
    for (uint32_t i = 0; i < PROBES; i++) {
        uint32_t *b = &bucket[(h + i) & (DEPOT_BUCKETS - 1)];
        uint32_t id = __atomic_load_n(b, __ATOMIC_ACQUIRE);
        if (id == 0) {
            if (mine == 0) {
                mine = __atomic_add_fetch(&n_sites, 1, __ATOMIC_RELAXED);
                if (mine >= DEPOT_SITES)
                    return 0;
                sites[mine] = *s;
            }
            if (__atomic_compare_exchange_n(b, &id, mine, 0, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE))
                return mine;
            /* another thread filled the bucket first: id is its site */
        }
        if (!memcmp(&sites[id], s, sizeof *s))
            return id; /* (a number taken here is lost: harmless) */
    }
    return 0;
}

/* site_here: the number of the caller's site (outside this library). */
static uint32_t site_here(void)
{
    if (unwinding)
        return 0;
    int saved = errno;
    unwinding = 1;
    struct walk w;
    memset(&w, 0, sizeof w);
    _Unwind_Reason_Code (*u)(_Unwind_Trace_Fn, void *) = __atomic_load_n(&unwind, __ATOMIC_ACQUIRE);
    if (u)
        u(take_frame, &w);
    unwinding = 0;
    errno = saved;
    return w.n ? depot_put(&w.s) : 0;
}

/* ---- Records ----------------------------------------------------------- */

static uint32_t key_of(const void *p) { return (uint32_t)(((uintptr_t)p - (uintptr_t)shim_heaps.area) >> 4); }

/* rec_of: p's record, or NULL when p is outside the heaps or its slot's
 * records were never opened. open: open them now. */
static struct rec *rec_of(const void *p, int open)
{
    int slot = heaps_slot_of(p);
    if (slot < 0)
        return NULL;
    if (!__atomic_load_n(&opened[slot], __ATOMIC_ACQUIRE)) {
        if (!open)
            return NULL;
        /* threads racing here make the same change: no lock needed */
        size_t page = (size_t)sysconf(_SC_PAGESIZE), per = (size_t)1 << (shim_heaps.shift - REC_SHIFT);
        uintptr_t lo = (uintptr_t)(recs + per * (size_t)slot), hi = (uintptr_t)(recs + per * (size_t)(slot + 1));
        lo &= ~(page - 1);
        hi = (hi + page - 1) & ~(page - 1);
        int saved = errno;
        int bad = mprotect((void *)lo, hi - lo, PROT_READ | PROT_WRITE);
        errno = saved;
        if (bad)
            return NULL;
        __atomic_store_n(&opened[slot], 1, __ATOMIC_RELEASE);
    }
    return &recs[((uintptr_t)p - (uintptr_t)shim_heaps.area) >> REC_SHIFT];
}

/* rec_for: p's record if it describes block p. */
static struct rec *rec_for(const void *p)
{
    if ((uintptr_t)p & 15)
        return NULL; /* no block starts there */
    struct rec *r = rec_of(p, 0);
    return r && __atomic_load_n(&r->key, __ATOMIC_RELAXED) == key_of(p) ? r : NULL;
}

static void set_alloc(struct rec *r, const void *p, size_t n, uint32_t site)
{
    __atomic_store_n(&r->alloc, site, __ATOMIC_RELAXED);
    __atomic_store_n(&r->freed, 0, __ATOMIC_RELAXED);
    __atomic_store_n(&r->size, n < UINT32_MAX ? (uint32_t)n : UINT32_MAX, __ATOMIC_RELAXED);
    __atomic_store_n(&r->key, key_of(p), __ATOMIC_RELEASE);
}

/* sites_alloc: block p of n bytes was just served by the caller's heap. */
void sites_alloc(void *p, size_t n)
{
    struct rec *r = rec_of(p, 1);
    if (r)
        set_alloc(r, p, n, site_here());
}

/* mark_free: p is being freed at site (before the core sees it). */
static void mark_free(const void *p, uint32_t site)
{
    struct rec *r = rec_for(p);
    uint32_t none = 0;
    freed_now = NULL;
    if (r && __atomic_compare_exchange_n(&r->freed, &none, site ? site : UINT32_MAX, 0, __ATOMIC_RELAXED,
                                         __ATOMIC_RELAXED))
        freed_now = r; /* if the core reports this free, the block was not freed */
}

/* sites_free: p, a pointer into the heaps, is about to be freed. */
void sites_free(void *p)
{
    if (rec_for(p))
        mark_free(p, site_here());
}

/* sites_realloc: the caller's heap reallocated p to q (n bytes). */
void sites_realloc(void *p, void *q, size_t n)
{
    uint32_t site = site_here();
    if (q != p)
        mark_free(p, site);
    struct rec *r = rec_of(q, 1);
    if (r)
        set_alloc(r, q, n, site);
}

/* sites_of: the number of p's allocation site (0: unknown, or not a block
 * of the heaps), for the trace (trace.c). */
uint32_t sites_of(const void *p)
{
    struct rec *r = rec_for(p);
    return r ? __atomic_load_n(&r->alloc, __ATOMIC_RELAXED) : 0;
}

/* ---- Printing sites ---------------------------------------------------- */

/* put_frame: pc as module+offset from the module's load bias. */
static void put_frame(struct out *l, uintptr_t pc)
{
    Dl_info info;
    struct link_map *m = NULL;
    if (!dladdr1((void *)pc, &info, (void **)&m, RTLD_DL_LINKMAP) || m == NULL) {
        out_hex(l, pc);
        return;
    }
    const char *name = m->l_name && *m->l_name ? m->l_name : *exe ? exe : program_invocation_name;
    out_s(l, name);
    out_s(l, "+");
    out_hex(l, pc - m->l_addr);
}

/* put_site: the frames of site id, separated by spaces. */
static void put_site(struct out *l, uint32_t id)
{
    if (id == 0 || id >= DEPOT_SITES) {
        out_s(l, "(unknown)");
        return;
    }
    for (int i = 0; i < SITE_FRAMES && sites[id].pc[i]; i++) {
        if (i)
            out_s(l, " ");
        put_frame(l, sites[id].pc[i]);
    }
}

/* sites_table: "N frames" a line for every site numbered so far (the
 * trace's table of sites, trace.c; at exit: dladdr1 names the modules). */
void sites_table(struct out *o)
{
    uint32_t n = __atomic_load_n(&n_sites, __ATOMIC_RELAXED);
    for (uint32_t id = 1; id <= n && id < DEPOT_SITES; id++) {
        out_u(o, id, 0);
        out_ch(o, ' ');
        put_site(o, id);
        out_ch(o, '\n');
    }
}

/* out_site_json: the frames of site id as a JSON array of strings. */
static void out_site_json(struct out *o, uint32_t id)
{
    static char buf[2048];
    out_ch(o, '[');
    for (int i = 0; id != 0 && id < DEPOT_SITES && i < SITE_FRAMES && sites[id].pc[i]; i++) {
        struct out l = OUT_STRING(buf);
        put_frame(&l, sites[id].pc[i]);
        if (i)
            out_ch(o, ',');
        out_json_str(o, out_str(&l));
    }
    out_ch(o, ']');
}

/* ---- Misuse reports ---------------------------------------------------- */

struct find {
    uintptr_t p;     /* the address looked for */
    uintptr_t chunk; /* the chunk holding it */
    uintptr_t below; /* the chunk before that one */
    size_t size;
    int used, below_used;
};

static int find_chunk(void *chunk, size_t size, int used, void *arg)
{
    struct find *f = arg;
    uintptr_t c = (uintptr_t)chunk;
    if (f->p >= c && f->p < c + size) {
        f->chunk = c;
        f->size = size;
        f->used = used;
        return 1;
    }
    f->below = c;
    f->below_used = used;
    return 0;
}

/* put_block: "allocated at ... ; <freed> at ..." from block p's record, if
 * it has one (1), for a report from function. */
static int put_block(struct out *l, const void *p, const char *freed, const char *function)
{
    struct rec *r = rec_for(p);
    if (r == NULL)
        return 0;
    uint32_t a = __atomic_load_n(&r->alloc, __ATOMIC_RELAXED), f = __atomic_load_n(&r->freed, __ATOMIC_RELAXED);
    out_s(l, "allocated at ");
    put_site(l, a);
    /* a free site set by the free() being reported is not a free */
    if (f != 0 && !(r == freed_now && !strcmp(function, "free"))) {
        out_s(l, " ; ");
        out_s(l, freed);
        out_s(l, " at ");
        put_site(l, f);
    }
    return 1;
}

/* sites_misuse: the core's error handler while sites are on: the core's
 * line with what the records know, as one line. The core aborts after. */
void sites_misuse(const char *function, const char *what, const void *ptr)
{
    char buf[2048]; /* on the stack: two threads may report at once */
    struct out l = OUT_STRING(buf); /* a byte kept for the newline */
    int dbl = !strcmp(what, "double free");
    out_s(&l, "slzmalloc: ");
    out_s(&l, function);
    out_s(&l, "(): ");
    out_s(&l, what);
    out_s(&l, " (");
    out_hex(&l, (uintptr_t)ptr);
    out_s(&l, ")");
    /* the block around ptr, found by walking the caller's own heap (another
     * thread's heap may be changing under the walk: its records only) */
    struct find f;
    memset(&f, 0, sizeof f);
    f.p = (uintptr_t)ptr;
    slz_heap *h = shim_my_heap;
    if (h && slz_owns(h, ptr) && !dbl)
        slz_heap_walk(h, find_chunk, &f);
    size_t at = l.at;
    out_s(&l, ": ");
    if (put_block(&l, ptr, dbl ? "first freed" : "freed", function)) {
        /* ptr is a block, or was one */
    } else if (f.chunk && f.used) {
        out_s(&l, "inside the block ");
        out_hex(&l, f.chunk + 16);
        out_s(&l, " (");
        out_u(&l, f.size - 16, 0);
        out_s(&l, " bytes) ");
        if (!put_block(&l, (void *)(f.chunk + 16), "freed", function))
            out_s(&l, "allocated at (unknown)");
    } else if (f.chunk) {
        out_s(&l, "in free memory");
    } else {
        l.at = at; /* nothing known */
    }
    if (!strncmp(what, "corrupted chunk header", 22) && f.below && f.below_used) {
        out_s(&l, " ; the block below (");
        out_hex(&l, f.below + 16);
        out_s(&l, ") ");
        if (!put_block(&l, (void *)(f.below + 16), "freed", function))
            out_s(&l, "allocated at (unknown)");
    }
    l.buf[l.at++] = '\n';
    ssize_t r = write(2, l.buf, l.at);
    (void)r;
}

/* ---- Leaks at exit ----------------------------------------------------- */

#define LEAK_LINES 50 /* sites listed; the rest are summed up in one line */

struct leaks {
    uint64_t *count, *bytes; /* per site number, mapped for the report */
    uint64_t blocks, total, sites;
    uint32_t top[LEAK_LINES];
    int n_top;
    uint64_t rest_blocks, rest_bytes, rest_sites;
    uint64_t unseen; /* blocks allocated before sites were on: not listed */
};

static int tally(void *chunk, size_t size, int used, void *arg)
{
    struct leaks *k = arg;
    if (!used)
        return 0;
    void *p = (char *)chunk + 16;
    struct rec *r = rec_for(p);
    uint32_t site = 0;
    uint64_t bytes = size - 16;
    if (r) {
        if (__atomic_load_n(&r->freed, __ATOMIC_RELAXED))
            return 0; /* freed by another thread, not yet taken back by its heap */
        site = __atomic_load_n(&r->alloc, __ATOMIC_RELAXED);
        if (r->size != UINT32_MAX)
            bytes = r->size;
    }
    if (site == 0 || site >= DEPOT_SITES) {
        k->unseen++; /* made before the unwinder was loaded (start-up, its own dlopen) */
        return 0;
    }
    if (k->count[site]++ == 0)
        k->sites++;
    k->bytes[site] += bytes;
    k->blocks++;
    k->total += bytes;
    return 0;
}

/* heavier: site a before site b: more bytes, then more blocks, then older. */
static int heavier(const struct leaks *k, uint32_t a, uint32_t b)
{
    if (k->bytes[a] != k->bytes[b])
        return k->bytes[a] > k->bytes[b];
    if (k->count[a] != k->count[b])
        return k->count[a] > k->count[b];
    return a < b;
}

/* leaks_gather: every block still allocated in the heaps, by site. 0, or
 * -1 (no memory for the tally). */
static int leaks_gather(struct leaks *k)
{
    memset(k, 0, sizeof *k);
    size_t bytes = (size_t)DEPOT_SITES * sizeof(uint64_t);
    k->count = map(2 * bytes, PROT_READ | PROT_WRITE);
    if (k->count == NULL)
        return -1;
    k->bytes = k->count + DEPOT_SITES;
    for (unsigned i = 0; i < heaps_count(); i++)
        if (shim_heaps.heap[i] && !heaps_lost((int)i))
            slz_heap_walk(shim_heaps.heap[i], tally, k);
    uint32_t last = __atomic_load_n(&n_sites, __ATOMIC_RELAXED);
    if (last >= DEPOT_SITES)
        last = DEPOT_SITES - 1;
    for (uint32_t s = 0; s <= last; s++) {
        if (k->count[s] == 0)
            continue;
        if (k->n_top < LEAK_LINES)
            k->top[k->n_top++] = s;
        else if (heavier(k, s, k->top[LEAK_LINES - 1])) {
            uint32_t out = k->top[LEAK_LINES - 1];
            k->rest_blocks += k->count[out];
            k->rest_bytes += k->bytes[out];
            k->rest_sites++;
            k->top[LEAK_LINES - 1] = s;
        } else {
            k->rest_blocks += k->count[s];
            k->rest_bytes += k->bytes[s];
            k->rest_sites++;
            continue;
        }
        for (int j = k->n_top - 1; j > 0 && heavier(k, k->top[j], k->top[j - 1]); j--) {
            uint32_t t = k->top[j];
            k->top[j] = k->top[j - 1];
            k->top[j - 1] = t;
        }
    }
    return 0;
}

static void leaks_done(struct leaks *k) { munmap(k->count, 2 * (size_t)DEPOT_SITES * sizeof(uint64_t)); }

/* The leak report, one table for each of its parts: the totals, a line per
 * site (its frames a string in text, an array in JSON), the rest summed. */
#define K(text, key, kind, m) FIELD(text, key, kind, struct leaks, m)
static const struct field total_fields[] = {
    K("slzmalloc:   leaks: ", "blocks", F_U64, blocks),
    K(" block", NULL, F_PLURAL, blocks),
    K(" (", "bytes", F_U64, total),
    K(" bytes) still allocated in the slz heaps, from ", "sites", F_U64, sites),
    K(" site", NULL, F_PLURAL, sites),
    FIELD_UNLESS("", struct leaks, unseen, 2),
    K(" (and ", "unseen", F_U64, unseen),
    FIELD_TEXT(" made before sites were on, not listed)"),
    FIELD_UNLESS("", struct leaks, blocks, 1),
    FIELD_TEXT("; largest first:"),
    FIELD_TEXT("\n"),
};
static const struct field rest_fields[] = {
    K("slzmalloc:   leak: ", "count", F_U64, rest_blocks),
    K(" blocks, ", "bytes", F_U64, rest_bytes),
    K(" bytes, from ", "sites", F_U64, rest_sites),
    FIELD_TEXT(" more sites\n"),
};
#undef K

struct leak_line {
    uint64_t count, bytes;
    const char *site;
};
#define L(text, key, kind, m) FIELD(text, key, kind, struct leak_line, m)
static const struct field line_fields[] = {
    L("slzmalloc:   leak: ", "count", F_U64, count),
    L(" block", NULL, F_PLURAL, count),
    L(", ", "bytes", F_U64, bytes),
    L(" bytes, allocated at ", NULL, F_STR, site),
    FIELD_TEXT("\n"),
};
#undef L

/* leak_lines: a line per listed site, or the JSON array of them. */
static void leak_lines(struct out *o, const struct leaks *k, int json)
{
    static char buf[2048];
    for (int i = 0; i < k->n_top; i++) {
        uint32_t s = k->top[i];
        struct out l = OUT_STRING(buf);
        struct leak_line x = {k->count[s], k->bytes[s], ""};
        if (json) {
            out_s(o, i ? ",{" : "{");
            fields_json(o, FIELDS(line_fields), &x);
            out_s(o, ",\"site\":");
            out_site_json(o, s);
            out_ch(o, '}');
        } else {
            put_site(&l, s);
            x.site = out_str(&l);
            fields_text(o, FIELDS(line_fields), &x);
        }
    }
}

/* sites_leaks: the lines of the SLZ_STATS table about leaks, or with json
 * "leaks":{...} for the JSON object. */
void sites_leaks(struct out *o, int json)
{
    static struct leaks k;
    if (json)
        out_s(o, "\"leaks\":");
    if (leaks_gather(&k) != 0) {
        if (json)
            out_s(o, "null");
        return;
    }
    if (json) {
        out_ch(o, '{');
        fields_json(o, FIELDS(total_fields), &k);
        out_s(o, ",\"by_site\":[");
        leak_lines(o, &k, 1);
        out_s(o, "],\"more\":{");
        fields_json(o, FIELDS(rest_fields), &k);
        out_s(o, "}}");
    } else {
        fields_text(o, FIELDS(total_fields), &k);
        leak_lines(o, &k, 0);
        if (k.rest_sites)
            fields_text(o, FIELDS(rest_fields), &k);
    }
    leaks_done(&k);
}
