/* test_heap.h - HEAP: the core's default heap, set up (one page) on first
 * use as the original interface does, for tests that call the readable
 * names (slz_malloc(HEAP, n), ...). A test that wants another size calls
 * slz_heap_initialize_size() or slz_heap_initialize_with() first. */
#ifndef SLZ_TEST_HEAP_H
#define SLZ_TEST_HEAP_H
#include "slz.h"

static inline slz_heap *test_heap(void)
{
    if (slz_default_heap() == NULL)
        slz_heap_initialize_impl();
    return slz_default_heap();
}
#define HEAP test_heap()
#endif
