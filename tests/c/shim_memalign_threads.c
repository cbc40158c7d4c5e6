/* shim_memalign_threads: posix_memalign in many threads at once. 8 threads
 * ask for blocks with every power-of-two alignment from sizeof(void *) to
 * 64K and sizes from 0 to beyond a 64K heap; every block must be aligned,
 * at least as big as asked (malloc_usable_size) and keep its tagged
 * contents until it is freed. Half of the blocks are freed by the thread
 * that made them, the other half handed to the next thread, which checks
 * and frees them (or reallocates them first: realloc keeps the contents,
 * not the alignment). Bad alignments must give EINVAL and leave *memptr
 * alone in every thread. Usage: shim_memalign_threads [rounds]. */
#include <errno.h>
#include "shim_stress.h"

enum { THREADS = 8, SLOTS = 32, RING = 64 };
static long errors, failed, misaligned, short_blocks, einval_wrong, handed;
static int rounds;

/* a ring of blocks from thread i to thread i + 1 */
static struct ring {
    pthread_mutex_t lock;
    struct block b[RING];
    unsigned head, tail;
} rings[THREADS];

static int (*volatile posix_memalign_opaque)(void **, size_t, size_t) = posix_memalign;

/* aligned_block: a tagged block from posix_memalign, checked; NULL slot on failure */
static void aligned_block(struct rng *r, struct block *x, uint64_t tag)
{
    size_t align = sizeof(void *) << (next(r) % 14); /* 8 .. 64K */
    size_t n = next(r) % 8 == 0 ? 65536 + next(r) % 65536 : next(r) % 3000;
    void *p = (void *)0x77;
    int ret = posix_memalign(&p, align, n);
    if (ret != 0 || p == (void *)0x77) {
        __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
        x->p = NULL;
        return;
    }
    if ((uintptr_t)p % align)
        __atomic_fetch_add(&misaligned, 1, __ATOMIC_RELAXED);
    if (malloc_usable_size(p) < n)
        __atomic_fetch_add(&short_blocks, 1, __ATOMIC_RELAXED);
    x->p = p;
    x->n = n;
    x->tag = tag;
    tag_fill(x);
}

static void bad_alignment(struct rng *r)
{
    static const size_t bad[] = {0, 1, 2, 4, 12, 24, 48, 0x300, 100, 4097};
    void *p = (void *)0x99;
    int ret = posix_memalign_opaque(&p, bad[next(r) % (sizeof bad / sizeof bad[0])], 64);
    if (ret != EINVAL || p != (void *)0x99)
        __atomic_fetch_add(&einval_wrong, 1, __ATOMIC_RELAXED);
}

/* take: check and free (or realloc then free) what the previous thread handed us */
static void take(struct rng *r, struct ring *in, long *errs)
{
    pthread_mutex_lock(&in->lock);
    while (in->tail != in->head) {
        struct block b = in->b[in->tail++ % RING];
        pthread_mutex_unlock(&in->lock);
        if (b.n >= 2 && next(r) % 4 == 0) { /* shrink: n bytes keep their contents */
            size_t n = b.n / 2 + 1;
            unsigned char *q = realloc(b.p, n);
            if (!q) {
                __atomic_fetch_add(&failed, 1, __ATOMIC_RELAXED);
            } else {
                b.p = q;
                *errs += !tag_ok(&b, n);
                b.n = n;
            }
        }
        stress_drop(&b, errs);
        __atomic_fetch_add(&handed, 1, __ATOMIC_RELAXED);
        pthread_mutex_lock(&in->lock);
    }
    pthread_mutex_unlock(&in->lock);
}

/* give: hand x to the next thread if its ring has room; 1 if handed */
static int give(struct ring *out, struct block *x)
{
    int ok = 0;
    pthread_mutex_lock(&out->lock);
    if (out->head - out->tail < RING) {
        out->b[out->head++ % RING] = *x;
        x->p = NULL;
        ok = 1;
    }
    pthread_mutex_unlock(&out->lock);
    return ok;
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0xa0761d6478bd642full * (id + 1)};
    struct block b[SLOTS] = {{0}};
    struct ring *in = &rings[id], *out = &rings[(id + 1) % THREADS];
    long errs = 0;
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < 100; i++) {
            struct block *x = &b[next(&r) % SLOTS];
            if (x->p) {
                if (next(&r) % 2 == 0 || !give(out, x))
                    stress_drop(x, &errs);
            } else {
                aligned_block(&r, x, (uint64_t)id << 48 | (uint64_t)round << 16 | (uint64_t)i);
            }
            if (i % 16 == 0)
                bad_alignment(&r);
        }
        take(&r, in, &errs);
    }
    for (int i = 0; i < SLOTS; i++)
        if (b[i].p)
            stress_drop(&b[i], &errs);
    __atomic_fetch_add(&errors, errs, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atoi(argv[1]) : 100;
    alarm(60);
    for (int i = 0; i < THREADS; i++)
        pthread_mutex_init(&rings[i].lock, NULL);
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    struct rng r = {1};
    for (int i = 0; i < THREADS; i++)
        take(&r, &rings[i], &errors); /* what the last rounds handed on */
    printf("%d threads, %d rounds of posix_memalign (alignments 8..64K): %ld blocks freed by another thread, "
           "%ld requests failed, %ld misaligned, %ld shorter than asked, %ld bad alignments not refused with "
           "EINVAL, %ld blocks damaged\n",
           THREADS, rounds, handed, failed, misaligned, short_blocks, einval_wrong, errors);
    return failed == 0 && misaligned == 0 && short_blocks == 0 && einval_wrong == 0 && errors == 0 && handed > 0 ? 0 : 1;
}
