/* shim_stress.h - what the thread and fork stress programs share: a fast
 * per-thread generator, request sizes that reach both owners (small blocks
 * for the core, some bigger than a small heap for glibc), and tagged blocks
 * whose every byte says who wrote it, checked before every free. */
#ifndef SLZ_TEST_SHIM_STRESS_H
#define SLZ_TEST_SHIM_STRESS_H
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define STRESS_FN __attribute__((unused)) static

struct rng {
    uint64_t s;
};
STRESS_FN uint64_t next(struct rng *r)
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 7;
    r->s ^= r->s << 17;
    return r->s;
}

/* a request size: mostly small, sometimes a few K, rarely past a 64K heap */
STRESS_FN size_t stress_size(struct rng *r)
{
    uint64_t x = next(r) % 1000;
    if (x < 700)
        return next(r) % 256;
    if (x < 960)
        return next(r) % 4096;
    if (x < 995)
        return next(r) % 65536;
    return 65536 + next(r) % (1u << 20);
}

/* a tagged block: bytes derived from tag; the first 8 hold the tag itself */
struct block {
    unsigned char *p;
    size_t n;
    uint64_t tag;
};

STRESS_FN unsigned char tag_byte(uint64_t tag, size_t i) { return (unsigned char)((tag >> (i % 8 * 8)) + i / 8); }

STRESS_FN void tag_fill(struct block *b)
{
    for (size_t i = 0; i < b->n; i++)
        b->p[i] = tag_byte(b->tag, i);
}

/* tag_ok: the first limit bytes of b carry its tag (sampled for big blocks) */
STRESS_FN int tag_ok(const struct block *b, size_t limit)
{
    size_t n = b->n < limit ? b->n : limit, step = n > 8192 ? 61 : 1;
    for (size_t i = 0; i < n; i += step)
        if (b->p[i] != tag_byte(b->tag, i))
            return 0;
    return n == 0 || b->p[n - 1] == tag_byte(b->tag, n - 1);
}

/* stress_alloc: a block of n bytes from a random entry point (calloc'd
 * blocks are checked to be zero first); NULL only if the system is out. */
STRESS_FN unsigned char *stress_alloc(struct rng *r, size_t n, long *errors)
{
    void *p = NULL;
    switch (next(r) % 7) {
    case 0:
    case 1:
    case 2: p = malloc(n); break;
    case 3: {
        p = calloc(1, n);
        const unsigned char *z = p;
        for (size_t i = 0; p && i < n; i += (n > 8192 ? 61 : 1))
            if (z[i]) {
                __atomic_fetch_add(errors, 1, __ATOMIC_RELAXED);
                break;
            }
        break;
    }
    case 4: p = realloc(NULL, n); break;
    case 5: if (posix_memalign(&p, (size_t)32 << (next(r) % 6), n)) p = NULL; break;
    default: p = aligned_alloc((size_t)16 << (next(r) % 6), n);
    }
    if (p && malloc_usable_size(p) < n)
        __atomic_fetch_add(errors, 1, __ATOMIC_RELAXED);
    return p;
}

/* stress_drop: check b's tag, free it, empty the slot. */
STRESS_FN void stress_drop(struct block *b, long *errors)
{
    if (!tag_ok(b, SIZE_MAX))
        __atomic_fetch_add(errors, 1, __ATOMIC_RELAXED);
    free(b->p);
    b->p = NULL;
}

/* stress_step: one step on slot x: drop its block, or fill it with a new
 * block of a random size and entry point, tagged tag. */
STRESS_FN void stress_step(struct rng *r, struct block *x, uint64_t tag, long *errors)
{
    if (x->p) {
        stress_drop(x, errors);
        return;
    }
    x->n = stress_size(r);
    x->tag = tag;
    x->p = stress_alloc(r, x->n, errors);
    if (x->p)
        tag_fill(x);
}

STRESS_FN double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}
/* vm_size: the process's address space in KiB (VmSize) */
STRESS_FN long vm_size(void)
{
    FILE *f = fopen("/proc/self/status", "r");
    char line[256];
    long kb = -1;
    while (f && fgets(line, sizeof line, f))
        if (sscanf(line, "VmSize: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

#endif
