/*
 * microcore.c - micro.c's single-thread workloads on the core alone: every
 * malloc, calloc and free of micro.c goes to one heap of the core
 * (build/libslz.a, no shim), made before main with
 * slz_heap_create_flags(1 GiB, SLZ_CACHE when SLZ_CACHE=1 is set, else 0).
 * instr.sh's core1G and corecache1G rows: with shim1G and cache1G, what the
 * shim adds to a malloc+free pair over the core's own entry points.
 *
 *   microcore st|rep [STEPS] | live [STEPS [BLOCKS]]   as micro
 *
 * The same code as micro (included below), the same sizes in the same
 * order. One heap, one user: mt and holes are refused.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "slz.h"

static slz_heap *core_heap;

__attribute__((constructor)) static void core_setup(void)
{
    const char *c = getenv("SLZ_CACHE");
    core_heap = slz_heap_create_flags((size_t)1 << 30, c && strcmp(c, "1") == 0 ? SLZ_CACHE : 0);
    if (core_heap == NULL) {
        fprintf(stderr, "microcore: no heap\n");
        exit(2);
    }
}

static int core_refused(void)
{
    fprintf(stderr, "microcore: st, rep and live only\n");
    exit(2);
}

#define malloc(n) slz_malloc(core_heap, (n))
#define calloc(n, s) slz_calloc(core_heap, (n), (s))
#define free(p) slz_free(core_heap, (p))
#define aligned_alloc(a, n) slz_memalign(core_heap, (a), (n))
#define pthread_create(t, a, f, x) ((void)(f), core_refused())
#define posix_memalign(pp, a, n) core_refused()

#include "micro.c"
