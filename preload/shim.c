/*
 * shim.c - glibc's allocation entry points, served by the slz core.
 *
 * Every entry point: make sure the shim is set up (it may be called before
 * its constructor), ask the calling thread's own heap (no lock), fall back
 * to glibc's allocator when the core cannot serve. free, realloc and
 * malloc_usable_size go to whoever owns the pointer (heaps.c): the caller's
 * heap, another thread's heap (a deferred free), a heap a fork left behind
 * (ignored), or glibc for anything outside the heaps.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <link.h>
#include <malloc.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "heaps.h"
#include "options.h"
#include "places.h"
#include "registry.h"
#include "shim.h"
#include "sites.h"
#include "slz.h"
#include "stats.h"
#include "trace.h"
#include "watch.h"

/* glibc's allocator, reached without recursion (exported by libc.so.6);
 * called through the GOT, not a PLT stub (one jump less on every call that
 * glibc serves). */
#define GLIBC_FN __attribute__((noplt))
GLIBC_FN void *__libc_malloc(size_t);
GLIBC_FN void *__libc_calloc(size_t, size_t);
GLIBC_FN void *__libc_realloc(void *, size_t);
GLIBC_FN void __libc_free(void *);
GLIBC_FN void *__libc_memalign(size_t, size_t);

#define EXPORT __attribute__((visibility("default")))
#define unlikely(x) __builtin_expect(!!(x), 0)
#define likely(x) __builtin_expect(!!(x), 1)

static int ready;          /* options read, heaps reserved (or given up) */
static size_t max_request; /* the largest request a heap serves (big_limit) */
static size_t heap_bytes;  /* the arena of each heap */
static pthread_mutex_t setup_lock = PTHREAD_MUTEX_INITIALIZER;

/* ---- Pointers no allocator made ------------------------------------------ */

/* The main program's own image (its code, data and bss) and the main
 * thread's stack hold no heap block of anyone's: glibc would read a fake
 * chunk header there (house of spirit). Found once at set-up from the
 * auxiliary vector and ld.so's __libc_stack_end; the kernel keeps every
 * mapping at least 128 MiB below the stack's top, so 64 MiB below where
 * the stack began is stack or nothing, and so is RLIMIT_STACK below it
 * when that is less: qemu-user maps the guest's stack whole, that size,
 * with the program's image and break a few MiB below it. */
extern void *__libc_stack_end;
static uintptr_t image_lo, image_len, stack_lo, stack_len;

static void find_foreign(void)
{
    const ElfW(Phdr) *ph = (const ElfW(Phdr) *)getauxval(AT_PHDR);
    size_t n = getauxval(AT_PHNUM);
    uintptr_t bias = 0, lo = UINTPTR_MAX, hi = 0;
    for (size_t i = 0; ph && i < n; i++)
        if (ph[i].p_type == PT_PHDR)
            bias = (uintptr_t)ph - ph[i].p_vaddr;
    for (size_t i = 0; ph && i < n; i++)
        if (ph[i].p_type == PT_LOAD) {
            lo = bias + ph[i].p_vaddr < lo ? bias + ph[i].p_vaddr : lo;
            hi = bias + ph[i].p_vaddr + ph[i].p_memsz > hi ? bias + ph[i].p_vaddr + ph[i].p_memsz : hi;
        }
    if (hi > lo) {
        image_lo = lo;
        image_len = hi - lo;
    }
    uintptr_t top = (uintptr_t)__libc_stack_end, depth = (uintptr_t)64 << 20;
    struct rlimit rl;
    if (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur < depth)
        depth = (uintptr_t)rl.rlim_cur;
    if (top > depth) {
        stack_lo = top - depth;
        stack_len = depth + ((uintptr_t)1 << 20);
    }
}

/* foreign: p lies where no allocator puts a block. */
static inline int foreign(const void *p)
{
    uintptr_t a = (uintptr_t)p;
    return a - image_lo < image_len || a - stack_lo < stack_len;
}

/* ---- Set-up ------------------------------------------------------------ */

static void fork_child(void)
{
    setup_lock = (pthread_mutex_t)PTHREAD_MUTEX_INITIALIZER;
    heaps_fork_child();
    stats_fork_child(); /* the child counts its own calls */
}

/* big_limit: the largest request a heap of heap bytes serves. Bigger ones
 * go to glibc (which maps them itself above its mmap threshold), so that no
 * single request takes a heap whole and sends every request after it to
 * glibc: at most 1/16 of the heap, but anything that fits in a heap of 128
 * KiB or less (glibc's own first mmap threshold, M_MMAP_THRESHOLD), or up to
 * 128 KiB in a larger one. */
#define BIG_SHARE 16
#define BIG_FLOOR ((size_t)128 << 10)
static size_t big_limit(size_t heap)
{
    size_t whole = heap - 16; /* less one chunk header: slz_max_request */
    size_t floor = whole < BIG_FLOOR ? whole : BIG_FLOOR;
    return heap / BIG_SHARE > floor ? heap / BIG_SHARE : floor;
}

/* setup: once. Nothing here allocates. */
static void setup(void)
{
    pthread_mutex_lock(&setup_lock);
    if (!ready) {
        options_read();
        find_foreign();
        if (heaps_setup(slz_opt.heap_size) == 0) {
            heap_bytes = slz_opt.heap_size;
            max_request = big_limit(heap_bytes);
        } else {
            const char *p[] = {"could not reserve the slz heaps; glibc serves everything"};
            say(2, p, 1);
        }
        watch_setup(); /* counting, trace file, SIGUSR1 heap map */
        if (heap_bytes != 0 && !(slz_count.on | slz_opt.check | slz_sites_on))
            shim_fast_max = max_request + 1; /* the short way to the core is open */
        /* glibc's allocator gives its main arena to the thread that calls
         * it first. Without the shim that is the thread that allocates
         * first, as here; left to the fallback, it would be whichever
         * thread first outgrew its heap, and the main thread would get a
         * new arena later (a worker of malloc-large then ran on brk where
         * glibc alone gives it an mmap'd arena: 1.2x the time). */
        places_setup(); /* before glibc's first block */
        __libc_free(__libc_malloc(1));
        __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
    }
    pthread_mutex_unlock(&setup_lock);
}

static inline void ready_up(void)
{
    if (unlikely(!__atomic_load_n(&ready, __ATOMIC_ACQUIRE)))
        setup();
}

__attribute__((constructor)) static void shim_init(void)
{
    ready_up();
    pthread_atfork(NULL, NULL, fork_child); /* allocates: called with no lock held */
    trace_atfork();
    sites_prime(); /* may dlopen the unwinder: allocates, outside any allocation */
}

__attribute__((destructor)) static void shim_fini(void)
{
    trace_exit();
    watch_exit(); /* statistics, heap map */
}

/* ---- Calling the core -------------------------------------------------- */

/* check_heap: SLZ_CHECK=1, before and after each call into the core, so
 * that damage done between calls is named at the next one: the chunks
 * around block p (slz_heap_check_at: what the call touches, at a cost that
 * does not grow with the heap), and every invariant of the heap while its
 * high-water mark is at most CHECK_SMALL, else once the checks since the
 * last full one outnumber the KiB below the mark (a full check costs about
 * that many cells: a few more per call, and damage anywhere is named
 * within that many checks). */
#define CHECK_SMALL (64 << 10)
static void check_heap(slz_heap *h, const void *p)
{
    static __thread size_t checks; /* since the last full one (the caller's heap: one a thread) */
    struct slz_heap_stats st;
    const char *what = NULL;
    slz_heap_get_stats(h, &st);
    int whole = st.high_water <= CHECK_SMALL || ++checks > st.high_water >> 10;
    checks = whole ? 0 : checks;
    if (whole ? slz_heap_check(h, &what) : slz_heap_check_at(h, p, &what)) {
        const char *m[] = {"heap check failed: ", what ? what : "?"};
        say(2, m, 2);
        abort();
    }
}

/* around: the slow hooks around a core call on block p (NULL: a new
 * block; after: the block the call returned), off unless asked for. */
static inline void before(slz_heap *h, const void *p)
{
    if (unlikely(slz_opt.check))
        check_heap(h, p);
}
static inline void after(slz_heap *h, const void *p)
{
    if (unlikely(slz_opt.check))
        check_heap(h, p);
    WATCH_POLL(); /* a heap map asked for by SIGUSR1 */
}

/* refused_from: the smallest request a heap whose largest free chunk has
 * big bytes (its header included) refuses: a chunk holds its header too. */
static inline size_t refused_from(size_t big)
{
    return big > 16 ? big - 16 + 1 : 0;
}

/* What the thread knows of what its heap refuses (struct shim_thread):
 * refusal_seen, its heap h refused an unaligned request: from h's largest
 * free chunk; room_made, h may have room again (a free or realloc into it,
 * a retry served): nothing is known, ask it. */
static inline void refusal_seen(slz_heap *h) { heaps_refused(refused_from(slz_largest_free(h))); }
static inline void room_made(void) { heaps_refused(SIZE_MAX); }

/* free_mine: p, a block of the thread's own heap h, freed (the core's frees
 * leave errno alone). */
static inline void free_mine(slz_heap *h, void *p)
{
    slz_free(h, p);
    room_made();
}

/* core_alloc: a block from the caller's heap (align 0: malloc; zero:
 * calloc), or NULL with *why saying why not. errno is left alone. A request
 * larger than the heap's largest free chunk can hold is not put to it (see
 * struct shim_thread): with the default one-page heap, full most of the time,
 * most requests go to glibc and would each pay a failing search. */
static void *core_alloc(size_t n, size_t align, int zero, enum slz_why *why)
{
    slz_heap *h = heaps_mine();
    if (unlikely(h == NULL)) {
        *why = W_NO_HEAP;
        return NULL;
    }
    if (unlikely(n > max_request || align > heap_bytes)) {
        *why = align > heap_bytes ? W_ALIGN : W_TOO_BIG;
        return NULL;
    }
    int retry = n >= shim_me.refused;
    if (retry && (++shim_me.skips & (SHIM_RETRY - 1)) != 0) {
        *why = W_FULL; /* the heap would refuse it: not asked */
        WATCH_POLL();  /* but a heap map asked for is drawn now, as by any call that reaches here */
        return NULL;
    }
    int saved = errno;
    void *p;
    do {
        before(h, NULL);
        p = align > 16 ? slz_memalign(h, align, n) : zero ? slz_calloc(h, 1, n) : slz_malloc(h, n);
        after(h, p);
    } while (p == NULL && heaps_grow(h, n + align)); /* a heap maps its arena as it fills */
    SITES_ALLOC(p, n);
    if (p == NULL) {
        *why = W_FULL;
        errno = saved;
        if (align <= 16) /* (an aligned request may fail for its alignment alone) */
            refusal_seen(h);
    } else if (retry) {
        room_made(); /* it took frees other threads left */
    }
    return p;
}

/* glibc_trim: glibc's own malloc_trim (the shim's, below, exports the name) */
static int glibc_trim(size_t pad)
{
    static int (*fn)(size_t);
    int (*f)(size_t) = __atomic_load_n(&fn, __ATOMIC_RELAXED);
    if (f == NULL) { /* dlsym allocates nothing since glibc 2.34 */
        f = (int (*)(size_t))dlsym(RTLD_NEXT, "malloc_trim");
        __atomic_store_n(&fn, f, __ATOMIC_RELAXED);
    }
    return f ? f(pad) : 0;
}

/* malloc_trim: the calling thread's heap empties its cache into itself
 * (SLZ_CACHE: real frees, with merging) and gives back every page its free
 * chunks hold beyond their first, its keep zone back to its least
 * (slz_heap_trim); then glibc trims what it serves. */
EXPORT int malloc_trim(size_t pad)
{
    if (shim_my_heap != NULL)
        slz_heap_trim(shim_my_heap);
    return glibc_trim(pad);
}

/* ---- What glibc holds, and when to ask it to trim ------------------------
 *
 * What the slz heaps take changes where glibc's blocks land: with the
 * one-page heap, the small blocks a program frees early are the heap's, so
 * glibc has none to reuse and its next small block comes from its top. One
 * such block among big ones that are all freed later keeps glibc from giving
 * back the memory below it, which glibc alone would have returned (the pin
 * case of tests/bench/memcases.c: 385 MB kept where glibc keeps 2 MB). So
 * the shim asks glibc to give back the free pages in the middle of its heaps
 * too (malloc_trim), but only when that can pay off: when the bytes the
 * process holds in glibc's heaps have fallen to half or less of their peak
 * since the last trim, by at least glibc_trim_min. Churn, however heavy,
 * never trims (malloc_trim locks every arena, and the pages it returns
 * would be faulted in again); a program that frees most of what it had
 * trims a few times on the way down (once per halving), and keeps at most
 * about glibc_trim_min + GLIBC_STEP_MIN untrimmed after its last free.
 * glibc_trim_min starts at GLIBC_TRIM_MIN and doubles (up to GLIBC_TRIM_MAX)
 * whenever the process climbs back to the level a trim came down from: a
 * program that builds and drops the same structure over and over stops
 * trimming once the fall needed is larger than the structure.
 *
 * The bytes held are counted from glibc's chunk headers (the size word
 * before the block, the one glibc's free reads too; mmapped chunks are
 * returned by glibc itself and not counted), per thread, and added to the
 * process's count only when a thread's own count has moved by its step:
 * GLIBC_STEP_MIN, or 1/32 of what the process holds. So churn costs a
 * header read and a thread-local add per call, and no shared write. */
#define GLIBC_TRIM_MIN ((long)64 << 10)
#define GLIBC_TRIM_MAX ((long)64 << 20)
#define GLIBC_STEP_MIN ((long)16 << 10)
#define GLIBC_TOP_PAD ((size_t)128 << 10) /* M_TOP_PAD as mallopt(3) gives it: the top as glibc leaves it */
static long glibc_held;      /* bytes the process holds in glibc's heaps, as reported */
static long glibc_peak;      /* the most glibc_held was since the last trim */
static long glibc_trimmed;   /* the peak the last trim came down from; 0: climbed back since */
static long glibc_trim_min = GLIBC_TRIM_MIN; /* the fall that trims: doubled when the process climbs back */
static int glibc_trimming;   /* a thread is in malloc_trim */

/* glibc_chunk: bytes of glibc's chunk for block p; 0 for an mmapped one. */
static inline long glibc_chunk(const void *p)
{
    size_t size = ((const size_t *)p)[-1];
    return size & 2 ? 0 : (long)(size & ~(size_t)7); /* IS_MMAPPED; the low bits are flags */
}

/* glibc_report: add the thread's count to the process's; after a fall to
 * half the peak or less, trim. */
static void glibc_report(void)
{
    long d = shim_me.held;
    shim_me.held = 0;
    long held = __atomic_add_fetch(&glibc_held, d, __ATOMIC_RELAXED);
    long peak = __atomic_load_n(&glibc_peak, __ATOMIC_RELAXED);
    if (held < 0) /* blocks counted by a thread that has not reported yet */
        held = 0;
    shim_me.step = held / 32 > GLIBC_STEP_MIN ? held / 32 : GLIBC_STEP_MIN;
    if (held > peak) { /* racy: bounds, not counts */
        __atomic_store_n(&glibc_peak, held, __ATOMIC_RELAXED);
        long from = __atomic_load_n(&glibc_trimmed, __ATOMIC_RELAXED);
        long min = __atomic_load_n(&glibc_trim_min, __ATOMIC_RELAXED);
        if (from != 0 && held >= from) { /* the pages trimmed were needed again: trim less often */
            __atomic_store_n(&glibc_trimmed, 0, __ATOMIC_RELAXED);
            __atomic_store_n(&glibc_trim_min, min < GLIBC_TRIM_MAX ? 2 * min : min, __ATOMIC_RELAXED);
        }
        return;
    }
    if (d >= 0 || peak - held < __atomic_load_n(&glibc_trim_min, __ATOMIC_RELAXED) || peak - held < held)
        return;
    if (__atomic_exchange_n(&glibc_trimming, 1, __ATOMIC_ACQUIRE))
        return; /* another thread trims now */
    __atomic_store_n(&glibc_peak, held, __ATOMIC_RELAXED);
    __atomic_store_n(&glibc_trimmed, peak, __ATOMIC_RELAXED);
    int saved = errno;
    glibc_trim(GLIBC_TOP_PAD);
    registry_trim();
    errno = saved;
    __atomic_store_n(&glibc_trimming, 0, __ATOMIC_RELEASE);
}

static void *__attribute__((noinline)) glibc_took_report(void *p)
{
    glibc_report();
    return p;
}
/* glibc_new_place: p, a block glibc served for op where no block of its
 * began before (or that the registry could not take: r < 0): where glibc's
 * blocks can be (places_glibc, never foreign), else a poisoned free list is reported;
 * NULL (the block given back) if unregistered. A block realloc moved holds
 * the program's data: not given back, the process stops. */
static void *__attribute__((noinline)) glibc_new_place(void *p, size_t n, int r, const char *op)
{
    if (foreign(p) || !places_glibc(p, n))
        slz_misuse(op, "glibc returned memory outside its heaps (corrupted free list?)", p);
    if (r > 0)
        return p;
    if (op[0] == 'r') /* realloc: p holds the program's data; the registry is blind now */
        return p;
    __libc_free(p);
    errno = ENOMEM;
    return NULL;
}

/* glibc_took: p, a block just served by glibc for entry point op (or
 * NULL): checked (never a block still live, never in the program's image
 * or main stack: a poisoned free list), registered and counted. A place
 * where a block began before was checked then: only a new one is again. */
static inline __attribute__((always_inline)) void *glibc_took(void *p, size_t n, const char *op)
{
    int r;
    if (p == NULL)
        return p;
    if (unlikely((r = registry_add(p, op)) != 0) && glibc_new_place(p, n, r, op) == NULL)
        return NULL;
    if (unlikely((shim_me.held += glibc_chunk(p)) >= shim_me.step))
        return glibc_took_report(p);
    return p;
}

/* glibc_fresh: glibc_took for a new block, with the first 16 bytes (where
 * glibc's thread cache and fast bins keep their links) cleared: a fresh
 * block shows nothing of the allocator. */
static inline __attribute__((always_inline)) void *glibc_fresh(void *p, size_t n, const char *op)
{
    p = glibc_took(p, n, op);
    if (p != NULL)
        memset(p, 0, 16); /* glibc's smallest block has 24 usable bytes */
    return p;
}

/* glibc_realloc: glibc's realloc of its block p (n > 0), checked and
 * counted; p is dropped from the registry before glibc sees it. */
static inline void *glibc_realloc(void *p, size_t n)
{
    registry_drop(p, "realloc");
    long old = glibc_chunk(p);
    void *q = __libc_realloc(p, n);
    if (q == NULL) { /* p is still the program's */
        registry_add(p, "realloc");
        return NULL;
    }
    shim_me.held -= old; /* the old chunk given back, the new one taken */
    return glibc_took(q, n, "realloc");
}

/* glibc_flush: the thread's count into the process's (at thread exit). */
void glibc_flush(void)
{
    if (shim_me.held != 0)
        glibc_report();
}

/* glibc_free: give p back to glibc, counted. */
static inline void glibc_free(void *p)
{
    registry_drop(p, "free");
    if (unlikely((shim_me.held -= glibc_chunk(p)) <= -shim_me.step)) {
        __libc_free(p);
        glibc_report(); /* may trim: after the free */
        return;
    }
    __libc_free(p); /* keeps errno itself (glibc >= 2.33) */
}

/* ---- Core first, then glibc -------------------------------------------- */

enum kind { K_MALLOC, K_CALLOC, K_ALIGNED };

/* glibc_alloc: glibc's answer to the same request. */
static void *glibc_alloc(enum kind k, size_t n, size_t align)
{
    if (k == K_CALLOC)
        return glibc_took(__libc_calloc(1, n), n, "calloc");
    if (k == K_ALIGNED) /* glibc asks its lists for n + align bytes */
        return glibc_fresh(__libc_memalign(align, n), n + align, "memalign");
    return glibc_fresh(__libc_malloc(n), n, "malloc");
}

/* served: a block of n bytes for entry point e, from the core when it can,
 * else from glibc; counted either way (recorded by the caller). */
static void *served(enum slz_entry e, enum kind k, size_t n, size_t align)
{
    enum slz_why why = W_FULL;
    ready_up();
    COUNT(calls, e);
    void *p = core_alloc(n, k == K_ALIGNED ? align : 0, k == K_CALLOC, &why);
    if (p != NULL) {
        COUNT(core, e);
    } else {
        COUNT(glibc, e);
        COUNT(why, why);
        p = glibc_alloc(k, n, align);
    }
    return p;
}

static void *too_big(void)
{
    errno = ENOMEM;
    return NULL;
}

/* ---- The short way to glibc ----------------------------------------------
 * With the default one-page heap most calls end in glibc. When nothing
 * watches the calls (no counting, no trace, no heap map pending), a request
 * the thread's heap would refuse anyway (see struct shim_thread: too big
 * for any heap, or bigger than its largest free chunk) goes to glibc at once, and a
 * free or realloc of a pointer outside the heaps goes to glibc after the
 * foreign check; only the bytes glibc holds are counted. Everything else
 * takes the long way. */
static inline int quiet(void)
{
    return !(slz_count.on | slz_watch.tracing | slz_watch.map_pending);
}
/* refused: n goes straight to glibc (n <= PTRDIFF_MAX; setup done, as the
 * thread has had a heap). Not when a retry is due: core_alloc counts that
 * one and puts it to the core. */
static inline int refused(size_t n)
{
    if (n < shim_me.refused || !quiet() || ((shim_me.skips + 1) & (SHIM_RETRY - 1)) == 0)
        return 0;
    shim_me.skips++;
    return 1;
}

/* ---- The short way to the core -------------------------------------------
 * With nothing watching or checking the calls, a request the thread's heap
 * may serve goes to it at once, and a free of a block of the thread's own
 * heap too: what the long way adds is all off. A watcher on from set-up to
 * exit (counting, SLZ_CHECK, SLZ_SITES) closes the short way at set-up
 * (shim_fast_max 0: see struct shim_thread); those that come and go (the
 * trace, a heap map SIGUSR1 asked for) are read at each call, slz_watch's
 * two flags in one load. The core is called through the functions the
 * thread keeps for its heap (shim_me.malloc, shim_me.free: heaps.h), not
 * slz_malloc and slz_free, which read the heap's mode first. */
static inline int watched_now(void)
{
    uint64_t w;
    _Static_assert(sizeof slz_watch == sizeof w, "slz_watch holds two int flags");
    memcpy(&w, (const void *)&slz_watch, sizeof w);
    return w != 0;
}
/* short_size: a request of n bytes takes the short way (malloc, calloc);
 * short_block: a block p of the thread's own slot does (free, realloc) */
static inline int short_size(size_t n) { return likely(n < shim_me.fast) && likely(!watched_now()); }
static inline int short_block(const void *p)
{
    return likely((uintptr_t)p - shim_me.lo < shim_me.len) && likely(!watched_now());
}

/* malloc_failed: the thread's heap refused n (zero: for calloc), leaving
 * errno as it was (SLZ_KEEP_ERRNO, heaps.c: the short way saves nothing):
 * as the long way does, remember what it refuses and let glibc serve. */
static void *__attribute__((noinline)) malloc_failed(size_t n, int zero)
{
    slz_heap *h = shim_my_heap;
    int saved = errno;
    void *p = NULL;
    while (p == NULL && heaps_grow(h, n)) /* a heap maps its arena as it fills */
        p = zero ? slz_calloc(h, 1, n) : slz_malloc(h, n);
    errno = saved;
    if (p != NULL)
        return p;
    refusal_seen(h);
    return zero ? glibc_took(__libc_calloc(1, n), n, "calloc") : glibc_fresh(__libc_malloc(n), n, "malloc");
}

/* malloc_other: every malloc but the short way to the core. */
static void *__attribute__((noinline)) malloc_other(size_t n)
{
    if (likely(n <= PTRDIFF_MAX) && refused(n))
        return glibc_fresh(__libc_malloc(n), n, "malloc");
    if (unlikely(n > PTRDIFF_MAX))
        return too_big();
    return trace_ret(served(E_MALLOC, K_MALLOC, n, 0), n);
}

EXPORT void *malloc(size_t n)
{
    if (short_size(n)) {
        void *p = shim_me.malloc(shim_my_heap, n); /* (fast is 0 without a heap) */
        return likely(p != NULL) ? p : malloc_failed(n, 0);
    }
    return malloc_other(n);
}

static void *__attribute__((noinline)) calloc_long(size_t n)
{
    return trace_ret(served(E_CALLOC, K_CALLOC, n, 0), n);
}

EXPORT void *calloc(size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n) || n > PTRDIFF_MAX)
        return too_big();
    if (short_size(n)) {
        void *p = slz_calloc(shim_my_heap, 1, n);
        return likely(p != NULL) ? p : malloc_failed(n, 1);
    }
    if (refused(n))
        return glibc_took(__libc_calloc(1, n), n, "calloc");
    return calloc_long(n);
}

/* bad_pointer: p is no block of anyone's (at no heap: a slot not made yet;
 * or in the program's image or the main stack): reported by the core's one
 * error path, the handler set there (call sites) included. */
static _Noreturn void bad_pointer(const char *op, const void *p) { slz_misuse(op, "invalid pointer", p); }

/* free_owned: p lies in slot i: the caller's heap frees it now, another
 * thread's heap later; a heap a fork left behind is never touched. */
static void free_owned(int i, void *p)
{
    slz_heap *h = __atomic_load_n(&shim_heaps.heap[i], __ATOMIC_ACQUIRE);
    SITES_FREE(p);
    if (h != NULL && shim_my_heap == NULL)
        heaps_adopt(i); /* (an abandoned heap: the caller's from now on) */
    if (h != NULL && h == shim_my_heap) {
        before(h, p);
        free_mine(h, p);
        after(h, p);
    } else if (h == NULL) {
        bad_pointer("free", p);
    } else if (!heaps_lost(i)) {
        slz_free_deferred(h, p);
        heaps_drain(i); /* an abandoned heap's frees merge and go back now and then */
    }
}

/* glibc_short: p is for glibc (not NULL, outside the heaps) and nothing
 * watches the call: it takes the short way (the registry judges p). */
static inline int glibc_short(const void *p)
{
    return likely((uintptr_t)p - (uintptr_t)shim_heaps.area >= shim_heaps.span) && likely(p != NULL) && quiet() &&
           likely(__atomic_load_n(&ready, __ATOMIC_ACQUIRE));
}

static void __attribute__((noinline)) free_long(void *p);

/* free_other: p is not for glibc's short way. A block of a heap another
 * thread owns, with nothing watching (the short way to the core's test, and
 * shim_fast_max: no counting, check or call sites), goes to it at once:
 * what the long way adds is all off, and an owned slot is neither lost (a
 * fork child) nor abandoned (heaps_drain counts those frees). Anything else
 * takes the long way. */
static inline void free_other(void *p)
{
    int i = heaps_slot_of(p);
    slz_heap *h;
    if (likely(i >= 0) && likely(shim_fast_max != 0) && likely(!watched_now()) &&
        likely((h = __atomic_load_n(&shim_heaps.heap[i], __ATOMIC_ACQUIRE)) != NULL) && likely(h != shim_my_heap) &&
        likely(heaps_owned(i))) {
        if (p == NULL)
            __builtin_unreachable(); /* (p lies in slot i: slz_free_deferred's test goes) */
        slz_free_deferred(h, p);
    } else
        free_long(p);
}

EXPORT void free(void *p)
{
    if (short_block(p)) {
        /* (refused is not known: else len is 0, heaps.h; p lies in the
         * thread's slot: not NULL) */
        shim_me.free(shim_my_heap, p);
    } else if (glibc_short(p)) {
        glibc_free(p);
    } else {
        free_other(p);
    }
}

static void free_long(void *p)
{
    ready_up();
    TRACE_FREE(p);
    if (p == NULL)
        return;
    COUNT(calls, E_FREE);
    int i = heaps_slot_of(p);
    if (i >= 0) {
        COUNT(core, E_FREE);
        free_owned(i, p);
    } else if (foreign(p)) {
        bad_pointer("free", p);
    } else {
        COUNT(glibc, E_FREE);
        glibc_free(p);
    }
}

/* ---- realloc ----------------------------------------------------------- */

/* block_size: usable bytes of block p in slot i, whoever's heap it is. */
static size_t block_size(int i, void *p, const char *op)
{
    slz_heap *h = __atomic_load_n(&shim_heaps.heap[i], __ATOMIC_ACQUIRE);
    if (h == NULL)
        bad_pointer(op, p);
    if (h != shim_my_heap)
        return slz_block_size(h, p, op);
    before(h, p);
    size_t n = slz_usable_size(h, p);
    after(h, p);
    return n;
}

/* move_out: a new home for block p (old usable bytes) of n bytes, from the
 * caller's heap or glibc; the old block is freed. A big block is copied
 * piece by piece and each piece's pages given back as it goes, so both
 * copies are never resident at once. */
static void *move_out(int i, void *p, size_t old, size_t n)
{
    slz_heap *h = shim_heaps.heap[i];
    enum slz_why why = W_FULL;
    void *q = h == shim_my_heap ? NULL : core_alloc(n, 0, 0, &why);
    if (q == NULL && (q = glibc_fresh(__libc_malloc(n), n, "realloc")) == NULL)
        return NULL;
    size_t len = old < n ? old : n;
    if (h == shim_my_heap)
        slz_copy_out(h, q, p, len);
    else
        memcpy(q, p, len); /* another thread's heap: only its owner gives pages back */
    free_owned(i, p);
    return q;
}

/* realloc_owned: realloc of block p in slot i. The caller's own heap
 * checks p and tries in place first; a block of another heap is checked
 * where it lies and moved. */
static void *realloc_owned(int i, void *p, size_t n, enum slz_entry e)
{
    slz_heap *h = __atomic_load_n(&shim_heaps.heap[i], __ATOMIC_ACQUIRE);
    size_t old;
    if (h == NULL)
        bad_pointer("realloc", p);
    if (h == shim_my_heap && n <= max_request) {
        int saved = errno;
        before(h, p);
        void *q = slz_realloc(h, p, n);
        after(h, q ? q : p);
        room_made(); /* a block resized in place may leave room */
        SITES_REALLOC(p, q, n);
        if (q != NULL) {
            COUNT(core, e);
            return q;
        }
        errno = saved;
        old = slz_usable_size(h, p);
    } else { /* another thread's block, or n too big for a heap: checked here, moved */
        old = slz_block_size(h, p, "realloc");
    }
    COUNT(glibc, e);
    COUNT(why, n > max_request ? W_TOO_BIG : W_FULL);
    return move_out(i, p, old, n);
}

static void *do_realloc(void *p, size_t n, enum slz_entry e)
{
    if (p == NULL) /* recorded as a realloc by the caller, not here */
        return served(e, K_MALLOC, n, 0);
    if (n == 0) { /* glibc: frees p, returns NULL */
        free(p);
        return NULL;
    }
    COUNT(calls, e);
    int i = heaps_slot_of(p);
    if (i >= 0)
        return realloc_owned(i, p, n, e);
    if (foreign(p))
        bad_pointer("realloc", p);
    COUNT(glibc, e);
    COUNT(why, W_NOT_OURS);
    return glibc_realloc(p, n);
}

/* traced_realloc: do_realloc, recorded when tracing. A realloc that moves a
 * block holds the trace lock throughout, so that no other thread can record
 * an allocation at the old address before this realloc is recorded. */
static void *traced_realloc(void *p, size_t n, enum slz_entry e)
{
    ready_up();
    if (!unlikely(slz_watch.tracing))
        return do_realloc(p, n, e);
    int span = trace_realloc_begin(p, n);
    void *q = do_realloc(p, n, e);
    trace_realloc_end(span, p, n, q);
    return q;
}

/* realloc_failed: the thread's heap could resize its block p to n bytes
 * neither in place nor by a move within it (the short way, errno left
 * alone): glibc takes the block, as on the long way (realloc_owned). */
static void *__attribute__((noinline)) realloc_failed(void *p, size_t n)
{
    return move_out(heaps_slot_of(p), p, slz_usable_size(shim_my_heap, p), n);
}

/* realloc: a block of the thread's own heap, resized to a size it may
 * serve, with nothing watching, takes the short way to the core (the free
 * short way's test of p: the heap's room is not known to be short, which
 * is all that the long way's room_made says). */
EXPORT void *realloc(void *p, size_t n)
{
    if (short_block(p) && likely(n - 1 < shim_me.fast - 1)) {
        /* (n from 1 to fast - 1: fast is shim_fast_max, not 0, when len is
         * not, heaps.h; n not 0, p stays the program's on a failure) */
        void *q = slz_realloc(shim_my_heap, p, n);
        return likely(q != NULL) ? q : realloc_failed(p, n);
    }
    if (n > PTRDIFF_MAX)
        return too_big();
    if (n != 0 && glibc_short(p))
        return glibc_realloc(p, n);
    return traced_realloc(p, n, E_REALLOC);
}

EXPORT void *reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n) || n > PTRDIFF_MAX)
        return too_big();
    return traced_realloc(p, n, E_REALLOCARRAY);
}

/* ---- Aligned entry points ---------------------------------------------- */

/* aligned: align a power of two; served by the core when it can. */
static void *aligned(size_t align, size_t n, enum slz_entry e)
{
    if (n > PTRDIFF_MAX - align)
        return too_big();
    return trace_ret(served(e, K_ALIGNED, n, align), n);
}

/* memalign_like: glibc 2.36's memalign and aligned_alloc: alignment up to
 * 16 is plain malloc, anything else is rounded up to a power of two. */
static void *memalign_like(size_t align, size_t n, enum slz_entry e)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align < 16)
        align = 16;
    if (align & (align - 1))
        align = (size_t)1 << (64 - __builtin_clzl(align));
    return aligned(align, n, e);
}

/* posix_memalign: as glibc 2.36, a failure returns ENOMEM and leaves errno
 * ENOMEM too; a bad alignment returns EINVAL and leaves errno alone. */
EXPORT int posix_memalign(void **memptr, size_t align, size_t n)
{
    if (align == 0 || (align & (align - 1)) || align % sizeof(void *))
        return EINVAL;
    void *p = aligned(align < 16 ? 16 : align, n, E_POSIX_MEMALIGN);
    if (p == NULL)
        return ENOMEM;
    *memptr = p;
    return 0;
}

EXPORT void *aligned_alloc(size_t align, size_t n) { return memalign_like(align, n, E_ALIGNED_ALLOC); }
EXPORT void *memalign(size_t align, size_t n) { return memalign_like(align, n, E_MEMALIGN); }
EXPORT void *valloc(size_t n) { return aligned((size_t)sysconf(_SC_PAGESIZE), n, E_VALLOC); }

EXPORT void *pvalloc(size_t n)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    if (n > PTRDIFF_MAX - page)
        return too_big();
    return aligned(page, (n + page - 1) & ~(page - 1), E_PVALLOC);
}

/* ---- Sizes ------------------------------------------------------------- */

EXPORT size_t malloc_usable_size(void *p)
{
    static size_t (*glibc_usable)(void *);
    if (p == NULL)
        return 0;
    ready_up();
    COUNT(calls, E_USABLE_SIZE);
    int i = heaps_slot_of(p);
    if (i >= 0) {
        COUNT(core, E_USABLE_SIZE);
        return block_size(i, p, "malloc_usable_size");
    }
    if (foreign(p))
        bad_pointer("malloc_usable_size", p);
    COUNT(glibc, E_USABLE_SIZE);
    registry_check(p, "malloc_usable_size");
    if (glibc_usable == NULL) /* dlsym allocates nothing since glibc 2.34 */
        glibc_usable = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    return glibc_usable ? glibc_usable(p) : 0;
}
