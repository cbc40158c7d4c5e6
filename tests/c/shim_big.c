/* shim_big.c - no single request takes a heap whole (issue 18): a request
 * above the shim's limit goes to glibc, whatever room the heap has, and the
 * heap keeps serving the requests after it. The limit, computed here from
 * the rule the README states: 1/16 of the heap, but anything that fits in
 * a heap of 128 KiB or less, and up to 128 KiB in a larger one.
 *   shim_big HEAP_BYTES     (run under the shim with SLZ_HEAP_SIZE=HEAP_BYTES)
 */
#include "shim_probe.h"

static size_t limit_of(size_t heap)
{
    size_t whole = heap - 16, floor = whole < (128 << 10) ? whole : (128 << 10);
    return heap / 16 > floor ? heap / 16 : floor;
}

int main(int argc, char **argv)
{
    probe_start(argv);
    size_t heap = argc > 1 ? strtoull(argv[1], NULL, 0) : 0, limit = limit_of(heap);
    char who_, *p, *q;
    CHECK("heap size given", heap >= 4096);
    WHO(p, malloc(heap - 16)); /* the whole heap, if it were put to it */
    CHECK("a request of the whole heap goes to glibc (unless the heap is 128 KiB or less)",
          who_ == (heap - 16 > limit ? 'g' : 'c'));
    free(p);
    WHO(p, malloc(limit + 16));
    CHECK("a request above the limit goes to glibc", who_ == 'g');
    free(p);
    WHO(p, malloc(limit));
    CHECK("a request at the limit is the heap's", who_ == 'c');
    WHO(q, malloc(100));
    CHECK("after it, a small request is still the heap's (unless the limit was the whole heap)",
          who_ == (limit + 16 + 128 <= heap - 16 ? 'c' : 'g'));
    free(q);
    free(p);
    WHO(p, malloc(1000));
    CHECK("a small block from the heap", who_ == 'c');
    memset(p, 7, 1000);
    WHO(q, realloc(p, limit + 16));
    CHECK("grown above the limit, it moves to glibc", who_ == 'g');
    CHECK("its contents with it", q != NULL && q[0] == 7 && q[999] == 7);
    free(q);
    return CHECK_DONE();
}
