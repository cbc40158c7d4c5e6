/*
 * micro.c - allocation microbenchmarks through whatever malloc the process
 * has (glibc, or the shim or another allocator by LD_PRELOAD).
 *
 *   micro st [STEPS]       one thread: a pool of SLOTS blocks; each step
 *                          frees a random slot's block and allocates a new
 *                          one of 8..1024 bytes (churn)
 *   micro rep [STEPS]      the same churn with repeated sizes: 80% of the
 *                          sizes from 16 fixed values, 20% random 8..1024
 *   micro live [STEPS [BLOCKS]]  the st churn over BLOCKS slots (1000000),
 *                          all filled first: a large heap of live blocks
 *   micro holes HOLES CALLS  aligned requests over free holes: HOLES free
 *                          blocks of 256 bytes, none holding a page boundary,
 *                          each between two live blocks; then CALLS
 *                          posix_memalign of 64 bytes, page and two-page
 *                          alignment in turn, each block freed at once (issue
 *                          16 item 5: a search that walks the holes costs
 *                          O(HOLES) a call). Adds the ns per call to the row.
 *   micro mt THREADS [N]   producer-consumer: THREADS threads in a ring; each
 *                          allocates N blocks of 8..1024 bytes, stamps them
 *                          and passes them to the next thread, which checks
 *                          and frees them (every free is cross-thread)
 *
 * Prints one row: test threads ops seconds Mops errors. ops counts all the
 * mallocs and frees; seconds and Mops cover the churn (st, rep, live: not the
 * fill nor the final frees); errors counts wrong stamps and NULL returns.
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

/* size_rep: 80% of the sizes from 16 values, as programs repeat a few
 * sizes (32, 64 and 128 twice as often as the others); 20% as size_of. */
static inline size_t size_rep(uint64_t *rng)
{
    static const size_t fixed[16] = {16, 24, 32, 32, 48, 64, 64, 96, 128, 128, 160, 256, 24, 40, 512, 1000};
    uint64_t r = rng_next(rng);
    return r % 5 ? fixed[(r >> 8) % 16] : 8 + (r >> 8) % 1017;
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

/* tag_at: the stamp of slot k holding n bytes. */
static inline uint64_t tag_at(size_t k, size_t n)
{
    return (uint64_t)k * 0x9E3779B97F4A7C15ULL ^ n;
}

/* churn: steps steps over the slots: each frees a random slot's block and
 * allocates one of size(rng); n counts the calls. Not inlined: instr.sh
 * counts the calls it makes into the allocator, and only those (the fill
 * and the final frees of single_thread stay out of the figure). */
__attribute__((noinline)) static void churn(unsigned char **slot, size_t *len, size_t slots, size_t steps,
                                            size_t (*size)(uint64_t *), uint64_t *rng, uint64_t *n)
{
    for (size_t s = 0; s < steps; s++) {
        size_t k = rng_next(rng) % slots;
        if (slot[k]) {
            if (!stamp_ok(slot[k], len[k], tag_at(k, len[k])))
                errors++;
            free(slot[k]);
            ++*n;
        }
        len[k] = size(rng);
        slot[k] = malloc(len[k]);
        ++*n;
        if (!slot[k]) {
            errors++;
            continue;
        }
        stamp(slot[k], len[k], tag_at(k, len[k]));
    }
}

/* single_thread: slots slots (filled first when fill is set, outside the
 * timing), the churn, then every block freed. */
static double single_thread(size_t steps, size_t slots, int fill, size_t (*size)(uint64_t *), uint64_t *ops,
                            uint64_t *timed)
{
    unsigned char **slot = calloc(slots, sizeof *slot);
    size_t *len = calloc(slots, sizeof *len);
    uint64_t rng = 0x2545F4914F6CDD1DULL;
    uint64_t n = 0;
    for (size_t k = 0; fill && k < slots; k++, n++) {
        len[k] = size(&rng);
        if (!(slot[k] = malloc(len[k])))
            errors++;
        else
            stamp(slot[k], len[k], tag_at(k, len[k]));
    }
    uint64_t t0 = now_ns();
    churn(slot, len, slots, steps, size, &rng, &n);
    double secs = (double)(now_ns() - t0) / 1e9;
    *timed = n - (fill ? slots : 0);
    for (size_t k = 0; k < slots; k++) {
        if (slot[k]) {
            free(slot[k]);
            n++;
        }
    }
    free(slot);
    free(len);
    *ops = n;
    return secs;
}

/* holes: see the top of the file; ns per posix_memalign call. */
#define HOLE 256
#define WARM 16 /* calls before the timing starts */
static double aligned_over_holes(size_t holes, size_t calls, uint64_t *ops)
{
    size_t cap = 2 * holes + holes / 4 + 64, nkeep = 0, made = 0;
    void **keep = calloc(cap, sizeof *keep), **hole = calloc(cap, sizeof *hole);
    uint64_t n = 0;
    /* all the blocks first (a hole freed at once would be the next fit);
     * a hole holds no page boundary, so no aligned spot: every search for
     * one has to pass it; a block that does hold one stays live */
    while (keep && hole && made < holes && nkeep + 2 < cap) {
        unsigned char *h = malloc(HOLE), *pin = malloc(16);
        n += 2;
        if (!h || !pin) {
            errors++;
            break;
        }
        keep[nkeep++] = pin;
        if (((uintptr_t)h - 64) / 4096 != ((uintptr_t)h + HOLE + 64) / 4096) /* with a margin */
            keep[nkeep++] = h;
        else
            hole[made++] = h;
    }
    if (made < holes)
        errors++;
    for (size_t k = 0; k < made; k++)
        free(hole[k]);
    n += made;
    /* a few calls untimed: what an allocator sorts once is not counted */
    uint64_t t0 = 0;
    for (size_t i = 0; i < calls + WARM; i++) {
        void *p = NULL;
        size_t align = i % 2 ? 8192 : 4096;
        if (i == WARM)
            t0 = now_ns();
        if (posix_memalign(&p, align, 64) != 0 || (uintptr_t)p % align) {
            errors++;
            continue;
        }
        memset(p, 0xa5, 64);
        free(p);
        n += 2;
    }
    double ns = calls ? (double)(now_ns() - t0) / (double)calls : 0;
    for (size_t k = 0; k < nkeep; k++)
        free(keep[k]);
    free(keep);
    free(hole);
    *ops = n + nkeep;
    return ns;
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
    uint64_t ops = 0, timed = 0;
    double secs;
    int threads = 1;
    const char *test = argc >= 2 ? argv[1] : "";
    size_t steps = argc > 2 ? strtoull(argv[2], NULL, 10) : 5000000;
    if (strcmp(test, "st") == 0 || strcmp(test, "rep") == 0) {
        secs = single_thread(steps, SLOTS, 0, test[0] == 'r' ? size_rep : size_of, &ops, &timed);
    } else if (strcmp(test, "live") == 0) {
        size_t blocks = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
        secs = single_thread(steps, blocks ? blocks : 1, 1, size_of, &ops, &timed);
    } else if (argc >= 4 && strcmp(test, "holes") == 0) {
        uint64_t t0 = now_ns();
        double ns = aligned_over_holes(steps, strtoull(argv[3], NULL, 10), &ops);
        secs = (double)(now_ns() - t0) / 1e9;
        printf("holes 1 %llu %.6f %.1f %lu\n", (unsigned long long)ops, secs, ns, (unsigned long)errors);
        return errors ? 1 : 0;
    } else if (argc >= 3 && strcmp(argv[1], "mt") == 0) {
        threads = atoi(argv[2]);
        if (threads < 2 || threads > MAX_THREADS) {
            fprintf(stderr, "micro: 2..%d threads\n", MAX_THREADS);
            return 2;
        }
        size_t blocks = argc > 3 ? strtoull(argv[3], NULL, 10) : 1000000;
        secs = multi_thread(threads, blocks, &ops);
        timed = ops;
    } else {
        fprintf(stderr, "usage: micro st|rep [STEPS] | micro live [STEPS [BLOCKS]] | micro holes HOLES CALLS | micro mt THREADS [BLOCKS_PER_THREAD]\n");
        return 2;
    }
    printf("%s %d %llu %.6f %.3f %lu\n", threads > 1 ? "mt" : test, threads, (unsigned long long)ops, secs,
           secs > 0 ? (double)timed / secs / 1e6 : 0.0, (unsigned long)errors);
    return errors ? 1 : 0;
}
