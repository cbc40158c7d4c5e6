/* core_reports: what the core reports for each misuse it can see, and the
 * frees other threads leave pending.
 *
 * Reports: an error handler (slz_set_error_handler) records the report and
 * jumps back here instead of letting the core abort; each case uses a heap
 * of its own (the one that saw the misuse is left as it is). A double free
 * is reported as one whether or not the chunk was merged since (the tombs),
 * in both directions; a write after free, into a block's own header or
 * past its end into the next header is reported as damage, and so is a
 * free chunk's header copied from another one.
 *
 * Pending frees (slz_free_deferred, what the shim calls for a block of
 * another thread's heap): a second thread frees blocks spread over more
 * than 64 cells (every level of the pending bits); the owner's next
 * malloc takes them back first and reuses the lowest; a block freed twice
 * that way (one call each, or in one batch of slz_free_deferred_n, or a
 * batch and a call before it), or by its owner after another thread, is a
 * double free; the owner's drain checks each block's bits and header. */
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "reports.h"
#include "chunk.h"

static slz_heap *fresh(void) { return slz_heap_create(1 << 20); }

struct job {
    slz_heap *h;
    void **p;
    int n, batch; /* batch: all of them in one slz_free_deferred_n */
};
static void *remote_free(void *arg)
{
    struct job *j = arg;
    if (j->batch)
        slz_free_deferred_n(j->h, j->p, (size_t)j->n);
    for (int i = 0; i < j->n && !j->batch; i++)
        slz_free_deferred(j->h, j->p[i]);
    return NULL;
}

int main(void)
{
    slz_set_error_handler(handler);
    slz_heap *h;
    void *a, *b, *c;

    /* a double free, the chunk unmerged (used on both sides) */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, b);
    REPORTS("double free", slz_free(h, b));
    (void)a, (void)c;

    /* a double free after the chunk was swallowed from below: b freed, then
     * a below it, which takes b in */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, b);
    slz_free(h, a);
    REPORTS("double free", slz_free(h, b));

    /* ... and merged into the free chunk below it: a freed, then b */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, a);
    slz_free(h, b);
    REPORTS("double free", slz_free(h, b));

    /* a merge leaves nothing of the swallowed header: b's, swallowed from
     * below (b freed after a) and from above (b freed before a) */
    for (int dir = 0; dir < 2; dir++) {
        h = fresh();
        a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
        slz_free(h, dir ? b : a);
        slz_free(h, dir ? a : b);
        char *m = slz_malloc(h, 200);
        CHECK("the merged block is where a was", m == a);
        CHECK("no header of a swallowed chunk is left in a new block", all_zero((char *)b - 16, 16));
        slz_heap_destroy(h);
    }

    /* a pointer inside a block, or outside the arena */
    h = fresh();
    a = slz_malloc(h, 100);
    REPORTS("invalid pointer", slz_free(h, (char *)a + 32));
    REPORTS("invalid pointer", slz_free(h, (char *)a + 8)); /* (off the granules) */
    REPORTS("invalid pointer", slz_realloc(h, (char *)a + 8, 200)); /* (the same, through block_grain) */
    REPORTS("invalid pointer", slz_free(h, (char *)slz_heap_base(h) + slz_heap_size(h) + 64));

    /* misuse a layer above finds (the shim: a pointer no heap owns) goes
     * the same way, through the handler */
    int local;
    REPORTS("invalid pointer, seen above the core", slz_misuse("free", "invalid pointer, seen above the core", &local));

    /* a write after free: the free chunk's canary */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100);
    slz_free(h, a);
    memset(a, 'w', 8);
    REPORTS("corrupted free chunk (write after free?)", slz_malloc(h, 100));

    /* ... found when the block below is freed and takes the chunk in */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, b);
    memset(b, 'w', 8);
    REPORTS("corrupted free chunk (write after free?)", slz_free(h, a));
    CHECK("a free chunk's report names free", seen_op != NULL && strcmp(seen_op, "free") == 0);

    /* ... and when the block above is freed and joins it */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, a);
    memset(a, 'w', 8);
    REPORTS("corrupted free chunk (write after free?)", slz_free(h, b));
    CHECK("a free chunk below: the report names free", seen_op != NULL && strcmp(seen_op, "free") == 0);

    /* a double free whose header was forged to read as in use (with the
     * right check word): the bits alone say the chunk is free */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, b);
    write_header(h, mem2chunk(b), (size_t)grains_of(h, grain_of(h, mem2chunk(b))) * SLZ_ALIGN, 1);
    REPORTS("double free", slz_free(h, b));

    /* damage to the top chunk */
    h = fresh();
    a = slz_malloc(h, 100);
    memset((char *)a + slz_usable_size(h, a), 'w', 8);
    REPORTS("corrupted top chunk", slz_malloc(h, 100));

    /* a block's own header */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100);
    ((uintptr_t *)b)[-1] ^= 1;
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_free(h, b));
    h = fresh(); /* the same through realloc (block_grain's check; free's is its pass's) */
    a = slz_malloc(h, 100), b = slz_malloc(h, 100);
    ((uintptr_t *)b)[-1] ^= 1;
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_realloc(h, b, 200));

    /* a write past the end of a block, into the next header */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100);
    memset(a, 'o', slz_usable_size(h, a) + 8);
    REPORTS("corrupted next chunk (write past the end of a block?)", slz_free(h, a));
    CHECK("the report names free, not the malloc before it", seen_op != NULL && strcmp(seen_op, "free") == 0);

    /* ... into the header of a free chunk above, its size word intact: the
     * check word (its seal) tells */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, b);
    ((uintptr_t *)b)[-1] ^= 1;
    REPORTS("corrupted next chunk (write past the end of a block?)", slz_free(h, a));

    /* a free chunk's header and canary copied from another free chunk of
     * its size: size word right, check word and canary agreeing (what a
     * write over both alone would not give): the seal, bound to the
     * address, tells. Found when malloc takes it (after a, the original)... */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    void *d = slz_malloc(h, 100);
    slz_free(h, a);
    slz_free(h, c);
    memcpy((char *)c - 16, (char *)a - 16, 24);
    CHECK("the copy is a's header", slz_malloc(h, 100) == a);
    REPORTS("corrupted free chunk (write after free?)", slz_malloc(h, 100));
    /* ... and when the block below it is freed and takes it in */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100), d = slz_malloc(h, 100);
    void *e = slz_malloc(h, 100);
    slz_free(h, a);
    slz_free(h, d);
    memcpy((char *)d - 16, (char *)a - 16, 24);
    REPORTS("corrupted next chunk (write past the end of a block?)", slz_free(h, c));
    (void)e;

    /* pending frees: 200 blocks of 1 KiB (200 cells), freed by another
     * thread, taken back by the owner's next malloc */
    enum { N = 200 };
    static void *blk[N];
    h = fresh();
    for (int i = 0; i < N; i++)
        blk[i] = slz_malloc(h, 1000);
    void *guard = slz_malloc(h, 100);
    struct job j = {h, blk, N, 0};
    pthread_t t;
    pthread_create(&t, NULL, remote_free, &j);
    pthread_join(t, NULL);
    struct slz_heap_stats st;
    slz_heap_get_stats(h, &st);
    CHECK("pending frees wait for the owner", st.live_blocks == N + 1);
    void *q = slz_malloc(h, 1000);
    CHECK("the owner's malloc takes the pending frees back and reuses the lowest", q == blk[0]);
    slz_heap_get_stats(h, &st);
    CHECK("every pending free was taken back", st.live_blocks == 2 && st.free_chunks == 2);
    const char *first = NULL;
    CHECK("the heap is clean after the pending frees", slz_heap_check(h, &first) == 0);
    slz_free(h, q);
    slz_free(h, guard);
    slz_heap_get_stats(h, &st);
    CHECK("the heap is one free chunk again", st.live_blocks == 0 && st.free_chunks == 1);
    slz_heap_destroy(h);

    /* the same with blocks of 100 bytes: several pending bits in a word,
     * every one taken */
    h = fresh();
    for (int i = 0; i < N; i++)
        blk[i] = slz_malloc(h, 100);
    guard = slz_malloc(h, 100);
    j.h = h;
    pthread_create(&t, NULL, remote_free, &j);
    pthread_join(t, NULL);
    q = slz_malloc(h, 100);
    slz_heap_get_stats(h, &st);
    CHECK("every pending free of a word was taken back", q == blk[0] && st.live_blocks == 2 && st.free_chunks == 2);
    slz_free(h, q);
    slz_free(h, guard);
    slz_heap_destroy(h);

    /* pending frees taken back by slz_heap_collect (a thread's exit); freed
     * in one batch, NULLs in it skipped */
    h = fresh();
    for (int i = 0; i < N; i++)
        blk[i] = i % 50 == 7 ? NULL : slz_malloc(h, 1000);
    j.h = h, j.batch = 1;
    pthread_create(&t, NULL, remote_free, &j);
    pthread_join(t, NULL);
    slz_heap_collect(h);
    slz_heap_get_stats(h, &st);
    CHECK("collect takes back every pending free", st.live_blocks == 0 && st.free_chunks == 1);
    slz_heap_destroy(h);

    /* a block freed twice by another thread, or by another thread and then
     * by its owner */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free_deferred(h, b);
    REPORTS("double free", slz_free_deferred(h, b));
    h = fresh(); /* in one batch: next to each other, apart, or freed before */
    a = slz_malloc(h, 100), b = slz_malloc(h, 2000), c = slz_malloc(h, 100);
    REPORTS("double free", slz_free_deferred_n(h, (void *[]){a, c, c}, 3));
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 2000), c = slz_malloc(h, 100);
    REPORTS("double free", slz_free_deferred_n(h, (void *[]){a, c, b, a}, 4));
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 2000), c = slz_malloc(h, 100);
    slz_free_deferred(h, c);
    REPORTS("double free", slz_free_deferred_n(h, (void *[]){a, b, c}, 3));
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 2000), c = slz_malloc(h, 100);
    REPORTS("invalid pointer", slz_free_deferred_n(h, (void *[]){a, (char *)b + 32, c}, 3));
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 2000), c = slz_malloc(h, 100);
    slz_free(h, b);
    REPORTS("double free", slz_free_deferred_n(h, (void *[]){a, b, c}, 3));
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free_deferred(h, b);
    REPORTS("double free", slz_free(h, b));

    /* what the owner's drain checks itself: a header damaged after another
     * thread freed the block (a write past the end of the block below), and
     * a bit left on a block not live (a double free reported to its freer,
     * whose bit stays: the drain reports it again, never releases it) */
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free_deferred(h, b);
    ((uintptr_t *)b)[-1] ^= 1;
    REPORTS("corrupted chunk header (write past the end of the block below?)", slz_malloc(h, 100));
    h = fresh();
    a = slz_malloc(h, 100), b = slz_malloc(h, 100), c = slz_malloc(h, 100);
    slz_free(h, b);
    REPORTS("double free", slz_free_deferred(h, b));
    REPORTS("double free", slz_malloc(h, 100));

    return CHECK_DONE();
}
