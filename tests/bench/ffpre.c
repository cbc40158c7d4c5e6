/* ffpre.c - the ffstudy prototype (../shared/ffstudy, p1: exact first fit with
 * no checks, keys, page release, statistics or threads) behind malloc and
 * free, so that the benchmarks count and time the design's floor exactly as
 * they count and time the shim: through LD_PRELOAD, on the same programs.
 * floor.sh builds it with the prototype's own p1_maxtree.c (nothing of the
 * prototype is copied here) into build/bench/ffstudy/ffpre.so.
 *
 * Built plainly it is single-threaded (the prototype keeps one heap in
 * globals): it serves micro st, rep and live and the one-thread workloads.
 * Built with -DFF_THREADS from a copy of p1_maxtree.c whose globals floor.sh
 * made __thread, every thread has its own heap (a 1 GiB arena of its own) and
 * a free from another thread is handed to the owner as slz does it at its
 * simplest: pushed on the owner's list of remote frees (a link in the freed
 * block), which the owner takes whole at its next malloc and frees there.
 * That is the least an exact first-fit heap per thread must do for micro mt,
 * where every free is another thread's. realloc and malloc_usable_size read
 * the size from the header word the prototype writes before each block
 * (granules << 4 | 1). An aligned request (glibc's thread start makes some)
 * takes a larger block and returns an aligned point inside it, the 16 bytes
 * below which hold a tag (even, where a header is odd) and the block. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ff.h"

/* the entry points: floor.sh builds with -fvisibility=hidden, so that the
 * calls into the prototype are direct, as the shim's into the core are */
#define API __attribute__((visibility("default")))

#define ARENA (1ull << 30) /* p1_maxtree.c's arena */

#ifdef FF_THREADS
#define LOCAL __thread __attribute__((tls_model("initial-exec")))
#else
#define LOCAL
#endif

static LOCAL int ready;

#ifdef FF_THREADS
#define OWNERS 64
/* owners[i]: a thread's arena and the head of its remote frees. A freer
 * pushes with a release CAS (its link store is seen before the head); the
 * owner takes the whole list with an acquire exchange, so it reads every
 * link the pushers wrote; one taker and no single pops: no ABA. */
static struct owner {
    char *_Atomic base;
    void *_Atomic remote;
} owners[OWNERS];
static _Atomic int nowners;
static LOCAL struct owner *me;

static void take_remote(void)
{
    if (!__atomic_load_n(&me->remote, __ATOMIC_RELAXED))
        return;
    void *p = __atomic_exchange_n(&me->remote, NULL, __ATOMIC_ACQUIRE);
    while (p) {
        void *next = *(void **)p;
        ffa_free(p);
        p = next;
    }
}

static struct owner *owner_of(const void *p)
{
    int n = __atomic_load_n(&nowners, __ATOMIC_ACQUIRE);
    for (int i = 0; i < n; i++) {
        const char *b = __atomic_load_n(&owners[i].base, __ATOMIC_RELAXED);
        if ((const char *)p > b && (const char *)p - b < (ptrdiff_t)ARENA)
            return &owners[i];
    }
    return NULL;
}
#endif

static void up(void)
{
    if (__builtin_expect(!ready, 0)) {
        ffa_init();
        ready = 1;
#ifdef FF_THREADS
        /* a slot claimed by the count; its base published after: a scan
         * that sees the count first reads a null base, which owns nothing */
        int i = __atomic_fetch_add(&nowners, 1, __ATOMIC_ACQ_REL);
        if (i >= OWNERS)
            abort();
        me = &owners[i];
        __atomic_store_n(&me->base, ffa_base(), __ATOMIC_RELEASE);
#endif
    }
#ifdef FF_THREADS
    take_remote();
#endif
}

/* ours: p lies in this thread's arena (before ffa_init the base is null and
 * the difference is an address, far above ARENA) */
static int ours(const void *p) { return (uintptr_t)p - (uintptr_t)ffa_base() - 1 < ARENA; }

#define ALIGNED_TAG 0xa11a11a11a11a110ull

/* block: the block an aligned pointer lies in; any other pointer itself */
static int any_aligned; /* set at the first aligned block: until then no tag is read */
static void *block(void *p)
{
    return __builtin_expect(any_aligned, 0) && ((uint64_t *)p)[-2] == ALIGNED_TAG ? ((void **)p)[-1] : p;
}

static size_t usable(void *p)
{
    char *b = block(p);
    return (size_t)(((const uint64_t *)b)[-2] >> 4) * 16 - 16 - (size_t)((char *)p - b);
}

API void *malloc(size_t n)
{
    up();
    void *p = ffa_malloc(n);
    if (!p)
        errno = ENOMEM;
    return p;
}

API void free(void *p)
{
    if (!p)
        return;
    p = block(p);
    if (ours(p)) {
        ffa_free(p);
        return;
    }
#ifdef FF_THREADS
    struct owner *o = owner_of(p);
    if (!o)
        return;
    void *head = __atomic_load_n(&o->remote, __ATOMIC_RELAXED);
    do
        *(void **)p = head;
    while (!__atomic_compare_exchange_n(&o->remote, &head, p, 1, __ATOMIC_RELEASE, __ATOMIC_RELAXED));
#endif
}

API void *calloc(size_t a, size_t b)
{
    size_t n;
    if (__builtin_mul_overflow(a, b, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n);
    return p ? memset(p, 0, n) : NULL;
}

API void *realloc(void *p, size_t n)
{
    if (!p)
        return malloc(n);
    void *q = malloc(n);
    if (q) {
        size_t o = usable(p);
        memcpy(q, p, o < n ? o : n);
        free(p);
    }
    return q;
}

API size_t malloc_usable_size(void *p) { return p ? usable(p) : 0; }

static void *aligned(size_t a, size_t n)
{
    if (a <= 16)
        return malloc(n);
    char *b = malloc(n + a + 16);
    if (!b)
        return NULL;
    char *p = (char *)(((uintptr_t)b + 16 + a - 1) & ~(uintptr_t)(a - 1));
    __atomic_store_n(&any_aligned, 1, __ATOMIC_RELAXED); /* (a block of this thread, or handed over after) */
    ((uint64_t *)p)[-2] = ALIGNED_TAG;
    ((void **)p)[-1] = b;
    return p;
}

static int power_of_two(size_t a) { return a && !(a & (a - 1)); }

API int posix_memalign(void **r, size_t a, size_t n)
{
    if (!power_of_two(a) || a % sizeof(void *))
        return EINVAL;
    void *p = aligned(a, n);
    if (!p)
        return ENOMEM;
    *r = p;
    return 0;
}

API void *memalign(size_t a, size_t n)
{
    if (!power_of_two(a)) {
        errno = EINVAL;
        return NULL;
    }
    return aligned(a, n);
}

API void *aligned_alloc(size_t a, size_t n) { return memalign(a, n); }
