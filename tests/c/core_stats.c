/* core_stats: the core's event counters after a known sequence of calls:
 * every block handed out counts one allocation (a realloc that moves its
 * block, one allocation and one free), every block given up one free
 * (a deferred free when the owner takes it back), a realloc in place
 * neither; the bytes asked for add up; a refused request counts a failure
 * and nothing else; the live blocks always match the heap's walk. */
#include <string.h>

#include "check.h"
#include "slz.h"

static struct slz_heap_stats st;
static slz_heap *h;

static void take(void) { slz_heap_get_stats(h, &st); }

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
    slz_free(h, b);
    CHECK("a free", counts(3, 1, 2, 0, 0, 600));
    take();
    uint64_t splits = st.splits;
    char *c2 = slz_realloc(h, c, 16);
    take();
    CHECK("a shrink in place that splits off its tail: no allocation, no free", c2 == c && counts(3, 1, 2, 1, 1, 600));
    CHECK("... one split", st.splits == splits + 1);
    char *a2 = slz_realloc(h, a, 5000); /* b's hole is too small, c sits above it: a moves */
    CHECK("a moving realloc: one allocation and one free", a2 != a && counts(4, 2, 2, 2, 1, 5600));
    char *z = slz_calloc(h, 2, 50);
    CHECK("calloc", z != NULL && counts(5, 2, 3, 2, 1, 5700));
    char *m = slz_memalign(h, 4096, 100);
    CHECK("memalign", m != NULL && ((uintptr_t)m & 4095) == 0 && counts(6, 2, 4, 2, 1, 5800));
    take();
    uint64_t failures = st.failures;
    CHECK("a refused request", slz_malloc(h, (size_t)1 << 40) == NULL && counts(6, 2, 4, 2, 1, 5800));
    CHECK("... one failure", st.failures == failures + 1);
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
