/* ffpre.c - the ffstudy prototype (../shared/ffstudy, p1: exact first fit with
 * no checks, keys, page release, statistics or threads) behind malloc and
 * free, so that the benchmarks count and time the design's floor exactly as
 * they count and time the shim: through LD_PRELOAD, on the same programs.
 * floor.sh builds it with the prototype's own p1_maxtree.c (nothing of the
 * prototype is copied here) into build/bench/ffstudy/ffpre.so.
 *
 * Single-threaded only (the prototype keeps one heap in globals): it serves
 * micro st, rep and live and the one-thread workloads. realloc and
 * malloc_usable_size read the size from the header word the prototype writes
 * before each block (granules << 4 | 1); aligned requests are not served. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "ff.h"

#define ARENA (1ull << 30) /* p1_maxtree.c's arena */

static int ready;

static void up(void)
{
    if (__builtin_expect(!ready, 0)) {
        ffa_init();
        ready = 1;
    }
}

static int ours(const void *p) { return ready && (const char *)p - ffa_base() < (ptrdiff_t)ARENA && (const char *)p > ffa_base(); }

static size_t usable(const void *p) { return (size_t)(((const uint64_t *)p)[-2] >> 4) * 16 - 16; }

void *malloc(size_t n)
{
    up();
    void *p = ffa_malloc(n);
    if (!p)
        errno = ENOMEM;
    return p;
}

void free(void *p)
{
    if (p && ours(p))
        ffa_free(p);
}

void *calloc(size_t a, size_t b)
{
    size_t n;
    if (__builtin_mul_overflow(a, b, &n)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc(n);
    return p ? memset(p, 0, n) : NULL;
}

void *realloc(void *p, size_t n)
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

size_t malloc_usable_size(void *p) { return p && ours(p) ? usable(p) : 0; }

static void *refuse(void)
{
    static const char m[] = "ffpre: aligned requests are not served by the prototype\n";
    (void)!write(2, m, sizeof m - 1);
    abort();
}

int posix_memalign(void **r, size_t a, size_t n) { (void)r, (void)a, (void)n; refuse(); return ENOMEM; }
void *memalign(size_t a, size_t n) { (void)a, (void)n; return refuse(); }
void *aligned_alloc(size_t a, size_t n) { (void)a, (void)n; return refuse(); }
