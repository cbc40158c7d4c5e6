/*
 * workloads.c - allocation-heavy workloads of the kinds that public allocator
 * benchmark suites run, written here from their descriptions, through
 * whatever malloc the process has (glibc, or the shim or another allocator by
 * LD_PRELOAD). Plain malloc/free/realloc/memalign/valloc calls only.
 *
 *   workloads larson  THREADS STEPS   server-like churn (after larson, as run
 *                        by mimalloc-bench): every thread owns an array of
 *                        SLOTS blocks of 8..1000 bytes and replaces random
 *                        ones; after each of EPOCHS epochs the threads end and
 *                        new ones take over the arrays shifted by one, so
 *                        blocks are freed by threads that did not make them
 *   workloads xmalloc THREADS BLOCKS  producer-consumer (after xmalloc-test):
 *                        THREADS producers allocate blocks of 8..128 bytes in
 *                        batches and queue them; THREADS consumers free them
 *   workloads cfrac   THREADS STEPS   small-block churn (after cfrac/espresso):
 *                        bignum-like numbers of 2..16 limbs (16..128 bytes),
 *                        sums and products into new blocks, temporaries,
 *                        realloc growth and shrink
 *   workloads espresso THREADS STEPS  after espresso (the Berkeley logic
 *                        minimizer, run by mimalloc-bench and older allocator
 *                        studies), whose cubes are small bit sets of one size
 *                        per problem kept in families grown by realloc: here
 *                        covers of same-sized cubes in a pointer array grown
 *                        by realloc; intersections make short-lived
 *                        temporaries, fewer than half kept as new cubes; a
 *                        reduce pass frees a quarter and copies the survivors
 *                        into a new array; each of ES_PHASES phases frees the
 *                        whole cover and changes the cube size (24..64 bytes)
 *   workloads simple  THREADS ROUNDS SIZE   after glibc's bench-malloc-simple:
 *                        malloc COUNT blocks of SIZE, then free them, for COUNT
 *                        25, 100, 400 and 1600, ROUNDS*100/COUNT times each;
 *                        every thread does the same
 *   workloads mthread THREADS STEPS   after glibc's bench-malloc-thread: every
 *                        thread keeps 1024 blocks of log-uniform sizes
 *                        8..32767 and replaces a random one per step
 *   workloads large   THREADS STEPS   after malloc-large (mimalloc-bench):
 *                        20 live blocks of 5..25 MB per thread, one replaced
 *                        per step, a byte touched in every MB
 *   workloads mstress THREADS ROUNDS  after mstress (mimalloc-bench): per round
 *                        THREADS new threads allocate bursts of mixed sizes,
 *                        free some of their own, swap some through a shared
 *                        table (freed by another thread), free part of what
 *                        the previous round's threads left, and exit with the
 *                        rest still live
 *   workloads aligned BLOCKS          issue 9: BLOCKS page-aligned blocks
 *                        (memalign(4096) and valloc in turn), each followed by
 *                        a small malloc; all stay live; each quarter timed
 *
 * Every block carries its size and a tag derived from its address, checked
 * before it is freed; a wrong value, a NULL return or a misaligned aligned
 * block counts as an error. Prints one row:
 *   NAME THREADS OPS SECONDS ERRORS        (aligned adds Q1 Q2 Q3 Q4 seconds)
 * OPS counts allocating calls and frees. Exit status 1 when ERRORS > 0.
 */
#define _GNU_SOURCE
#include <malloc.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"

#define MAX_THREADS 64

static atomic_ulong errors;
static atomic_ulong total_ops;

/* ---- Self-describing blocks ---------------------------------------------
 * mark(p, n): the first 8 bytes hold n, the last 8 (when n >= 16) a tag of
 * the address and size. check_free(p) verifies both, then frees. */
static inline uint64_t tag_of(const void *p, size_t n)
{
    return ((uint64_t)(uintptr_t)p ^ (uint64_t)n) * 0x9E3779B97F4A7C15ULL;
}
static inline void mark(void *p, size_t n)
{
    unsigned char *b = p;
    uint64_t v = n, t = tag_of(p, n);
    memcpy(b, &v, 8);
    if (n >= 16)
        memcpy(b + n - 8, &t, 8);
}
/* check: 1 when p carries the mark of a block of n bytes (n 0: any size,
 * read from the block) */
static inline int check(const void *p, size_t n)
{
    const unsigned char *b = p;
    uint64_t v, t;
    memcpy(&v, b, 8);
    if (n && v != n)
        return 0;
    if (v < 8 || v > ((size_t)1 << 40))
        return 0;
    if (v >= 16) {
        memcpy(&t, b + v - 8, 8);
        if (t != tag_of(p, v))
            return 0;
    }
    return 1;
}
/* new_block: malloc(n) marked; NULL counted as an error */
static inline void *new_block(size_t n)
{
    void *p = malloc(n);
    if (!p) {
        errors++;
        return NULL;
    }
    mark(p, n);
    return p;
}
static inline void drop_block(void *p, size_t n)
{
    if (!p)
        return;
    if (!check(p, n))
        errors++;
    free(p);
}

/* run_threads: start n threads on fn with args[i], join them all. */
static void run_threads(int n, void *(*fn)(void *), void *args, size_t argsize)
{
    pthread_t th[MAX_THREADS];
    for (int i = 0; i < n; i++)
        if (pthread_create(&th[i], NULL, fn, (char *)args + (size_t)i * argsize) != 0) {
            fprintf(stderr, "workloads: pthread_create failed\n");
            exit(2);
        }
    for (int i = 0; i < n; i++)
        pthread_join(th[i], NULL);
}

/* ---- larson ------------------------------------------------------------- */
#define LARSON_SLOTS 4000
#define LARSON_EPOCHS 10

struct larson {
    void **slot;
    size_t *len;
    size_t steps;
    uint64_t seed, ops;
};

static void *larson_thread(void *arg)
{
    struct larson *a = arg;
    uint64_t rng = a->seed, ops = 0;
    for (size_t s = 0; s < a->steps; s++) {
        size_t k = rng_next(&rng) % LARSON_SLOTS;
        drop_block(a->slot[k], a->len[k]);
        a->len[k] = 8 + rng_next(&rng) % 993;
        a->slot[k] = new_block(a->len[k]);
        ops += 2;
    }
    a->seed = rng;
    a->ops += ops;
    return NULL;
}

static void larson(int threads, size_t steps)
{
    struct larson a[MAX_THREADS], b[MAX_THREADS];
    for (int i = 0; i < threads; i++) {
        a[i].slot = calloc(LARSON_SLOTS, sizeof(void *));
        a[i].len = calloc(LARSON_SLOTS, sizeof(size_t));
        a[i].steps = steps / LARSON_EPOCHS;
        a[i].seed = 0x9E3779B97F4A7C15ULL * (uint64_t)(i + 1);
        a[i].ops = 0;
        for (size_t k = 0; k < LARSON_SLOTS; k++) { /* the main thread fills every array */
            a[i].len[k] = 8 + rng_next(&a[i].seed) % 993;
            a[i].slot[k] = new_block(a[i].len[k]);
        }
    }
    uint64_t ops = (uint64_t)threads * LARSON_SLOTS;
    for (int e = 0; e < LARSON_EPOCHS; e++) {
        run_threads(threads, larson_thread, a, sizeof a[0]);
        for (int i = 0; i < threads; i++) /* hand each array to the next thread */
            b[(i + 1) % threads] = a[i];
        memcpy(a, b, sizeof a[0] * (size_t)threads);
    }
    for (int i = 0; i < threads; i++) {
        for (size_t k = 0; k < LARSON_SLOTS; k++)
            drop_block(a[i].slot[k], a[i].len[k]);
        ops += a[i].ops + LARSON_SLOTS;
        free(a[i].slot);
        free(a[i].len);
    }
    total_ops += ops;
}

/* ---- xmalloc: producers and consumers ---------------------------------- */
#define XM_BATCH 100
#define XM_QCAP 64

struct xbatch {
    void *p[XM_BATCH];
};
static struct {
    pthread_mutex_t mu;
    pthread_cond_t nonempty, nonfull;
    struct xbatch *q[XM_QCAP];
    size_t head, tail;
    int producers_left;
} xq = {PTHREAD_MUTEX_INITIALIZER, PTHREAD_COND_INITIALIZER, PTHREAD_COND_INITIALIZER, {0}, 0, 0, 0};

struct xarg {
    size_t blocks;
    uint64_t seed;
};

static void *xm_producer(void *arg)
{
    struct xarg *a = arg;
    uint64_t rng = a->seed;
    for (size_t made = 0; made < a->blocks; made += XM_BATCH) {
        struct xbatch *b = malloc(sizeof *b);
        if (!b) {
            errors++;
            break;
        }
        for (int i = 0; i < XM_BATCH; i++)
            b->p[i] = new_block(8 + rng_next(&rng) % 121);
        pthread_mutex_lock(&xq.mu);
        while (xq.tail - xq.head == XM_QCAP)
            pthread_cond_wait(&xq.nonfull, &xq.mu);
        xq.q[xq.tail++ % XM_QCAP] = b;
        pthread_cond_signal(&xq.nonempty);
        pthread_mutex_unlock(&xq.mu);
    }
    pthread_mutex_lock(&xq.mu);
    xq.producers_left--;
    pthread_cond_broadcast(&xq.nonempty);
    pthread_mutex_unlock(&xq.mu);
    return NULL;
}

static void *xm_consumer(void *arg)
{
    (void)arg;
    uint64_t ops = 0;
    for (;;) {
        pthread_mutex_lock(&xq.mu);
        while (xq.head == xq.tail && xq.producers_left > 0)
            pthread_cond_wait(&xq.nonempty, &xq.mu);
        if (xq.head == xq.tail) {
            pthread_mutex_unlock(&xq.mu);
            break;
        }
        struct xbatch *b = xq.q[xq.head++ % XM_QCAP];
        pthread_cond_signal(&xq.nonfull);
        pthread_mutex_unlock(&xq.mu);
        for (int i = 0; i < XM_BATCH; i++)
            drop_block(b->p[i], 0);
        free(b);
        ops += 2 * XM_BATCH + 2;
    }
    total_ops += ops;
    return NULL;
}

static void *xm_thread(void *arg)
{
    struct xarg *a = arg;
    return a->blocks ? xm_producer(a) : xm_consumer(a);
}

static void xmalloc_test(int threads, size_t blocks)
{
    struct xarg a[MAX_THREADS];
    int n = 2 * threads > MAX_THREADS ? MAX_THREADS : 2 * threads;
    xq.producers_left = n / 2;
    for (int i = 0; i < n; i++) { /* even: producer, odd: consumer */
        a[i].blocks = i % 2 ? 0 : (blocks + XM_BATCH - 1) / XM_BATCH * XM_BATCH;
        a[i].seed = 0xD1B54A32D192ED03ULL * (uint64_t)(i + 1);
    }
    run_threads(n, xm_thread, a, sizeof a[0]);
}

/* ---- cfrac: bignum-like small blocks ------------------------------------
 * A number is a block of LEN limbs (uint64_t), LEN in 2..16; beside it, in
 * the thread's own arrays, its length and a checksum of its limbs. */
#define CF_POOL 256
#define CF_MAXL 16

static uint64_t limbsum(const uint64_t *x, size_t n)
{
    uint64_t s = 0x51ED270B27D4F1A3ULL;
    for (size_t i = 0; i < n; i++)
        s = (s ^ x[i]) * 0x100000001B3ULL;
    return s;
}

struct cfarg {
    size_t steps;
    uint64_t seed, ops;
};

static void *cfrac_thread(void *arg)
{
    struct cfarg *a = arg;
    uint64_t rng = a->seed, ops = 0;
    uint64_t *num[CF_POOL], sum[CF_POOL];
    size_t len[CF_POOL];
    for (int i = 0; i < CF_POOL; i++) {
        len[i] = 2 + rng_next(&rng) % 3;
        num[i] = malloc(len[i] * 8);
        if (!num[i]) {
            errors++;
            return NULL;
        }
        for (size_t k = 0; k < len[i]; k++)
            num[i][k] = rng_next(&rng);
        sum[i] = limbsum(num[i], len[i]);
        ops++;
    }
    for (size_t s = 0; s < a->steps; s++) {
        uint64_t r = rng_next(&rng);
        size_t i = r % CF_POOL, j = (r >> 16) % CF_POOL, d = (r >> 32) % CF_POOL;
        if (limbsum(num[i], len[i]) != sum[i] || limbsum(num[j], len[j]) != sum[j])
            errors++;
        uint64_t *res;
        size_t rl;
        if ((r >> 48) % 4 == 0) { /* grow num[i] by a limb or two with realloc, or shrink a long one */
            size_t nl = len[i] >= CF_MAXL - 1 ? 2 + (r >> 56) % 4 : len[i] + 1 + (r >> 56) % 2;
            size_t kept = nl < len[i] ? nl : len[i];
            uint64_t before = limbsum(num[i], kept);
            uint64_t *p = realloc(num[i], nl * 8);
            ops++;
            if (!p) {
                errors++;
                continue;
            }
            if (limbsum(p, kept) != before) /* realloc kept the contents */
                errors++;
            for (size_t k = len[i]; k < nl; k++)
                p[k] = k * 0x2545F4914F6CDD1DULL;
            num[i] = p, len[i] = nl, sum[i] = limbsum(p, nl);
            continue;
        }
        if ((r >> 48) % 4 == 1) { /* product: a temporary for the partial sums, then the result */
            rl = len[i] + len[j] > CF_MAXL ? CF_MAXL : len[i] + len[j];
            uint64_t *tmp = calloc(rl, 8);
            res = malloc(rl * 8);
            ops += 2;
            if (!tmp || !res) {
                errors++;
                free(tmp);
                free(res);
                continue;
            }
            for (size_t x = 0; x < len[i]; x++)
                for (size_t y = 0; y < len[j] && x + y < rl; y++)
                    tmp[x + y] += num[i][x] * num[j][y];
            memcpy(res, tmp, rl * 8);
            free(tmp);
            ops++;
        } else { /* sum, carried, one limb longer */
            size_t m = len[i] > len[j] ? len[i] : len[j];
            rl = m + 1 > CF_MAXL ? CF_MAXL : m + 1;
            res = malloc(rl * 8);
            ops++;
            if (!res) {
                errors++;
                continue;
            }
            uint64_t carry = 0;
            for (size_t k = 0; k < rl; k++) {
                uint64_t x = k < len[i] ? num[i][k] : 0, y = k < len[j] ? num[j][k] : 0;
                uint64_t t = x + y;
                uint64_t c1 = t < x;
                res[k] = t + carry;
                carry = c1 + (res[k] < t);
            }
        }
        if (limbsum(num[d], len[d]) != sum[d])
            errors++;
        free(num[d]);
        ops++;
        num[d] = res, len[d] = rl, sum[d] = limbsum(res, rl);
    }
    for (int i = 0; i < CF_POOL; i++) {
        if (limbsum(num[i], len[i]) != sum[i])
            errors++;
        free(num[i]);
        ops++;
    }
    total_ops += ops;
    return NULL;
}

static void cfrac(int threads, size_t steps)
{
    struct cfarg a[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        a[i].steps = steps, a[i].seed = 0xA0761D6478BD642FULL * (uint64_t)(i + 1), a[i].ops = 0;
    run_threads(threads, cfrac_thread, a, sizeof a[0]);
}

/* ---- espresso: covers of cubes ------------------------------------------
 * A cube is a marked block of (words + 2) * 8 bytes: the size, WORDS words of
 * bits, the tag (mark/check). A cover is an array of cube pointers. */
#define ES_PHASES 8
#define ES_MAX 4096 /* a cover reaching this is reduced */

struct cover {
    uint64_t **c;
    size_t n, cap, bytes;
    uint64_t ops;
};

/* es_add: append cube p to v (the array grows by realloc) */
static void es_add(struct cover *v, uint64_t *p)
{
    if (v->n == v->cap) {
        size_t cap = v->cap ? 2 * v->cap : 16;
        uint64_t **c = realloc(v->c, cap * sizeof *c);
        v->ops++;
        if (!c) {
            errors++;
            drop_block(p, v->bytes);
            return;
        }
        v->c = c, v->cap = cap;
    }
    v->c[v->n++] = p;
}

/* es_intersect: a temporary cube, the and of two cubes' bits; kept as a new
 * cube when at least 38 of every 64 bits are set (fewer than half are), else
 * freed */
static void es_intersect(struct cover *v, uint64_t r)
{
    uint64_t *a = v->c[r % v->n], *b = v->c[(r >> 20) % v->n], *t = new_block(v->bytes);
    size_t w = v->bytes / 8 - 2, bits = 0;
    v->ops++;
    if (!t)
        return;
    for (size_t k = 1; k <= w; k++)
        bits += (size_t)__builtin_popcountll(t[k] = a[k] & b[k]);
    if (bits >= 38 * w)
        es_add(v, t);
    else {
        drop_block(t, v->bytes);
        v->ops++;
    }
}

/* es_reduce: free about a quarter of the cubes, the survivors into a new
 * array (the old one freed) */
static void es_reduce(struct cover *v, uint64_t *rng)
{
    uint64_t **c = malloc(v->cap * sizeof *c);
    size_t m = 0;
    v->ops += 2;
    if (!c) {
        errors++;
        return;
    }
    for (size_t i = 0; i < v->n; i++) {
        if (rng_next(rng) % 4 == 0) {
            drop_block(v->c[i], v->bytes);
            v->ops++;
        } else
            c[m++] = v->c[i];
    }
    free(v->c);
    v->c = c, v->n = m;
}

static void *espresso_thread(void *arg)
{
    struct cfarg *a = arg;
    uint64_t rng = a->seed;
    struct cover v = {NULL, 0, 0, 0, 0};
    for (int ph = 0; ph < ES_PHASES; ph++) {
        v.bytes = (size_t)(3 + (ph * 5) % 6) * 8; /* 24..64 bytes */
        for (size_t s = 0; s < a->steps / ES_PHASES; s++) {
            uint64_t r = rng_next(&rng);
            if (v.n < 2 || r % 8 < 3) { /* a new cube, its bits at random */
                uint64_t *p = new_block(v.bytes);
                v.ops++;
                for (size_t k = 1; p && k < v.bytes / 8 - 1; k++)
                    p[k] = rng_next(&rng) | rng_next(&rng);
                if (p)
                    es_add(&v, p);
            } else if (r % 8 < 7)
                es_intersect(&v, r >> 8);
            if (v.n >= ES_MAX || r % 512 == 0)
                es_reduce(&v, &rng);
        }
        for (size_t i = 0; i < v.n; i++) /* the phase's cover is done */
            drop_block(v.c[i], v.bytes);
        v.ops += v.n, v.n = 0;
    }
    free(v.c);
    total_ops += v.ops + 1;
    return NULL;
}

static void espresso(int threads, size_t steps)
{
    struct cfarg a[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        a[i].steps = steps, a[i].seed = 0x8EBC6AF09C88C6E3ULL * (uint64_t)(i + 1), a[i].ops = 0;
    run_threads(threads, espresso_thread, a, sizeof a[0]);
}

/* ---- simple: glibc bench-malloc-simple ---------------------------------- */
struct simplearg {
    size_t rounds, size;
};

static void *simple_thread(void *arg)
{
    struct simplearg *a = arg;
    static const size_t counts[] = {25, 100, 400, 1600};
    void **p = malloc(1600 * sizeof *p);
    uint64_t ops = 2;
    for (size_t c = 0; c < 4; c++) {
        size_t n = counts[c], reps = a->rounds * 100 / n;
        for (size_t r = 0; r < reps; r++) {
            for (size_t i = 0; i < n; i++)
                p[i] = new_block(a->size);
            for (size_t i = 0; i < n; i++)
                drop_block(p[i], a->size);
            ops += 2 * n;
        }
    }
    free(p);
    total_ops += ops;
    return NULL;
}

static void simple(int threads, size_t rounds, size_t size)
{
    struct simplearg a[MAX_THREADS];
    if (size < 8)
        size = 8;
    for (int i = 0; i < threads; i++)
        a[i].rounds = rounds, a[i].size = size;
    run_threads(threads, simple_thread, a, sizeof a[0]);
}

/* ---- mthread: glibc bench-malloc-thread --------------------------------- */
#define MT_SET 1024

static void *mthread_thread(void *arg)
{
    struct cfarg *a = arg;
    uint64_t rng = a->seed, ops = 0;
    void *set[MT_SET] = {0};
    for (size_t s = 0; s < a->steps; s++) {
        uint64_t r = rng_next(&rng);
        size_t k = r % MT_SET;
        int e = 3 + (int)((r >> 20) % 13);       /* 2^3 .. 2^15 */
        size_t n = ((size_t)1 << (e - 1)) + (r >> 32) % ((size_t)1 << (e - 1));
        if (n < 8)
            n = 8;
        drop_block(set[k], 0);
        set[k] = new_block(n);
        ops += 2;
    }
    for (size_t k = 0; k < MT_SET; k++)
        drop_block(set[k], 0);
    total_ops += ops + MT_SET;
    return NULL;
}

static void mthread(int threads, size_t steps)
{
    struct cfarg a[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        a[i].steps = steps, a[i].seed = 0xE7037ED1A0B428DBULL * (uint64_t)(i + 1), a[i].ops = 0;
    run_threads(threads, mthread_thread, a, sizeof a[0]);
}

/* ---- large: 5..25 MB blocks --------------------------------------------- */
#define LG_SET 20
#define MB ((size_t)1 << 20)

static void *large_thread(void *arg)
{
    struct cfarg *a = arg;
    uint64_t rng = a->seed, ops = 0;
    unsigned char *set[LG_SET] = {0};
    for (size_t s = 0; s < a->steps + LG_SET; s++) {
        size_t k = s < LG_SET ? s : rng_next(&rng) % LG_SET;
        if (set[k]) {
            uint64_t n;
            memcpy(&n, set[k], 8);
            for (size_t o = MB; o + 8 < n; o += MB)
                if (set[k][o] != (unsigned char)(o >> 20))
                    errors++;
            drop_block(set[k], 0);
            ops++;
        }
        size_t n = 5 * MB + rng_next(&rng) % (20 * MB);
        set[k] = new_block(n);
        ops++;
        if (set[k])
            for (size_t o = MB; o + 8 < n; o += MB)
                set[k][o] = (unsigned char)(o >> 20);
    }
    for (size_t k = 0; k < LG_SET; k++)
        drop_block(set[k], 0);
    total_ops += ops + LG_SET;
    return NULL;
}

static void large(int threads, size_t steps)
{
    struct cfarg a[MAX_THREADS];
    for (int i = 0; i < threads; i++)
        a[i].steps = steps, a[i].seed = 0x8EBC6AF09C88C6E3ULL * (uint64_t)(i + 1), a[i].ops = 0;
    run_threads(threads, large_thread, a, sizeof a[0]);
}

/* ---- mstress ------------------------------------------------------------ */
#define MS_BURST 2000  /* blocks a thread allocates per round */
#define MS_SWAP 512    /* slots of the shared exchange table */

static _Atomic(void *) ms_swap[MS_SWAP];
static void *ms_left[MAX_THREADS][MS_BURST]; /* what a thread left live when it exited */

struct msarg {
    int id, parity;
    uint64_t seed;
};

static size_t ms_size(uint64_t r)
{
    unsigned k = (unsigned)(r % 100);
    if (k < 90)
        return 16 + (r >> 8) % 113;      /* 16..128 */
    if (k < 99)
        return 129 + (r >> 8) % 3968;    /* ..4096 */
    return 4097 + (r >> 8) % 61440;      /* ..64 KiB */
}

static void *mstress_thread(void *arg)
{
    struct msarg *a = arg;
    uint64_t rng = a->seed, ops = 0;
    void **mine = malloc(MS_BURST * sizeof *mine);
    ops++;
    if (!mine) {
        errors++;
        return NULL;
    }
    /* free half of what the threads of the two rounds before left in this
     * place: the blocks one round's thread leaves live two rounds */
    for (size_t k = (size_t)a->parity; k < MS_BURST; k += 2) {
        drop_block(ms_left[a->id][k], 0);
        ms_left[a->id][k] = NULL;
        ops++;
    }
    for (size_t k = 0; k < MS_BURST; k++) {
        uint64_t r = rng_next(&rng);
        mine[k] = new_block(ms_size(r));
        ops++;
        if ((r >> 40) % 4 == 0 && k > 0) { /* free one of ours */
            size_t v = (r >> 44) % k;
            drop_block(mine[v], 0);
            mine[v] = NULL;
            ops++;
        } else if ((r >> 40) % 4 == 1) { /* swap one through the shared table */
            void *got = atomic_exchange(&ms_swap[(r >> 44) % MS_SWAP], mine[k]);
            mine[k] = got;
        }
    }
    /* exit with a live block in every other place; the rest go now */
    for (size_t k = 0; k < MS_BURST; k++) {
        if (k % 2 == (size_t)a->parity) {
            ms_left[a->id][k] = mine[k];
        } else {
            drop_block(mine[k], 0);
            ops++;
        }
    }
    free(mine);
    total_ops += ops + 1;
    return NULL;
}

static void mstress(int threads, size_t rounds)
{
    struct msarg a[MAX_THREADS];
    for (size_t r = 0; r < rounds; r++) {
        for (int i = 0; i < threads; i++)
            a[i].id = i, a[i].parity = (int)(r % 2), a[i].seed = 0xC2B2AE3D27D4EB4FULL * (uint64_t)(r * MAX_THREADS + (size_t)i + 1);
        run_threads(threads, mstress_thread, a, sizeof a[0]);
    }
    uint64_t ops = 0;
    for (int i = 0; i < threads; i++)
        for (size_t k = 0; k < MS_BURST; k++)
            if (ms_left[i][k]) {
                drop_block(ms_left[i][k], 0);
                ops++;
            }
    for (size_t k = 0; k < MS_SWAP; k++) {
        void *p = atomic_exchange(&ms_swap[k], NULL);
        if (p) {
            drop_block(p, 0);
            ops++;
        }
    }
    total_ops += ops;
}

/* ---- aligned: issue 9 --------------------------------------------------- */
static void aligned(size_t blocks, double q[4])
{
    void **al = calloc(blocks, sizeof *al), **sm = calloc(blocks, sizeof *sm);
    if (!al || !sm) {
        errors++;
        free(al);
        free(sm);
        return;
    }
    size_t quarter = (blocks + 3) / 4;
    for (int part = 0; part < 4; part++) {
        uint64_t t0 = now_ns();
        for (size_t i = (size_t)part * quarter; i < blocks && i < (size_t)(part + 1) * quarter; i++) {
            size_t n = 64 + (i * 40503u) % 961;       /* 64..1024 bytes */
            al[i] = i % 2 ? valloc(n) : memalign(4096, n);
            if (!al[i] || (uintptr_t)al[i] % 4096) {
                errors++;
                free(al[i]);
                al[i] = NULL;
            } else {
                mark(al[i], n);
            }
            sm[i] = new_block(16 + i % 49);
        }
        q[part] = (double)(now_ns() - t0) / 1e9;
    }
    for (size_t i = 0; i < blocks; i++) {
        drop_block(al[i], 0);
        drop_block(sm[i], 0);
    }
    total_ops += 4 * blocks;
    free(al);
    free(sm);
}

static void usage(void)
{
    fprintf(stderr, "usage: workloads larson|xmalloc|cfrac|espresso|mthread|large|mstress THREADS N\n"
                    "       workloads simple THREADS ROUNDS SIZE\n"
                    "       workloads aligned BLOCKS\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        usage();
    const char *name = argv[1];
    double q[4] = {0, 0, 0, 0};
    int threads = 1;
    uint64_t t0 = now_ns();
    if (strcmp(name, "aligned") == 0) {
        size_t n = strtoull(argv[2], NULL, 10);
        if (n < 4)
            usage();
        t0 = now_ns();
        aligned(n, q);
    } else {
        threads = atoi(argv[2]);
        if (argc < 4 || threads < 1 || threads > MAX_THREADS)
            usage();
        size_t n = strtoull(argv[3], NULL, 10);
        t0 = now_ns();
        if (strcmp(name, "larson") == 0)
            larson(threads, n);
        else if (strcmp(name, "xmalloc") == 0)
            xmalloc_test(threads, n);
        else if (strcmp(name, "cfrac") == 0)
            cfrac(threads, n);
        else if (strcmp(name, "espresso") == 0)
            espresso(threads, n);
        else if (strcmp(name, "simple") == 0 && argc >= 5)
            simple(threads, n, strtoull(argv[4], NULL, 10));
        else if (strcmp(name, "mthread") == 0)
            mthread(threads, n);
        else if (strcmp(name, "large") == 0)
            large(threads, n);
        else if (strcmp(name, "mstress") == 0)
            mstress(threads, n);
        else
            usage();
    }
    double secs = (double)(now_ns() - t0) / 1e9;
    printf("%s %d %llu %.6f %lu", name, threads, (unsigned long long)total_ops, secs, (unsigned long)errors);
    if (strcmp(name, "aligned") == 0)
        printf(" %.6f %.6f %.6f %.6f", q[0], q[1], q[2], q[3]);
    printf("\n");
    return errors ? 1 : 0;
}
