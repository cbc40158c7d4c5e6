/* shim_thread_fail: allocation failures in many threads at once (what
 * glibc's tst-malloc-thread-fail is about: a failure in one thread may not
 * damage the allocator's state, nor another thread's blocks). 8 threads
 * interleave requests that must fail with ordinary ones: sizes above
 * PTRDIFF_MAX, calloc and reallocarray overflow, sizes no machine can map
 * (2^47 bytes and more, below PTRDIFF_MAX, so that they reach an allocator
 * and fail there), the same through every aligned entry point and realloc.
 * Every failure must give NULL with errno ENOMEM (posix_memalign: the
 * return value ENOMEM), a failed realloc must leave its block intact, and
 * the blocks each thread keeps meanwhile, some handed to another thread to
 * free, must stay intact. Usage: shim_thread_fail [rounds]. */
#include <errno.h>
#include "shim_stress.h"

/* the sizes are impossible on purpose */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="

enum { THREADS = 8, SLOTS = 24, KINDS = 14 };
static const char *const kind_name[KINDS] = {
    "malloc(SIZE_MAX)",          "malloc(2^47)",           "calloc overflow",       "calloc(2^24, 2^23)",
    "realloc(p, PTRDIFF_MAX+1)", "realloc(p, 2^47)",       "reallocarray overflow", "realloc(NULL, 2^47)",
    "posix_memalign(64, 2^47)",  "aligned_alloc(4096, 2^47)", "memalign(256, SIZE_MAX)", "valloc(2^47)",
    "pvalloc(SIZE_MAX - 100)",   "posix_memalign(8, SIZE_MAX)",
};
static long wrong[KINDS], tried[KINDS];
static long errors, handed;
static struct block mailbox[THREADS]; /* one block from thread i to thread i+1 */
static pthread_mutex_t mailbox_lock = PTHREAD_MUTEX_INITIALIZER;
static int rounds;

static void *(*volatile malloc_opaque)(size_t) = malloc; /* gcc may not fold a malloc it knows must fail */

/* must_fail: one failing request of kind k; 1 if it failed as glibc says
 * (block p, when the request is a realloc of it, is left intact) */
static int must_fail(int k, struct block *p)
{
    const size_t huge = (size_t)1 << 47;
    void *q = NULL, *m = (void *)0x5a5a;
    int ret = 0;
    errno = 0;
    switch (k) {
    case 0: q = malloc_opaque(SIZE_MAX); break;
    case 1: q = malloc_opaque(huge); break;
    case 2: q = calloc(SIZE_MAX / 16 + 1, 32); break;
    case 3: q = calloc((size_t)1 << 24, (size_t)1 << 23); break;
    case 4: q = realloc(p->p, (size_t)PTRDIFF_MAX + 1); break;
    case 5: q = realloc(p->p, huge); break;
    case 6: q = reallocarray(p->p, SIZE_MAX / 8, 16); break;
    case 7: q = realloc(NULL, huge); break;
    case 8: ret = posix_memalign(&m, 64, huge); break;
    case 9: q = aligned_alloc(4096, huge); break;
    case 10: q = memalign(256, SIZE_MAX); break;
    case 11: q = valloc(huge); break;
    case 12: q = pvalloc(SIZE_MAX - 100); break;
    default: ret = posix_memalign(&m, 8, SIZE_MAX); break;
    }
    int e = errno;
    if (k == 8 || k == 13) /* errno after posix_memalign: see shim_errno_glibc */
        return ret == ENOMEM && m == (void *)0x5a5a;
    if (q) {
        free(q);
        return 0;
    }
    return e == ENOMEM && tag_ok(p, SIZE_MAX);
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0x94d049bb133111ebull * (id + 1)};
    struct block b[SLOTS] = {{0}};
    long errs = 0;
    for (int round = 0; round < rounds; round++) {
        for (int i = 0; i < 200; i++) {
            struct block *x = &b[next(&r) % SLOTS];
            if (!x->p) {
                stress_step(&r, x, (uint64_t)id << 48 | (uint64_t)round << 16 | (uint64_t)i, &errs);
                continue;
            }
            int k = (int)(next(&r) % KINDS);
            __atomic_fetch_add(&tried[k], 1, __ATOMIC_RELAXED);
            if (!must_fail(k, x))
                __atomic_fetch_add(&wrong[k], 1, __ATOMIC_RELAXED);
            if (next(&r) % 3 == 0)
                stress_drop(x, &errs);
        }
        /* hand one block to the next thread, free the one handed to us */
        pthread_mutex_lock(&mailbox_lock);
        struct block *in = &mailbox[id], *out = &mailbox[(id + 1) % THREADS];
        if (in->p) {
            stress_drop(in, &errs);
            handed++;
        }
        struct block *x = &b[next(&r) % SLOTS];
        if (x->p && !out->p) {
            *out = *x;
            x->p = NULL;
        }
        pthread_mutex_unlock(&mailbox_lock);
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
    pthread_t t[THREADS];
    for (int i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    for (int i = 0; i < THREADS; i++)
        if (mailbox[i].p)
            stress_drop(&mailbox[i], &errors);
    long failed_right = 0, total = 0, bad = 0;
    for (int k = 0; k < KINDS; k++) {
        total += tried[k];
        failed_right += tried[k] - wrong[k];
        if (wrong[k]) {
            printf("%s: %ld of %ld did not fail with ENOMEM\n", kind_name[k], wrong[k], tried[k]);
            bad++;
        }
    }
    printf("%d threads, %d rounds: %ld of %ld impossible requests failed with ENOMEM and left their block "
           "intact, %ld blocks handed between threads, %ld errors\n",
           THREADS, rounds, failed_right, total, handed, errors);
    return bad == 0 && errors == 0 && total > 0 && handed > 0 ? 0 : 1;
}
