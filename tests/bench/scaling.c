/*
 * scaling.c - does the cost of malloc and free stay flat as the heap fills?
 *
 * Two measurements through the slz core API (one big heap, set up afresh
 * for every case) and, for reference, through the system malloc:
 *
 * 1. search: N live blocks of 16..256 bytes, then F free fragments (64-byte
 *    chunks freed between live spacers, so they cannot merge), then batches
 *    of PROBE-byte blocks that fit in none of the fragments: each malloc must
 *    pass every live block and every fragment (a linear first-fit scan would
 *    visit them all). Two placements of the block that does fit:
 *      top:  the free space above everything (nothing else fits);
 *      hole: a free HOLE-byte chunk above the fragments but below a live
 *            block, so the first fit is the highest free chunk below the top
 *            and a search must reach it among the F fragments.
 *    ns per malloc and per free, median over batches.
 * 2. churn: N live blocks of random sizes 16..1024; each step frees a random
 *    one and allocates a new random size in its place: the heap fragments
 *    naturally. ns per step (one free + one malloc).
 *
 * The target is flat scaling: slz's max/min ratio across each table within 2x.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "slz.h"
#include "../c/test_heap.h"

#define PROBE 1024     /* bytes of a probe block: more than any fragment holds */
#define FRAG 16        /* request size of a fragment (a minimum chunk) */
#define BATCH 64       /* probes allocated, then freed, per measurement */
#define HOLE (100 << 10) /* the hole holds a batch of probes (and is freed below 128 KiB) */
#define MAX_SIZES 8

enum which { USE_SLZ, USE_SYS };

static inline void *a_malloc(enum which w, size_t n)
{
    return w == USE_SLZ ? slz_malloc(HEAP, n) : malloc(n);
}
static inline void a_free(enum which w, void *p)
{
    if (w == USE_SLZ)
        slz_free(HEAP, p);
    else
        free(p);
}

static uint64_t heap_bytes = 2ULL << 30;
static int fails;

static void *must(void *p)
{
    if (!p)
        fails++;
    return p;
}

/* search_case: one cell of table 1; writes ns per malloc and per free.
 * hole: put a free HOLE-byte chunk above the fragments (see the top). */
static void search_case(enum which w, size_t n, size_t f, int hole, int batches, double *ns_malloc, double *ns_free)
{
    void *big = NULL, *cap = NULL;
    void **frag = malloc(f * sizeof *frag), **spacer = malloc(f * sizeof *spacer);
    void **live = malloc(n * sizeof *live), *probe[BATCH];
    uint64_t *tm = malloc((size_t)batches * sizeof *tm), *tf = malloc((size_t)batches * sizeof *tf);
    uint64_t rng = 0x9E3779B97F4A7C15ULL ^ n ^ (f << 20);
    if (w == USE_SLZ && slz_heap_initialize_size(heap_bytes)) {
        fprintf(stderr, "scaling: cannot map a heap of %llu bytes\n", (unsigned long long)heap_bytes);
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        live[i] = must(a_malloc(w, 16 + rng_next(&rng) % 241));
    for (size_t i = 0; i < f; i++) {
        frag[i] = must(a_malloc(w, FRAG));
        spacer[i] = must(a_malloc(w, FRAG));
    }
    for (size_t i = 0; i < f; i++)
        a_free(w, frag[i]);
    if (hole) {
        big = must(a_malloc(w, HOLE));
        cap = must(a_malloc(w, 256)); /* keeps the hole from merging with the top (too big for a fragment) */
        a_free(w, big);
    }
    for (int b = 0; b < batches; b++) {
        uint64_t t0 = now_ns();
        for (int i = 0; i < BATCH; i++)
            probe[i] = a_malloc(w, PROBE);
        uint64_t t1 = now_ns();
        for (int i = 0; i < BATCH; i++)
            a_free(w, probe[i]);
        uint64_t t2 = now_ns();
        for (int i = 0; i < BATCH; i++)
            if (!probe[i])
                fails++;
        tm[b] = t1 - t0;
        tf[b] = t2 - t1;
    }
    *ns_malloc = (double)median_u64(tm, (size_t)batches) / BATCH;
    *ns_free = (double)median_u64(tf, (size_t)batches) / BATCH;
    if (w == USE_SLZ) {
        slz_heap_release();
    } else {
        for (size_t i = 0; i < f; i++)
            free(spacer[i]);
        for (size_t i = 0; i < n; i++)
            free(live[i]);
        free(cap);
    }
    free(frag), free(spacer), free(live), free(tm), free(tf);
}

/* churn_case: one row of table 2; ns per free+malloc step. */
static double churn_case(enum which w, size_t n, size_t steps)
{
    void **live = malloc(n * sizeof *live);
    uint64_t rng = 0xD1B54A32D192ED03ULL ^ n;
    if (w == USE_SLZ && slz_heap_initialize_size(heap_bytes)) {
        fprintf(stderr, "scaling: cannot map a heap of %llu bytes\n", (unsigned long long)heap_bytes);
        exit(2);
    }
    for (size_t i = 0; i < n; i++)
        live[i] = must(a_malloc(w, 16 + rng_next(&rng) % 1009));
    /* warm up: reach the fragmented steady state before timing */
    for (size_t s = 0; s < n && s < 1000000; s++) {
        size_t k = rng_next(&rng) % n;
        a_free(w, live[k]);
        live[k] = must(a_malloc(w, 16 + rng_next(&rng) % 1009));
    }
    uint64_t t0 = now_ns();
    for (size_t s = 0; s < steps; s++) {
        size_t k = rng_next(&rng) % n;
        a_free(w, live[k]);
        live[k] = a_malloc(w, 16 + rng_next(&rng) % 1009);
    }
    uint64_t t = now_ns() - t0;
    for (size_t i = 0; i < n; i++)
        if (!live[i])
            fails++;
    if (w == USE_SLZ)
        slz_heap_release();
    else
        for (size_t i = 0; i < n; i++)
            free(live[i]);
    free(live);
    return (double)t / (double)steps;
}

static void ratio_line(const char *what, const char *alloc, const double *v, int k)
{
    double lo = v[0], hi = v[0];
    for (int i = 1; i < k; i++) {
        if (v[i] < lo)
            lo = v[i];
        if (v[i] > hi)
            hi = v[i];
    }
    printf("%-11s %-6s max/min %.2f (min %.1f ns, max %.1f ns)\n", what, alloc, lo > 0 ? hi / lo : 0, lo, hi);
}

int main(int argc, char **argv)
{
    size_t sizes[MAX_SIZES] = {10, 1000, 100000, 1000000};
    int nsizes = 4, batches = 101, with_sys = 1;
    size_t steps = 2000000;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--quick") == 0) {
            sizes[0] = 10, sizes[1] = 1000, sizes[2] = 10000;
            nsizes = 3, batches = 21, steps = 100000;
        } else if (strcmp(argv[i], "--slz-only") == 0) {
            with_sys = 0;
        } else if (i + 1 < argc && strcmp(argv[i], "--heap") == 0) {
            heap_bytes = slz_parse_size(argv[++i], NULL);
            if (!heap_bytes) {
                fprintf(stderr, "scaling: bad --heap\n");
                return 2;
            }
        } else {
            fprintf(stderr, "usage: scaling [--quick] [--slz-only] [--heap SIZE]\n");
            return 2;
        }
    }
    const char *names[2] = {"slz", "glibc"};
    int nw = with_sys ? 2 : 1;

    printf("# scaling 1 (search): N live blocks of 16..256 bytes, then F free 64-byte fragments;\n");
    printf("#   ns per malloc / free of a %d-byte block that fits no fragment, median of %d batches of %d;\n",
           PROBE, batches, BATCH);
    printf("#   top: it fits only in the free space above everything; hole: in a free chunk above the\n");
    printf("#   fragments and below a live block (the first fit is found among the fragments)\n");
    printf("%-6s %8s %8s %10s %10s %10s %10s\n", "alloc", "N", "F", "top_malloc", "top_free", "hole_malloc",
           "hole_free");
    double vm[2][2][MAX_SIZES * MAX_SIZES], vf[2][2][MAX_SIZES * MAX_SIZES];
    int cells = 0;
    for (int a = 0; a < nsizes; a++) {
        for (int b = 0; b < nsizes; b++) {
            for (int w = 0; w < nw; w++) {
                for (int h = 0; h < 2; h++)
                    search_case((enum which)w, sizes[a], sizes[b], h, batches, &vm[h][w][cells], &vf[h][w][cells]);
                printf("%-6s %8zu %8zu %10.1f %10.1f %10.1f %10.1f\n", names[w], sizes[a], sizes[b], vm[0][w][cells],
                       vf[0][w][cells], vm[1][w][cells], vf[1][w][cells]);
                fflush(stdout);
            }
            cells++;
        }
    }
    printf("\n# scaling 2 (churn): N live blocks of 16..1024 bytes, each step frees a random one and\n");
    printf("#   allocates a new random size: ns per step (free + malloc), %zu steps after warm-up\n", steps);
    printf("#   (random blocks all over the heap: cache and TLB misses grow with N for any allocator)\n");
    printf("%-6s %8s %10s\n", "alloc", "N", "step_ns");
    double vc[2][MAX_SIZES];
    for (int a = 0; a < nsizes; a++) {
        for (int w = 0; w < nw; w++) {
            vc[w][a] = churn_case((enum which)w, sizes[a], steps);
            printf("%-6s %8zu %10.1f\n", names[w], sizes[a], vc[w][a]);
            fflush(stdout);
        }
    }
    printf("\n# flatness (target for slz: max/min within 2x)\n");
    for (int w = 0; w < nw; w++) {
        ratio_line("top_malloc", names[w], vm[0][w], cells);
        ratio_line("top_free", names[w], vf[0][w], cells);
        ratio_line("hole_malloc", names[w], vm[1][w], cells);
        ratio_line("hole_free", names[w], vf[1][w], cells);
        ratio_line("churn", names[w], vc[w], nsizes);
    }
    printf("# allocation failures: %d\n", fails);
    return fails ? 1 : 0;
}
