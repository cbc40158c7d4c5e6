/* core_drain: the protocol by which a heap whose thread left is drained
 * (preload/heaps.c, heaps_drain), through the core API alone. One heap
 * passes between two owner threads: an owner takes it when it is abandoned,
 * allocates a batch of tagged blocks, hands them to the freers, trims the
 * heap and abandons it (as a thread that exits). Three freer threads check
 * each block's tag and free it with slz_free_deferred; every 16 frees, one
 * takes the abandoned heap (abandoned -> draining, under the lock), collects
 * the frees left there, and abandons it again. The lock orders every user's
 * work on the heap before the next user's; slz_free_deferred runs at the
 * same time as all of it. At the end every block is freed: the heap holds
 * nothing and checks clean. Built and run under ThreadSanitizer too
 * (tests/sanitize.mk). Usage: core_drain [rounds] */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "check.h"
#include "slz.h"

enum { ABANDONED, OWNED, DRAINING };
enum { OWNERS = 2, FREERS = 3, BATCH = 64, QUEUE = 4096 };

static slz_heap *heap;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static int state = ABANDONED;
static long rounds, done_rounds, drains;
static int owners_left = OWNERS;

static pthread_mutex_t qlock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t qcond = PTHREAD_COND_INITIALIZER;
static struct {
    uint64_t *p;
    size_t n;
} queue[QUEUE];
static size_t qhead, qtail;
static long bad, freed, made;

/* take: the heap from state `from` to `to`, if it is in `from` */
static int take(int from, int to)
{
    pthread_mutex_lock(&lock);
    int ok = state == from;
    if (ok)
        state = to;
    pthread_mutex_unlock(&lock);
    return ok;
}

static void push(uint64_t *p, size_t n)
{
    pthread_mutex_lock(&qlock);
    while (qtail - qhead == QUEUE)
        pthread_cond_wait(&qcond, &qlock);
    queue[qtail % QUEUE].p = p;
    queue[qtail % QUEUE].n = n;
    qtail++;
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
}

/* pop: a block, or 0 once the owners are done and the queue is empty */
static int pop(uint64_t **p, size_t *n)
{
    pthread_mutex_lock(&qlock);
    while (qtail == qhead && owners_left > 0)
        pthread_cond_wait(&qcond, &qlock);
    int got = qtail != qhead;
    if (got) {
        *p = queue[qhead % QUEUE].p;
        *n = queue[qhead % QUEUE].n;
        qhead++;
        pthread_cond_broadcast(&qcond);
    }
    pthread_mutex_unlock(&qlock);
    return got;
}

static void *owner(void *arg)
{
    uint64_t r = (uintptr_t)arg * 2654435761u + 1;
    for (;;) {
        pthread_mutex_lock(&lock);
        int more = done_rounds < rounds;
        pthread_mutex_unlock(&lock);
        if (!more)
            break;
        if (!take(ABANDONED, OWNED)) {
            sched_yield(); /* (a freer drains: let it run, valgrind runs one thread at a time) */
            continue;
        }
        for (int i = 0; i < BATCH; i++) {
            r = r * 6364136223846793005u + 1442695040888963407u;
            size_t n = 1 + (r >> 33) % (i % 8 == 0 ? 40000 : 400) / 8; /* words */
            uint64_t *p = slz_malloc(heap, n * 8);
            if (p == NULL)
                break;
            for (size_t k = 0; k < n; k++)
                p[k] = (uintptr_t)p ^ k;
            push(p, n);
            __atomic_add_fetch(&made, 1, __ATOMIC_RELAXED);
        }
        slz_heap_trim(heap); /* as a thread that exits */
        pthread_mutex_lock(&lock);
        done_rounds++;
        state = ABANDONED;
        pthread_mutex_unlock(&lock);
    }
    pthread_mutex_lock(&qlock);
    owners_left--;
    pthread_cond_broadcast(&qcond);
    pthread_mutex_unlock(&qlock);
    return NULL;
}

/* drain: the heap, if abandoned, taken for a moment and its frees collected */
static void drain(void)
{
    if (take(ABANDONED, DRAINING)) {
        slz_heap_collect(heap);
        __atomic_add_fetch(&drains, 1, __ATOMIC_RELAXED);
        take(DRAINING, ABANDONED);
    }
}

static void *freer(void *arg)
{
    (void)arg;
    uint64_t *p;
    size_t n;
    long mine = 0;
    while (pop(&p, &n)) {
        for (size_t k = 0; k < n; k++)
            if (p[k] != ((uintptr_t)p ^ k))
                __atomic_add_fetch(&bad, 1, __ATOMIC_RELAXED);
        slz_free_deferred(heap, p);
        __atomic_add_fetch(&freed, 1, __ATOMIC_RELAXED);
        if (++mine % 16 == 0)
            drain();
    }
    /* the owners are done: the heap stays abandoned, so at least one drain
     * runs (a take fails only while another freer drains), perhaps while
     * another freer still frees (the owners rarely leave it abandoned long
     * enough for the drains above) */
    drain();
    return NULL;
}

int main(int argc, char **argv)
{
    rounds = argc > 1 ? atol(argv[1]) : 1000;
    heap = slz_heap_create(64u << 20);
    CHECK("heap made", heap != NULL);
    pthread_t o[OWNERS], f[FREERS];
    for (long i = 0; i < OWNERS; i++)
        pthread_create(&o[i], NULL, owner, (void *)i);
    for (int i = 0; i < FREERS; i++)
        pthread_create(&f[i], NULL, freer, NULL);
    for (int i = 0; i < OWNERS; i++)
        pthread_join(o[i], NULL);
    for (int i = 0; i < FREERS; i++)
        pthread_join(f[i], NULL);
    slz_heap_collect(heap);
    struct slz_heap_stats st;
    slz_heap_get_stats(heap, &st);
    printf("%ld rounds: %ld blocks made and freed by other threads (%ld freed), %ld drains, %ld damaged\n", done_rounds,
           made, freed, drains, bad);
    CHECK("every round ran", done_rounds >= rounds);
    CHECK("every block freed", made == freed && made > 0);
    CHECK("no block damaged", bad == 0);
    CHECK("drains happened", drains > 0);
    CHECK("the heap holds nothing", st.in_use == 0 && st.live_blocks == 0);
    CHECK("the heap checks clean", slz_heap_check(heap, NULL) == 0);
    slz_heap_destroy(heap);
    return CHECK_DONE();
}
