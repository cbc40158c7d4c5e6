/*
 * shim.h - what the parts of the LD_PRELOAD shim share.
 *
 * The shim is forwarding plus fallback plus routing: every glibc allocation
 * entry point first asks the slz core (under one lock), falls back to glibc's
 * own allocator when the core cannot serve, and routes free, realloc and
 * malloc_usable_size by who owns the pointer. Only this layer knows glibc,
 * the environment and the fallback.
 */
#ifndef SLZ_SHIM_H
#define SLZ_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* glibc's allocator, reached without recursion (exported by libc.so.6);
 * called through the GOT, not a PLT stub (one jump less on every call that
 * glibc serves). */
#define GLIBC_FN __attribute__((noplt))
GLIBC_FN void *__libc_malloc(size_t);
GLIBC_FN void *__libc_calloc(size_t, size_t);
GLIBC_FN void *__libc_realloc(void *, size_t);
GLIBC_FN void __libc_free(void *);
GLIBC_FN void *__libc_memalign(size_t, size_t);

/* ---- A heap per thread (heaps.c) --------------------------------------- */
#include "slz.h"
#include "slz_report.h"
#define SHIM_SLOTS 1024 /* heaps at most: threads beyond use glibc */
enum { SLOT_EMPTY, SLOT_OWNED, SLOT_ABANDONED, SLOT_LOST };
struct shim_heaps {
    char *area;         /* the reserved range: slot i at area + (i << shift) */
    int shift;
    size_t span;        /* bytes of the range */
    unsigned slots;     /* slots in it */
    size_t footprint;   /* bytes of one heap: metadata, guards, arena */
    slz_heap *heap[SHIM_SLOTS]; /* the heap in each slot (set once) */
};
extern struct shim_heaps shim_heaps;
extern __thread slz_heap *shim_my_heap __attribute__((tls_model("initial-exec")));
/* What the shim keeps for each thread beside its heap, in one place (one
 * thread-pointer offset for the short way to glibc).
 *
 * refused: the smallest request (unaligned) the thread's heap would refuse
 * now, as far as the shim knows: a request as large is not put to the core,
 * it goes straight to glibc, except one in SHIM_RETRY (counted in skips),
 * which also lets the heap take the frees other threads left it. Set from
 * the heap's largest free chunk when a request fails; SIZE_MAX (nothing
 * known: ask the core) once the heap may have gained room (a free or
 * realloc into it, a retry served, a new heap), so that a program whose
 * requests fit pays nothing for it.
 *
 * slot: the slot of the thread's own heap, -1 while it has none: a free
 * of a block in it takes the short way to the core.
 *
 * held, step: the bytes the thread took from glibc less those it gave back,
 * not yet added to the process's count, and how far held may go either way
 * before it is (shim.c, "What glibc holds"). */
struct shim_thread {
    size_t refused;
    unsigned skips;
    int slot; /* the slot of the thread's heap (shim_my_heap), or -1 */
    long held, step;
};
extern __thread struct shim_thread shim_me __attribute__((tls_model("initial-exec")));
#define SHIM_RETRY 64 /* a power of two */
void glibc_flush(void); /* shim.c: the thread's count of glibc's bytes, reported at its exit */
int heaps_setup(size_t heap_size);
slz_heap *heaps_mine_slow(void);
void heaps_thread_exit(void *heap);
void heaps_fork_child(void);
int heaps_lost(int slot);
slz_heap *heaps_view(void);
void heaps_stats(struct slz_heap_stats *sum);
unsigned heaps_count(void);

/* heaps_slot_of: the slot p points into, or -1: not slz's (glibc's). */
static inline int heaps_slot_of(const void *p)
{
    uintptr_t d = (uintptr_t)p - (uintptr_t)shim_heaps.area;
    return d < shim_heaps.span ? (int)(d >> shim_heaps.shift) : -1;
}
static inline int heaps_slot(const slz_heap *h) { return heaps_slot_of(h); }
/* heaps_mine: the calling thread's heap, taken on its first call; NULL:
 * glibc serves this thread. */
static inline slz_heap *heaps_mine(void)
{
    slz_heap *h = shim_my_heap;
    return __builtin_expect(h != NULL, 1) ? h : heaps_mine_slow();
}

/* ---- Options (options.c): one table, read once from SLZ_* ------------- */
struct slz_options {
    size_t heap_size;   /* SLZ_HEAP_SIZE: bytes, whole pages; default one page */
    int stats;          /* SLZ_STATS: 0 off, 1 text table, 2 JSON; SLZ_STATS_FILE implies 1 */
    int check;          /* SLZ_CHECK: run the heap checker before and after every operation */
    const char *stats_file; /* SLZ_STATS_FILE: where the stats go (default stderr) */
    const char *heapmap;    /* SLZ_HEAPMAP: SVG heap map at exit and on SIGUSR1 */
    const char *trace;      /* SLZ_TRACE: record every allocation call (.rep) */
    int sites;              /* SLZ_SITES: remember where blocks were allocated and freed */
    int cache;              /* SLZ_CACHE: the heaps' fast mode (SLZ_CACHE of slz.h) */
};
extern struct slz_options slz_opt;
void options_read(void);
/* ---- Counters (stats.c) ----------------------------------------------- */
enum slz_entry {
    E_MALLOC, E_FREE, E_CALLOC, E_REALLOC, E_REALLOCARRAY, E_POSIX_MEMALIGN,
    E_ALIGNED_ALLOC, E_MEMALIGN, E_VALLOC, E_PVALLOC, E_USABLE_SIZE, E_COUNT
};
/* why a request went to glibc */
enum slz_why { W_NO_HEAP, W_TOO_BIG, W_FULL, W_ALIGN, W_NOT_OURS, W_COUNT };

struct slz_shim_stats {
    uint64_t calls[E_COUNT];    /* calls per entry point */
    uint64_t core[E_COUNT];     /* served by the core */
    uint64_t glibc[E_COUNT];    /* served by glibc */
    uint64_t why[W_COUNT];      /* why glibc served */
};
/* The counting hooks' state, one struct (stats.c). Counting costs atomic
 * adds on shared lines: only when a report will show it (on). */
struct slz_count_state {
    int on;                                                /* set once, at set-up */
    struct slz_shim_stats st __attribute__((aligned(64))); /* away from on's line */
};
extern struct slz_count_state slz_count;
#define COUNT(field, i)                                                                            \
    do {                                                                                           \
        if (__builtin_expect(slz_count.on, 0))                                                     \
            __atomic_fetch_add(&slz_count.st.field[i], 1, __ATOMIC_RELAXED);                       \
    } while (0)

/* stats_setup: counting on; called by watch_setup when SLZ_STATS is set
 * (shim.c may still call it too: it only sets slz_count.on). */
void stats_setup(void);
void stats_report(void); /* at exit */
void stats_fork_child(void); /* in a fork child: the call counts start again */

/* ---- Messages (report_fd.c) -------------------------------------------- */
/* The report fd (report_fd.c): where everything printed at exit or later goes: a
 * copy of stderr taken by report_setup at start-up (fd >= 100). report_fd:
 * that copy if it still is the same file (fstat), else -1: print nothing.
 * report_say: say() to it, or nothing. */
void report_setup(void);
int report_fd(void);
void report_say(const char *const *pieces, int n);

/* ---- Watching the heap (stats.c, trace.c, watch.c; the report layer) ---- */

/* The watching hooks' state, one struct (watch.c): the flags that the
 * TRACE_* and WATCH_POLL hooks of every call test. */
struct slz_watch_state {
    int tracing;              /* SLZ_TRACE: recording (trace.c sets it) */
    volatile int map_pending; /* SIGUSR1 asked for a heap map (watch.c) */
};
extern struct slz_watch_state slz_watch;

/* The leaks by site in the report, set by sites_setup (NULL: not shown;
 * slz-replay, which has no sites, leaves them so). */
extern void (*stats_leaks_text)(struct out *o);
extern void (*stats_leaks_json)(struct out *o);

/* Trace recording (trace.c), SLZ_TRACE: every allocation call in the 64-bit
 * malloc-lab .rep format. The hooks cost one load and a branch when off. */
void trace_setup(void);                 /* from setup(): open the file */
void trace_atfork(void);                /* after the shim's pthread_atfork */
void trace_exit(void);                  /* at exit, outside the shim lock */
void trace_alloc(void *p, size_t n);
void trace_free(void *p);
int trace_realloc_begin(void *p, size_t n);
void trace_realloc_end(int span, void *p, size_t n, void *q);

#define TRACE_ALLOC(p, n)                                                                          \
    do {                                                                                           \
        if (__builtin_expect(slz_watch.tracing, 0) && (p) != NULL)                                 \
            trace_alloc(p, n);                                                                     \
    } while (0)
/* trace_ret: p, recorded as an allocation of n bytes when tracing. */
static inline void *trace_ret(void *p, size_t n)
{
    TRACE_ALLOC(p, n);
    return p;
}
#define TRACE_FREE(p)                                                                              \
    do {                                                                                           \
        if (__builtin_expect(slz_watch.tracing, 0))                                                \
            trace_free(p);                                                                         \
    } while (0)
/* The glue (watch.c): the one set-up from the shim's setup() (the report
 * fd, counting, the trace file, the SIGUSR1 handler), the SIGUSR1 heap map
 * written by the next core operation (WATCH_POLL, lock held), and the
 * reports at exit (watch_exit, lock held). */
void watch_setup(void);
void watch_poll(void);
void watch_exit(void);
#define WATCH_POLL()                                                                               \
    do {                                                                                           \
        if (__builtin_expect(slz_watch.map_pending, 0))                                            \
            watch_poll();                                                                          \
    } while (0)

/* ---- Call sites (sites.c), SLZ_SITES ---------------------------------- */
/* Where each block of the slz heaps was allocated and freed: named in
 * misuse reports (the core's error handler) and, grouped, in the leaks of
 * the exit report. The hooks cost one load and a branch when off. */
extern int slz_sites_on;
void sites_setup(void);                      /* from watch_setup, after heaps_setup */
void sites_prime(void);                      /* from the shim's constructor: load the unwinder */
void sites_alloc(void *p, size_t n);         /* p just served by the caller's heap */
void sites_free(void *p);                    /* p (in the heaps) about to be freed */
void sites_realloc(void *p, void *q, size_t n); /* the caller's heap moved or resized p to q */
void sites_misuse(const char *function, const char *what, const void *ptr);
void sites_leaks_text(struct out *o);        /* the leak lines of the SLZ_STATS table */
void sites_leaks_json(struct out *o);        /* "leaks":{...} of the JSON report */
#define SITES_ALLOC(p, n)                                                                          \
    do {                                                                                           \
        if (__builtin_expect(slz_sites_on, 0) && (p) != NULL)                                      \
            sites_alloc(p, n);                                                                     \
    } while (0)
#define SITES_FREE(p)                                                                              \
    do {                                                                                           \
        if (__builtin_expect(slz_sites_on, 0))                                                     \
            sites_free(p);                                                                         \
    } while (0)
#define SITES_REALLOC(p, q, n)                                                                     \
    do {                                                                                           \
        if (__builtin_expect(slz_sites_on, 0) && (q) != NULL)                                      \
            sites_realloc(p, q, n);                                                                \
    } while (0)

#endif
