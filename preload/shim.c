/*
 * shim.c - glibc's allocation entry points, served by the slz core.
 *
 * Every entry point: make sure the shim is set up (it may be called before
 * its constructor), try the core under the one lock, fall back to glibc when
 * the core cannot serve. free, realloc and malloc_usable_size go to whoever
 * owns the pointer: the core for an address inside its heap, glibc for
 * anything else.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdlib.h>
#include <stdint.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "slz.h"

#define EXPORT __attribute__((visibility("default")))

/* adaptive: a waiter spins a little before sleeping, as the lock is held
 * for a tree walk at most */
static pthread_mutex_t lock = PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
static int ready;             /* options read and heap set up (or given up) */
static char *heap_lo, *heap_hi; /* the core's region; fixed once ready */
static size_t max_request;      /* the largest request the core could ever serve */
static size_t largest_free;   /* hint kept under the lock: core's largest free chunk */

/* ---- Set-up, locking, fork --------------------------------------------- */

static void fork_prepare(void) { pthread_mutex_lock(&lock); }
static void fork_parent(void) { pthread_mutex_unlock(&lock); }
static void fork_child(void)
{
    lock = (pthread_mutex_t)PTHREAD_ADAPTIVE_MUTEX_INITIALIZER_NP;
    stats_fork_child(); /* the child counts its own calls */
}

/* setup: once, under the lock. Nothing here allocates. */
static void setup(void)
{
    options_read();
    if (slz_heap_initialize_size(slz_opt.heap_size) == 0) {
        heap_lo = slz_heap_base();
        heap_hi = heap_lo + slz_heap_size();
        max_request = slz_max_request();
        largest_free = slz_largest_free();
    } else {
        const char *p[] = {"could not map the slz heap; glibc serves everything"};
        say(2, p, 1);
    }
    if (slz_opt.stats) {
        stats_setup();
        slz_counting = 1;
    }
    watch_setup(); /* trace file, SIGUSR1 heap map */
    __atomic_store_n(&ready, 1, __ATOMIC_RELEASE);
}

/* check_heap: SLZ_CHECK=1: every invariant, before and after each call into
 * the core, so that damage done between calls is named at the next one. */
static void check_heap(void)
{
    const char *what = NULL;
    if (slz_heap_check(&what)) {
        const char *p[] = {"heap check failed: ", what ? what : "?"};
        say(2, p, 2);
        abort();
    }
}

static inline void enter(void)
{
    pthread_mutex_lock(&lock);
    if (__builtin_expect(!ready, 0))
        setup();
    if (__builtin_expect(slz_opt.check, 0))
        check_heap();
}

/* leave: after a core operation: refresh the hint, run the checker if asked. */
static inline void leave(void)
{
    __atomic_store_n(&largest_free, slz_largest_free(), __ATOMIC_RELAXED);
    if (__builtin_expect(slz_opt.check, 0))
        check_heap();
    WATCH_POLL(); /* a heap map asked for by SIGUSR1 */
    pthread_mutex_unlock(&lock);
}

/* ready_up: the shim is set up (options read, heap mapped) before a call
 * is counted, traced or routed. */
static inline void ready_up(void)
{
    if (__builtin_expect(!__atomic_load_n(&ready, __ATOMIC_ACQUIRE), 0)) {
        enter();
        pthread_mutex_unlock(&lock);
    }
}

static inline int owned(const void *p) { return (const char *)p >= heap_lo && (const char *)p < heap_hi; }

__attribute__((constructor)) static void shim_init(void)
{
    ready_up();
    pthread_atfork(fork_prepare, fork_parent, fork_child); /* allocates: not under the lock */
    trace_atfork();
}

__attribute__((destructor)) static void shim_fini(void)
{
    trace_exit(); /* its lock comes before ours */
    enter();
    watch_exit(); /* statistics, heap map */
    pthread_mutex_unlock(&lock);
}

/* ---- Core first, then glibc -------------------------------------------- */

/* core_alloc: a block from the core (align 0: plain malloc; calloc when
 * zero), or NULL with *why saying why not. errno is left alone. */
static void *core_alloc(size_t n, size_t align, int zero, enum slz_why *why)
{
    if (heap_lo == NULL) {
        *why = W_NO_HEAP;
        return NULL;
    }
    if (n > max_request || align > (size_t)(heap_hi - heap_lo)) {
        *why = align > (size_t)(heap_hi - heap_lo) ? W_ALIGN : W_TOO_BIG;
        return NULL;
    }
    if (n + 16 > __atomic_load_n(&largest_free, __ATOMIC_RELAXED) && align <= 16 && !slz_map_pending) {
        *why = W_FULL; /* no free chunk is big enough: skip the lock (unless a map is due) */
        return NULL;
    }
    int saved = errno;
    enter();
    void *p = align > 16 ? slz_aligned_alloc(align, n) : zero ? slz_Heap_Allocator_init_impl(1, n)
                                                              : slz_Heap_Allocator_impl(n);
    leave();
    if (p == NULL) {
        *why = W_FULL;
        errno = saved;
    }
    return p;
}

/* SERVED: the block from core_call (which sets why_ when it gives NULL),
 * else glibc_call's answer; counted either way. An expression. */
#define SERVED(entry, core_call, glibc_call)                                                       \
    __extension__({                                                                                \
        enum slz_why why_;                                                                         \
        ready_up();                                                                                \
        COUNT(calls, entry);                                                                       \
        void *p_ = core_call;                                                                      \
        if (p_ != NULL) {                                                                          \
            COUNT(core, entry);                                                                    \
        } else {                                                                                   \
            COUNT(glibc, entry);                                                                   \
            COUNT(why, why_);                                                                      \
            p_ = glibc_call;                                                                       \
        }                                                                                          \
        p_;                                                                                        \
    })

static void *too_big(void)
{
    errno = ENOMEM;
    return NULL;
}

EXPORT void *malloc(size_t n)
{
    if (n > PTRDIFF_MAX)
        return too_big();
    return trace_ret(SERVED(E_MALLOC, core_alloc(n, 0, 0, &why_), __libc_malloc(n)), n);
}

EXPORT void *calloc(size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n) || n > PTRDIFF_MAX)
        return too_big();
    return trace_ret(SERVED(E_CALLOC, core_alloc(n, 0, 1, &why_), __libc_calloc(count, size)), n);
}

EXPORT void free(void *p)
{
    ready_up();
    TRACE_FREE(p);
    if (p == NULL)
        return;
    COUNT(calls, E_FREE);
    if (owned(p)) {
        COUNT(core, E_FREE);
        int saved = errno;
        enter();
        slz_Heap_deAllocator_impl(p);
        leave();
        errno = saved;
    } else {
        COUNT(glibc, E_FREE);
        __libc_free(p); /* keeps errno itself (glibc >= 2.33) */
    }
}

/* move_out: the core cannot hold n bytes for its block p: move it to glibc. */
static void *move_out(void *p, size_t n)
{
    enter();
    size_t old = slz_usable_size(p);
    leave();
    void *q = __libc_malloc(n);
    if (q == NULL)
        return NULL;
    memcpy(q, p, old < n ? old : n);
    enter();
    slz_Heap_deAllocator_impl(p);
    leave();
    return q;
}

static void *do_realloc(void *p, size_t n, enum slz_entry entry)
{
    if (p == NULL) /* recorded as a realloc by the caller, not here */
        return SERVED(entry, core_alloc(n, 0, 0, &why_), __libc_malloc(n));
    if (n == 0) { /* glibc: frees p, returns NULL */
        free(p);
        return NULL;
    }
    COUNT(calls, entry);
    if (!owned(p)) {
        COUNT(glibc, entry);
        COUNT(why, W_NOT_OURS);
        return __libc_realloc(p, n);
    }
    int saved = errno;
    enter(); /* even when n is too big: a bad p is then reported as realloc()'s */
    void *q = slz_Heap_reAllocator_impl(p, n);
    leave();
    if (q != NULL) {
        COUNT(core, entry);
        return q;
    }
    errno = saved;
    COUNT(glibc, entry);
    COUNT(why, n > max_request ? W_TOO_BIG : W_FULL);
    return move_out(p, n);
}

EXPORT void *realloc(void *p, size_t n)
{
    if (n > PTRDIFF_MAX)
        return too_big();
    ready_up();
    TRACED_REALLOC(p, n, do_realloc(p, n, E_REALLOC));
}

EXPORT void *reallocarray(void *p, size_t count, size_t size)
{
    size_t n;
    if (__builtin_mul_overflow(count, size, &n) || n > PTRDIFF_MAX)
        return too_big();
    ready_up();
    TRACED_REALLOC(p, n, do_realloc(p, n, E_REALLOCARRAY));
}

/* ---- Aligned entry points ---------------------------------------------- */

/* aligned: align a power of two; served by the core when it can. */
static void *aligned(size_t align, size_t n, enum slz_entry entry)
{
    if (n > PTRDIFF_MAX - align)
        return too_big();
    return trace_ret(SERVED(entry, core_alloc(n, align, 0, &why_), __libc_memalign(align, n)), n);
}

/* memalign_like: glibc 2.36's memalign and aligned_alloc: alignment up to
 * 16 is plain malloc, anything else is rounded up to a power of two. */
static void *memalign_like(size_t align, size_t n, enum slz_entry entry)
{
    if (align > SIZE_MAX / 2 + 1) {
        errno = EINVAL;
        return NULL;
    }
    if (align < 16)
        align = 16;
    if (align & (align - 1))
        align = (size_t)1 << (64 - __builtin_clzl(align));
    return aligned(align, n, entry);
}

EXPORT int posix_memalign(void **memptr, size_t align, size_t n)
{
    if (align == 0 || (align & (align - 1)) || align % sizeof(void *))
        return EINVAL;
    int saved = errno;
    void *p = aligned(align < 16 ? 16 : align, n, E_POSIX_MEMALIGN);
    if (p == NULL) {
        errno = saved;
        return ENOMEM;
    }
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
    if (owned(p)) {
        COUNT(core, E_USABLE_SIZE);
        enter();
        size_t n = slz_usable_size(p);
        leave();
        return n;
    }
    COUNT(glibc, E_USABLE_SIZE);
    if (glibc_usable == NULL) /* dlsym allocates nothing since glibc 2.34 */
        glibc_usable = (size_t(*)(void *))dlsym(RTLD_NEXT, "malloc_usable_size");
    return glibc_usable ? glibc_usable(p) : 0;
}
