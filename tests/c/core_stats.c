/* core_stats: the core's event counters after a known sequence of calls:
 * every block handed out counts one allocation (a realloc that moves its
 * block, one allocation and one free), every block given up one free
 * (a deferred free when the owner takes it back), a realloc in place
 * neither; the bytes asked for add up; a refused request counts a failure
 * and nothing else (one that could fit the arena but finds no free chunk
 * too); the live blocks always match the heap's walk; the high-water mark
 * is the highest end of a block ever handed out; the peak in use, the most
 * bytes in use at once. */
#include <string.h>

#include "check.h"
#include "slz.h"

static struct slz_heap_stats st;
static slz_heap *h;

static void take(void) { slz_heap_get_stats(h, &st); }

/* high: the high-water mark expected once block p is handed out (the end
 * of its chunk, from the arena's start: the highest so far) */
static size_t hw;
static size_t high(const void *p)
{
    size_t end = (size_t)((const char *)p - (const char *)slz_heap_base(h)) + slz_usable_size(h, (void *)p);
    hw = end > hw ? end : hw;
    return hw;
}

/* counts: the counters are these */
static int counts(uint64_t mallocs, uint64_t frees, uint64_t live, uint64_t reallocs, uint64_t in_place,
                  uint64_t requested)
{
    take();
    return st.mallocs == mallocs && st.frees == frees && st.live_blocks == live && st.reallocs == reallocs &&
           st.realloc_in_place == in_place && st.bytes_requested == requested;
}

int main(void)
{
    h = slz_heap_create(1 << 20);
    CHECK("a heap", h != NULL);
    char *a = slz_malloc(h, 100), *b = slz_malloc(h, 200), *c = slz_malloc(h, 300);
    CHECK("three allocations", counts(3, 0, 3, 0, 0, 600));
    high(a), high(b);
    CHECK("... the high-water mark at the end of the last", st.high_water == high(c) && hw > 600);
    CHECK("... the peak in use: all in use now", st.peak_in_use == st.in_use && st.in_use > 600);
    size_t peak = st.peak_in_use;
    slz_free(h, b);
    CHECK("a free", counts(3, 1, 2, 0, 0, 600));
    CHECK("... the peak in use stays", st.peak_in_use == peak && st.in_use < peak);
    take();
    uint64_t splits = st.splits;
    char *c2 = slz_realloc(h, c, 16);
    take();
    CHECK("a shrink in place that splits off its tail: no allocation, no free", c2 == c && counts(3, 1, 2, 1, 1, 600));
    CHECK("... one split", st.splits == splits + 1);
    char *a2 = slz_realloc(h, a, 5000); /* b's hole is too small, c sits above it: a moves */
    CHECK("a moving realloc: one allocation and one free", a2 != a && counts(4, 2, 2, 2, 1, 5600));
    CHECK("... the high-water mark: its new block's end", st.high_water == high(a2));
    char *z = slz_calloc(h, 2, 50);
    CHECK("calloc", z != NULL && counts(5, 2, 3, 2, 1, 5700) && st.high_water == high(z));
    char *m = slz_memalign(h, 4096, 100);
    CHECK("memalign", m != NULL && ((uintptr_t)m & 4095) == 0 && counts(6, 2, 4, 2, 1, 5800));
    CHECK("... the high-water mark: the aligned block's end", st.high_water == high(m) && hw > 4096);
    take();
    uint64_t failures = st.failures;
    CHECK("a refused request", slz_malloc(h, (size_t)1 << 40) == NULL && counts(6, 2, 4, 2, 1, 5800));
    CHECK("... one failure", st.failures == failures + 1);
    CHECK("a request the arena could hold, with no free chunk that big, refused",
          slz_malloc(h, slz_max_request(h)) == NULL && counts(6, 2, 4, 2, 1, 5800));
    CHECK("... one failure more, the high-water mark where it was", st.failures == failures + 2 && st.high_water == hw);
    slz_free_deferred(h, z);
    CHECK("a deferred free counts when the owner takes it back", counts(6, 2, 4, 2, 1, 5800));
    slz_heap_collect(h);
    CHECK("... then", counts(6, 3, 3, 2, 1, 5800));
    slz_free(h, m);
    slz_free(h, a2);
    slz_free(h, c2);
    CHECK("all freed", counts(6, 6, 0, 2, 1, 5800));
    CHECK("the heap checks clean (live blocks and bytes match its walk)", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
    return CHECK_DONE();
}
