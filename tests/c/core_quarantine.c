/* core_quarantine: the secure profile (SLZ_SECURE) against a model of it:
 * random malloc, calloc and free on heaps made with the flag, every address
 * predicted, every fresh block checked all zero, slz_heap_check() after
 * every step.
 *
 *   core_quarantine [OPS [SEED]]   defaults: 100000 operations, seed 1
 *   core_quarantine stale          a stale free after reuse: must abort
 *                                  with "slzmalloc: free(): double free"
 *   core_quarantine waf            a write after free, past the canary, into
 *                                  a held block: must abort when it leaves
 *
 * The model: a freed block (its chunk of s bytes) joins the tail of a FIFO
 * unless s is over the bound (1/16 of the arena, 4 MiB at most): then it is
 * freed at once; before it joins, the oldest leave (become free, merged)
 * while the FIFO holds 2048 blocks or its bytes plus s pass the bound. A
 * malloc goes to the lowest free chunk that fits (the walk; held chunks are
 * in use), else, if the FIFO holds blocks, all of them leave and it asks
 * again; else NULL. The walk must show as held (used 2) exactly the FIFO's
 * blocks. Every block is filled with its own byte while live; every fresh
 * block must be all zero (what the last owner wrote was cleared).
 *
 * Heaps rotate: 64 KiB and 1 MiB (bounds of 4 and 64 KiB: blocks leave by
 * bytes; the count bound is not reached with 64 live blocks). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "slz.h"

#define SLOTS 64
#define QMAX 2048
#define MAX_CHUNKS (QMAX + 4 * SLOTS + 8)
#define HDR 16

static slz_heap *H;
static size_t bound;
static char msg[512];
#define FAIL(...) (snprintf(msg, sizeof msg, __VA_ARGS__), 1)

static uint64_t rnd(uint64_t *s)
{
    uint64_t x = *s += 0x9e3779b97f4a7c15ull; /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

struct chunk { char *at; size_t size; int used; };
static struct chunk w[MAX_CHUNKS];
static size_t nw;
static int walk_add(void *c, size_t size, int used, void *arg)
{
    (void)arg;
    if (nw == MAX_CHUNKS)
        return 1;
    w[nw++] = (struct chunk){c, size, used};
    return 0;
}

/* The FIFO: chunk addresses and sizes, oldest at q0. */
static char *qa[QMAX];
static size_t qs[QMAX], q0, qn, qbytes;

static size_t chunk_for(size_t n) { size_t c = (n + HDR + 15) & ~(size_t)15; return c < 64 ? 64 : c; }

/* predict: where first fit puts n bytes now, with the held chunks in use. */
static char *predict(size_t n)
{
    nw = 0;
    slz_heap_walk(H, walk_add, NULL);
    for (size_t i = 0; i < nw; i++)
        if (!w[i].used && w[i].size >= chunk_for(n))
            return w[i].at + HDR;
    return NULL;
}

/* held_match: the walk's held chunks are the FIFO's, no more. */
static int held_match(void)
{
    size_t held = 0;
    nw = 0;
    slz_heap_walk(H, walk_add, NULL);
    for (size_t i = 0; i < nw; i++)
        held += w[i].used == 2;
    for (size_t i = 0; i < qn; i++) {
        size_t j = 0;
        while (j < nw && w[j].at != qa[(q0 + i) % QMAX])
            j++;
        if (j == nw || w[j].used != 2 || w[j].size != qs[(q0 + i) % QMAX])
            return FAIL("held block %zu of %zu (%p) not held in the walk", i, qn, (void *)qa[(q0 + i) % QMAX]);
    }
    return held == qn ? 0 : FAIL("%zu held chunks in the walk, %zu in the model", held, qn);
}

static void model_free(char *p)
{
    char *c = p - HDR;
    size_t s = slz_usable_size(H, p) + HDR;
    if (s > bound)
        return;
    while (qn == QMAX || qbytes + s > bound) {
        qbytes -= qs[q0];
        q0 = (q0 + 1) % QMAX;
        qn--;
    }
    qa[(q0 + qn) % QMAX] = c;
    qs[(q0 + qn++) % QMAX] = s;
    qbytes += s;
}

static int zero(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return 0;
    return 1;
}

static char *live[SLOTS];
static size_t len[SLOTS];

/* step: one random operation; nonzero on a violation (msg says which). */
static int step(uint64_t *seed, long i)
{
    int k = (int)(rnd(seed) % SLOTS);
    if (live[k]) {
        for (size_t j = 0; j < len[k]; j++)
            if ((unsigned char)live[k][j] != (unsigned char)k)
                return FAIL("op %ld: block %p damaged", i, (void *)live[k]);
        model_free(live[k]);
        slz_free(H, live[k]);
        live[k] = NULL;
        return held_match();
    }
    size_t n = rnd(seed) % 4 ? rnd(seed) % 600 + 1 : rnd(seed) % 6000 + 1;
    char *want = predict(n);
    if (want == NULL && qn) {
        q0 = qn = qbytes = 0; /* the heap will empty the quarantine and ask again */
        slz_heap_flush(H);
        want = predict(n);
    }
    char *p = rnd(seed) % 2 ? slz_malloc(H, n) : slz_calloc(H, 1, n);
    if (p != want)
        return FAIL("op %ld: %zu bytes at %p, the model says %p", i, n, (void *)p, (void *)want);
    if (p && !zero((unsigned char *)p, slz_usable_size(H, p)))
        return FAIL("op %ld: the fresh block %p of %zu bytes is not all zero", i, (void *)p, n);
    if (p) {
        memset(p, k, n);
        live[k] = p;
        len[k] = n;
    }
    return held_match();
}

static int stale(void)
{
    slz_heap *h = slz_heap_create_flags(1 << 20, SLZ_SECURE);
    char *p = slz_malloc(h, 100);
    slz_free(h, p);
    char *q = slz_malloc(h, 100);
    printf("p %p, q %p: the stale free of p next\n", (void *)p, (void *)q);
    fflush(stdout);
    slz_free(h, p);
    printf("the stale free was not reported\n");
    return 1;
}

static int write_after_free(void)
{
    slz_heap *h = slz_heap_create_flags(1 << 20, SLZ_SECURE);
    char *p = slz_malloc(h, 100);
    slz_free(h, p);
    p[40] = 1; /* (the canary is word 0: this is only seen by the zeros) */
    printf("p %p written after its free\n", (void *)p);
    fflush(stdout);
    slz_heap_flush(h);
    printf("the write after free was not reported\n");
    return 1;
}

int main(int argc, char **argv)
{
    if (argc > 1 && !strcmp(argv[1], "stale"))
        return stale();
    if (argc > 1 && !strcmp(argv[1], "waf"))
        return write_after_free();
    long ops = argc > 1 ? atol(argv[1]) : 100000;
    uint64_t seed0 = argc > 2 ? strtoull(argv[2], NULL, 10) : 1, seed = seed0;
    size_t bad = 0, left = 0;
    static const size_t sizes[] = {64 << 10, 1 << 20};
    for (long i = 0; i < ops && !bad; i++) {
        if (i % 20000 == 0) {
            if (H)
                slz_heap_destroy(H);
            H = slz_heap_create_flags(sizes[(i / 20000) % 2], SLZ_SECURE);
            struct slz_heap_stats st;
            slz_heap_get_stats(H, &st);
            bound = st.heap_size / 16 < (4 << 20) ? st.heap_size / 16 : (4 << 20);
            memset(live, 0, sizeof live);
            q0 = qn = qbytes = 0;
        }
        const char *first = "";
        if (step(&seed, i) || (bad = slz_heap_check(H, &first)) != 0) {
            printf("core_quarantine: seed %llu: %s%s\n", (unsigned long long)seed0, bad ? first : msg, "");
            return 1;
        }
        left += qn == QMAX || qbytes > bound / 2;
    }
    printf("core_quarantine: seed %llu: %ld operations, %zu steps with the quarantine half full or more, all predicted, 0 violations\n",
           (unsigned long long)seed0, ops, left);
    return 0;
}
