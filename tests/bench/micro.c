/*
 * micro.c - allocation microbenchmarks through whatever malloc the process
 * has (glibc, or the shim or another allocator by LD_PRELOAD).
 *
 *   micro st [STEPS]       one thread: a pool of SLOTS blocks; each step
 *                          frees a random slot's block and allocates a new
 *                          one of 8..1024 bytes (churn)
 *   micro mt THREADS [N]   producer-consumer: THREADS threads in a ring; each
 *                          allocates N blocks of 8..1024 bytes, stamps them
 *                          and passes them to the next thread, which checks
 *                          and frees them (every free is cross-thread)
 *
 * Prints one row: test threads ops seconds Mops errors. ops counts mallocs
 * and frees; errors counts blocks whose stamp was wrong or NULL returns.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define SLOTS 4096     /* live blocks in the single-thread pool */
#define QCAP 1024      /* ring slots between two threads (power of two) */
#define MAX_THREADS 64

static atomic_ulong errors;

/* size_of: 8..1024 bytes. */
static inline size_t size_of(uint64_t *rng)
{
    return 8 + rng_next(rng) % 1017;
}

/* stamp/stamp_ok: the first and the last 8 bytes (n >= 8) carry the block's
 * tag, the last ones inverted. */
static inline void stamp(unsigned char *p, size_t n, uint64_t tag)
{
    uint64_t inv = ~tag;
    memcpy(p + n - 8, &inv, 8);
    memcpy(p, &tag, 8);
}
static inline int stamp_ok(const unsigned char *p, size_t n, uint64_t tag)
{
    uint64_t a, b;
    memcpy(&a, p, 8);
    memcpy(&b, p + n - 8, 8);
    return a == tag && (n < 16 || b == ~tag);
}

static double single_thread(size_t steps, uint64_t *ops)
{
    unsigned char **slot = calloc(SLOTS, sizeof *slot);
    size_t *len = calloc(SLOTS, sizeof *len);
    uint64_t rng = 0x2545F4914F6CDD1DULL;
    uint64_t n = 0, t0 = now_ns();
    for (size_t s = 0; s < steps; s++) {
        size_t k = rng_next(&rng) % SLOTS;
        if (slot[k]) {
            if (!stamp_ok(slot[k], len[k], (uint64_t)k * 0x9E3779B97F4A7C15ULL ^ len[k]))
                errors++;
            free(slot[k]);
            n++;
        }
        len[k] = size_of(&rng);
        slot[k] = malloc(len[k]);
        n++;
        if (!slot[k]) {
            errors++;
            continue;
        }
        stamp(slot[k], len[k], (uint64_t)k * 0x9E3779B97F4A7C15ULL ^ len[k]);
    }
    for (size_t k = 0; k < SLOTS; k++) {
        if (slot[k]) {
            free(slot[k]);
            n++;
        }
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    free(slot);
    free(len);
    *ops = n;
    return secs;
}

/* A single-producer single-consumer ring of blocks. */
struct ring {
    _Alignas(64) atomic_size_t head; /* next slot to read (consumer) */
    _Alignas(64) atomic_size_t tail; /* next slot to write (producer) */
    _Alignas(64) struct item {
        unsigned char *p;
        size_t n;
    } slot[QCAP];
};

struct worker {
    pthread_t th;
    int id, nthreads;
    size_t blocks;
    struct ring *out, *in; /* to the next thread, from the previous */
    uint64_t ops;
};

static uint64_t tag_of(const unsigned char *p, size_t n)
{
    return (uint64_t)(uintptr_t)p * 0x9E3779B97F4A7C15ULL ^ n;
}

static void *worker_main(void *arg)
{
    struct worker *w = arg;
    uint64_t rng = 0xD1B54A32D192ED03ULL * (uint64_t)(w->id + 1);
    size_t made = 0, got = 0;
    while (made < w->blocks || got < w->blocks) {
        int progress = 0;
        /* produce while the ring has room */
        size_t tail = atomic_load_explicit(&w->out->tail, memory_order_relaxed);
        size_t head = atomic_load_explicit(&w->out->head, memory_order_acquire);
        while (made < w->blocks && tail - head < QCAP) {
            size_t n = size_of(&rng);
            unsigned char *p = malloc(n);
            w->ops++;
            made++;
            if (!p) {
                errors++;
                continue;
            }
            stamp(p, n, tag_of(p, n));
            w->out->slot[tail % QCAP].p = p;
            w->out->slot[tail % QCAP].n = n;
            tail++;
            progress = 1;
            if ((tail & 31) == 0)
                atomic_store_explicit(&w->out->tail, tail, memory_order_release);
        }
        atomic_store_explicit(&w->out->tail, tail, memory_order_release);
        /* consume what the previous thread passed */
        head = atomic_load_explicit(&w->in->head, memory_order_relaxed);
        tail = atomic_load_explicit(&w->in->tail, memory_order_acquire);
        while (head != tail) {
            struct item it = w->in->slot[head % QCAP];
            if (!stamp_ok(it.p, it.n, tag_of(it.p, it.n)))
                errors++;
            free(it.p);
            w->ops++;
            got++;
            head++;
            progress = 1;
        }
        atomic_store_explicit(&w->in->head, head, memory_order_release);
        if (!progress)
            sched_yield();
    }
    return NULL;
}

static double multi_thread(int nthreads, size_t blocks, uint64_t *ops)
{
    struct ring *rings = aligned_alloc(64, sizeof *rings * (size_t)nthreads);
    struct worker *w = calloc((size_t)nthreads, sizeof *w);
    memset(rings, 0, sizeof *rings * (size_t)nthreads);
    /* the blocks thread i makes are never fewer than the next one eats:
     * every thread makes and eats the same number, so the ring drains */
    for (int i = 0; i < nthreads; i++) {
        w[i].id = i, w[i].nthreads = nthreads, w[i].blocks = blocks;
        w[i].out = &rings[i];
        w[i].in = &rings[(i + nthreads - 1) % nthreads];
    }
    uint64_t t0 = now_ns();
    for (int i = 0; i < nthreads; i++)
        pthread_create(&w[i].th, NULL, worker_main, &w[i]);
    *ops = 0;
    for (int i = 0; i < nthreads; i++) {
        pthread_join(w[i].th, NULL);
        *ops += w[i].ops;
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    free(rings);
    free(w);
    return secs;
}

int main(int argc, char **argv)
{
    uint64_t ops = 0;
    double secs;
    int threads = 1;
    if (argc >= 2 && strcmp(argv[1], "st") == 0) {
        size_t steps = argc > 2 ? strtoull(argv[2], NULL, 10) : 5000000;
        secs = single_thread(steps, &ops);
    } else if (argc >= 3 && strcmp(argv[1], "mt") == 0) {
        threads = atoi(argv[2]);
        if (threads < 2 || threads > MAX_THREADS) {
            fprintf(stderr, "micro: 2..%d threads\n", MAX_THREADS);
            return 2;
        }
        size_t blocks = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
        secs = multi_thread(threads, blocks, &ops);
    } else {
        fprintf(stderr, "usage: micro st [STEPS] | micro mt THREADS [BLOCKS_PER_THREAD]\n");
        return 2;
    }
    printf("%s %d %llu %.6f %.3f %lu\n", threads > 1 ? "mt" : "st", threads, (unsigned long long)ops, secs,
           secs > 0 ? (double)ops / secs / 1e6 : 0.0, (unsigned long)errors);
    return errors ? 1 : 0;
}
