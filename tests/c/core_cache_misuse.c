/* core_cache_misuse: what the core reports for a block held by the fast
 * mode's cache (SLZ_CACHE), through every entry point that takes a block
 * pointer, and what it must not report. A cached block is still in use for
 * the bits; its header carries K (src/cache.h), so the check of a block
 * pointer fails on it and the report reads the cached bit: a double free,
 * as without the cache. The header of a cached block above a block freed
 * for real is a valid neighbour, not damage; damage to it is reported. A
 * block another thread frees enters the cache at the owner's next call.
 *
 * Reports are caught as in core_reports.c (reports.h). */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "reports.h"
#include "slz.h"

static slz_heap *fresh(void) { return slz_heap_create_flags(1 << 20, SLZ_CACHE); }

/* cached: a heap h whose block *b (100 bytes) sits in the cache between two
 * live blocks; 1 if the statistics say the cache holds it. */
static int cached(slz_heap **h, void **b)
{
    *h = fresh();
    void *a = slz_malloc(*h, 100);
    *b = slz_malloc(*h, 100);
    void *c = slz_malloc(*h, 100);
    (void)a, (void)c;
    slz_free(*h, *b);
    struct slz_heap_stats st;
    slz_heap_get_stats(*h, &st);
    return st.cached_blocks == 1;
}

static void *remote_free(void *arg)
{
    void **x = arg;
    if (sigsetjmp(back, 0) == 0)
        slz_free_deferred(x[0], x[1]);
    return NULL;
}

int main(void)
{
    slz_set_error_handler(handler);
    slz_heap *h;
    void *b;
    const char *none = NULL;

    CHECK("the cache took the block", cached(&h, &b));
    REPORTS("double free", slz_free(h, b));
    CHECK("the cache took the block", cached(&h, &b));
    REPORTS("double free", slz_realloc(h, b, 200));
    CHECK("the cache took the block", cached(&h, &b));
    REPORTS("double free", slz_realloc(h, b, 50));
    CHECK("the cache took the block", cached(&h, &b));
    REPORTS("double free", slz_usable_size(h, b));
    CHECK("the cache took the block", cached(&h, &b));
    REPORTS("double free", slz_block_size(h, b, "free"));
    /* another thread frees it: that thread reads the bits only, which say
     * live; the owner's next call takes the pending free and finds K */
    CHECK("the cache took the block", cached(&h, &b));
    seen = NULL;
    void *x[2] = {h, b};
    pthread_t t;
    pthread_create(&t, NULL, remote_free, x);
    pthread_join(t, NULL);
    CHECK("the other thread reports nothing", seen == NULL);
    REPORTS("double free", slz_malloc(h, 100));
    /* the same, the pending free taken by a call the cache does not serve
     * (another size): the drain finds K, not a block to cache (cache_take) */
    CHECK("the cache took the block", cached(&h, &b));
    x[0] = h, x[1] = b, seen = NULL;
    pthread_create(&t, NULL, remote_free, x);
    pthread_join(t, NULL);
    CHECK("the other thread reports nothing", seen == NULL);
    REPORTS("double free", slz_malloc(h, 300));

    /* a live block freed by another thread: the owner's next call takes it
     * into the cache (cache_take), checked; a second free of it by another
     * thread is reported at the owner's next call (K), as for a block the
     * owner cached itself; taken out of the cache by the malloc of its size */
    h = fresh();
    void *lo = slz_malloc(h, 100);
    b = slz_malloc(h, 100);
    void *hi = slz_malloc(h, 100);
    (void)lo, (void)hi;
    x[0] = h, x[1] = b, seen = NULL;
    pthread_create(&t, NULL, remote_free, x);
    pthread_join(t, NULL);
    CHECK("the other thread's free reports nothing", seen == NULL);
    void *other = slz_malloc(h, 300); /* (another size: takes the pending free, no hit) */
    struct slz_heap_stats st;
    slz_heap_get_stats(h, &st);
    CHECK("the owner took the other thread's free into the cache", st.cached_blocks == 1 && other != b);
    CHECK("heap check with a block another thread freed in the cache", slz_heap_check(h, NULL) == 0);
    pthread_create(&t, NULL, remote_free, x);
    pthread_join(t, NULL);
    CHECK("the other thread's second free: it saw the bits only", seen == NULL);
    REPORTS("double free", slz_malloc(h, 100));
    h = fresh();
    lo = slz_malloc(h, 100), b = slz_malloc(h, 100), hi = slz_malloc(h, 100);
    x[0] = h, x[1] = b;
    pthread_create(&t, NULL, remote_free, x);
    pthread_join(t, NULL);
    slz_free(h, slz_malloc(h, 300)); /* (the pending free taken) */
    CHECK("the block another thread freed comes back from the cache", slz_malloc(h, 100) == b);

    /* the heap check accepts a cached block's header (K), in the middle of
     * the heap and at its end */
    CHECK("the cache took the block", cached(&h, &b));
    CHECK("heap check with a cached block", slz_heap_check(h, NULL) == 0);

    /* a block freed for real (above 64 KiB: never cached) below a cached
     * one: the header above it is a cached block's, not damage */
    h = fresh();
    void *big = slz_malloc(h, 70000), *small = slz_malloc(h, 100), *top = slz_malloc(h, 100);
    (void)top;
    slz_free(h, small);
    REPORTS(none, slz_free(h, big));
    CHECK("heap check after the real free", slz_heap_check(h, NULL) == 0);
    void *again = slz_malloc(h, 100);
    CHECK("the cached block comes back", again == small);
    REPORTS(none, slz_free(h, again));
    REPORTS(none, slz_heap_flush(h));
    CHECK("heap check after the flush", slz_heap_check(h, NULL) == 0);

    /* a write past the end of a block into a cached block's header: reported
     * when the block below is freed */
    h = fresh();
    big = slz_malloc(h, 70000), small = slz_malloc(h, 100), top = slz_malloc(h, 100);
    slz_free(h, small);
    size_t room = slz_usable_size(h, big);
    memset(big, 0x41, room + 8);
    REPORTS("corrupted next chunk (write past the end of a block?)", slz_free(h, big));
    const char *what = NULL;
    CHECK("the heap check sees the damaged cached header", slz_heap_check(h, &what) > 0 && what != NULL);

    /* the check word of a cached block's header damaged: the check says so */
    h = fresh();
    small = slz_malloc(h, 100), top = slz_malloc(h, 100);
    slz_free(h, small);
    ((unsigned long *)small)[-1] ^= 1;
    what = NULL;
    CHECK("the heap check sees a cached header's bad check word", slz_heap_check(h, &what) > 0 && what != NULL);
    if (what)
        printf("damaged cached header: %s\n", what);

    /* a write past the end of a block of a cached size into the next header:
     * the free's way into the cache does not read that header (cache.c,
     * cache_slz_free); the damaged chunk's next use reports it: the free of
     * a live one, the malloc that would take a cached one out of the cache,
     * the flush that would give it to the heap */
    h = fresh();
    small = slz_malloc(h, 100), top = slz_malloc(h, 100);
    ((unsigned long *)top)[-2] ^= 0x100;
    REPORTS(none, slz_free(h, small));
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_free(h, top));
    slz_heap *by[2];
    for (int i = 0; i < 2; i++) {
        by[i] = fresh();
        small = slz_malloc(by[i], 100), top = slz_malloc(by[i], 100), hi = slz_malloc(by[i], 100);
        slz_free(by[i], top);
        ((unsigned long *)top)[-2] ^= 0x100; /* (past the end of small) */
    }
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_malloc(by[0], 100));
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_heap_flush(by[1]));
    /* another thread frees a live block whose header was damaged: the owner
     * takes the pending free, and its way into the cache (cache_take) reads
     * the header, as the owner's own free does: reported there */
    h = fresh();
    small = slz_malloc(h, 100), top = slz_malloc(h, 100), hi = slz_malloc(h, 100);
    ((unsigned long *)top)[-2] ^= 0x100; /* (past the end of small) */
    x[0] = h, x[1] = top, seen = NULL;
    pthread_create(&t, NULL, remote_free, x);
    pthread_join(t, NULL);
    CHECK("the other thread reports nothing", seen == NULL);
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_malloc(h, 200));
    /* a cached block whose header was made a live one's again, freed again:
     * its cached bit says double free */
    CHECK("the cache took the block", cached(&h, &b));
    ((unsigned long *)b)[-2] &= ~2ul; /* (K, cache.h) */
    REPORTS("double free", slz_free(h, b));
    /* a write after free into a cached block: its canary says so when a
     * malloc takes it back */
    CHECK("the cache took the block", cached(&h, &b));
    ((unsigned long *)b)[0] ^= 1;
    REPORTS("corrupted free chunk (write after free?)", slz_malloc(h, 100));

    /* not misuse, the bound a misuse would find: a stack holds 2047 blocks
     * (CACHE_DEPTH) in a heap of 16 MiB or more (cache.c, cache_depth); the
     * 2048th free of a size is a real one */
    h = slz_heap_create_flags(64 << 20, SLZ_CACHE);
    static void *many[2060];
    for (int i = 0; i < 2060; i++)
        many[i] = slz_malloc(h, 40);
    for (int i = 0; i < 2060; i++)
        slz_free(h, many[i]);
    struct slz_heap_stats full;
    slz_heap_get_stats(h, &full);
    CHECK("a stack holds 2047 blocks", full.cached_blocks == 2047);
    CHECK("heap check with a full stack", slz_heap_check(h, NULL) == 0);
    /* and the coarse classes (2 KiB .. 64 KiB) hold at most an eighth of
     * the bytes in use: with 8 blocks of 4000 bytes (chunks of 4096) and one
     * of 100,000 live (132,784 bytes in use), 4 of the 8 frees are cached */
    h = slz_heap_create_flags(64 << 20, SLZ_CACHE);
    void *eight[8];
    big = slz_malloc(h, 100000);
    for (int i = 0; i < 8; i++)
        eight[i] = slz_malloc(h, 4000);
    for (int i = 0; i < 8; i++)
        slz_free(h, eight[i]);
    slz_heap_get_stats(h, &full);
    CHECK("the coarse classes hold an eighth of the bytes in use", big && full.cached_blocks == 4 && full.cached_bytes == 4 * 4096);
    CHECK("heap check with coarse blocks held", slz_heap_check(h, NULL) == 0);
    /* and a free while another thread's free waits: that one is taken
     * first, then both blocks are in the cache (cache.c, slow_take), where
     * a free that left the waiting ones to the heap's way put its own block
     * in the heap */
    h = slz_heap_create_flags(64 << 20, SLZ_CACHE);
    void *mine = slz_malloc(h, 100), *theirs = slz_malloc(h, 100);
    slz_free_deferred(h, theirs); /* (as another thread's: it waits for h's next call) */
    slz_free(h, mine);
    slz_heap_get_stats(h, &full);
    CHECK("a free while others wait: both blocks cached", mine && theirs && full.cached_blocks == 2);
    CHECK("heap check after it", slz_heap_check(h, NULL) == 0);
    /* and a malloc whose stack is empty while another thread's free of its
     * size waits: that free is taken first and its block serves the malloc
     * (cache.c, miss), where first fit, which takes it too, gave the free
     * place below it */
    h = slz_heap_create_flags(64 << 20, SLZ_CACHE);
    void *low = slz_malloc(h, 1000), *away = slz_malloc(h, 100), *above = slz_malloc(h, 100);
    slz_free(h, low);
    slz_heap_flush(h); /* (low's place free in the heap, below away) */
    slz_free_deferred(h, away);
    void *got = slz_malloc(h, 100);
    CHECK("a miss while another thread's free of its size waits: that block", low && above && got == away);
    CHECK("heap check after it", slz_heap_check(h, NULL) == 0);
    return CHECK_DONE();
}
