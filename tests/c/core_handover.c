/* core_handover: the cross-thread hand-over under stress, through the core
 * API. One owner thread allocates (malloc, memalign, calloc), frees and
 * reallocates in one heap, and hands some of its blocks to two other
 * threads, which check them and give them back with slz_free_deferred (one
 * of them in batches, slz_free_deferred_n) while
 * the owner goes on (its next malloc takes them back, and its carve looks
 * at the pending bits: see free.c). Every block carries a pattern made from
 * a serial number written at its start: a live block released behind the
 * owner's back would be handed out again and overwritten, which shows as a
 * wrong pattern (in the owner's blocks or the other threads') or as a
 * violation of the heap checker, which the owner runs every 128 operations.
 * Built also with ThreadSanitizer (tests/sanitize.mk): no report.
 * Usage: core_handover [OPERATIONS]   (default 1000000) */
#include <pthread.h>
#include <sched.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "slz.h"

#define LIVE 160  /* blocks the owner keeps */
#define RING 64   /* blocks in flight to one other thread */
#define WORKERS 2

struct ring {
    void *slot[RING];
    size_t len[RING];
    unsigned head, tail; /* atomic: tail written by the owner, head by the worker */
};

static slz_heap *heap;
static struct ring rings[WORKERS];
static int done;                 /* atomic */
static long bad_worker, freed;   /* atomic */

/* fill/intact: the pattern of a block of len bytes with serial s. */
static void fill(unsigned char *p, size_t len, uint64_t s)
{
    memcpy(p, &s, sizeof s);
    for (size_t i = sizeof s; i < len; i++)
        p[i] = (unsigned char)(s * 31 + i);
}
static int intact(const unsigned char *p, size_t len)
{
    uint64_t s;
    memcpy(&s, p, sizeof s);
    for (size_t i = sizeof s; i < len; i++)
        if (p[i] != (unsigned char)(s * 31 + i))
            return 0;
    return 1;
}

/* worker: frees what its ring brings; the first worker in batches of up to
 * BATCH (slz_free_deferred_n, as the shim hands them over), given back
 * whenever its ring is empty, the other one block at a time. */
#define BATCH 8
static void *worker(void *arg)
{
    struct ring *r = arg;
    void *held[BATCH];
    int nh = 0, batch = r == &rings[0] ? BATCH : 1;
    for (;;) {
        unsigned hd = __atomic_load_n(&r->head, __ATOMIC_RELAXED);
        if (hd == __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE)) {
            slz_free_deferred_n(heap, held, (size_t)nh);
            __atomic_fetch_add(&freed, nh, __ATOMIC_RELAXED);
            nh = 0;
            if (__atomic_load_n(&done, __ATOMIC_ACQUIRE) && hd == __atomic_load_n(&r->tail, __ATOMIC_ACQUIRE))
                return NULL;
            sched_yield();
            continue;
        }
        void *p = r->slot[hd % RING];
        if (!intact(p, r->len[hd % RING]))
            __atomic_fetch_add(&bad_worker, 1, __ATOMIC_RELAXED);
        if (batch == 1) {
            slz_free_deferred(heap, p);
            __atomic_fetch_add(&freed, 1, __ATOMIC_RELAXED);
        } else if ((held[nh++] = p), nh == batch) {
            slz_free_deferred_n(heap, held, (size_t)nh);
            __atomic_fetch_add(&freed, nh, __ATOMIC_RELAXED);
            nh = 0;
        }
        __atomic_store_n(&r->head, hd + 1, __ATOMIC_RELEASE);
    }
}

/* hand: give block p to worker w, if its ring has room (soon). */
static int hand(int w, void *p, size_t len)
{
    struct ring *r = &rings[w];
    unsigned tl = r->tail;
    for (int tries = 0; tl - __atomic_load_n(&r->head, __ATOMIC_ACQUIRE) == RING; tries++)
        if (tries == 100)
            return 0;
        else
            sched_yield(); /* (the machine may be loaded: let the worker run) */
    r->slot[tl % RING] = p;
    r->len[tl % RING] = len;
    __atomic_store_n(&r->tail, tl + 1, __ATOMIC_RELEASE);
    return 1;
}

static void *get(size_t n, unsigned op)
{
    if (op % 7 == 0)
        return slz_memalign(heap, (size_t)64 << (op % 5), n);
    if (op % 11 == 0)
        return slz_calloc(heap, 1, n);
    return slz_malloc(heap, n);
}

int main(int argc, char **argv)
{
    long ops = argc > 1 ? atol(argv[1]) : 1000000;
    heap = slz_heap_create(1 << 20);
    CHECK("heap", heap != NULL);
    pthread_t t[WORKERS];
    for (int w = 0; w < WORKERS; w++)
        pthread_create(&t[w], NULL, worker, &rings[w]);
    void *live[LIVE] = {0};
    size_t len[LIVE] = {0};
    uint64_t serial = 1, seed = 12345;
    long bad_owner = 0, bad_check = 0, handed = 0, fails = 0;
    const char *first = NULL;
    for (long i = 0; i < ops; i++) {
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        unsigned r = (unsigned)(seed >> 33), k = r % LIVE;
        size_t n = 16 + (r >> 8) % 900;
        if (live[k] && !intact(live[k], len[k]))
            bad_owner++;
        if (live[k] && (r >> 20) % 8 < 2) { /* reallocate it: the pattern moves with it */
            void *q = slz_realloc(heap, live[k], n);
            if (q) {
                live[k] = q;
                len[k] = n;
                fill(q, n, serial++);
            }
        } else if (live[k] && (r >> 20) % 8 == 2) {
            slz_free(heap, live[k]);
            live[k] = NULL;
        } else if (live[k]) { /* hand it over, or free it here if the ring is full */
            if (hand((int)((r >> 24) % WORKERS), live[k], len[k]))
                handed++;
            else
                slz_free(heap, live[k]);
            live[k] = NULL;
        } else if ((live[k] = get(n, r)) != NULL) {
            len[k] = n;
            fill(live[k], n, serial++);
        } else {
            fails++;
        }
        if (i % 128 == 0 && slz_heap_check(heap, &first) != 0 && bad_check++ == 0)
            fprintf(stderr, "checker: %s\n", first);
    }
    __atomic_store_n(&done, 1, __ATOMIC_RELEASE);
    for (int w = 0; w < WORKERS; w++)
        pthread_join(t[w], NULL);
    for (int k = 0; k < LIVE; k++)
        if (live[k]) {
            if (!intact(live[k], len[k]))
                bad_owner++;
            slz_free(heap, live[k]);
        }
    slz_heap_collect(heap);
    struct slz_heap_stats st;
    slz_heap_get_stats(heap, &st);
    printf("%ld operations, %ld blocks handed over, %ld freed by other threads, %ld mallocs failed\n", ops, handed,
           freed, fails);
    CHECK("the owner's blocks keep their contents", bad_owner == 0);
    CHECK("handed-over blocks keep their contents until freed", bad_worker == 0);
    CHECK("the heap checker finds nothing", bad_check == 0 && slz_heap_check(heap, &first) == 0);
    CHECK("every handed-over block was freed by another thread", freed == handed && handed > ops / 20);
    CHECK("every block is taken back", st.live_blocks == 0 && st.free_chunks == 1);
    slz_heap_destroy(heap);
    return CHECK_DONE();
}
