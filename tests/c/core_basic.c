/* core_basic: first fit, splitting and coalescing on a heap in a static array. */
#include <string.h>
#include "check.h"
#include "slz.h"
#include "test_heap.h"

static _Alignas(16) char arena[64 * 1024];

int main(void)
{
    CHECK("heap on caller memory", slz_heap_initialize_with(arena, sizeof arena) == 0);
    char *a = slz_malloc(HEAP, 100), *b = slz_malloc(HEAP, 100), *c = slz_malloc(HEAP, 100);
    CHECK("blocks in address order", a && b && c && a < b && b < c);
    CHECK("16-byte aligned", ((unsigned long)a & 15) == 0);
    slz_free(HEAP, a);
    char *d = slz_malloc(HEAP, 50);
    CHECK("first fit reuses the lowest hole", d == a);
    slz_free(HEAP, d);
    slz_free(HEAP, b);
    slz_free(HEAP, c);
    CHECK("heap checks clean", slz_heap_check(HEAP, NULL) == 0);
    struct slz_heap_stats st;
    slz_heap_get_stats(HEAP, &st);
    CHECK("everything merged back into one free chunk", st.free_chunks == 1 && st.in_use == 0);
    return CHECK_DONE();
}
