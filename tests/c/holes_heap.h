/* holes_heap.h - the heap core_check and core_check_at damage: 1 MiB,
 * mapped by the core, BLOCKS used blocks of BLOCK bytes with every third
 * one freed (holes, in the index) over some 30 cells, the top above. The
 * tests reach its state through the core's layout (src/chunk.h). */
#ifndef SLZ_TEST_HOLES_HEAP_H
#define SLZ_TEST_HOLES_HEAP_H
#include "chunk.h"

enum { BLOCKS = 120, BLOCK = 200 };
static void *blk[BLOCKS];

/* build: the heap every case starts from (NULL if it cannot be made). */
static slz_heap *build(void)
{
    slz_heap *h = slz_heap_create(1 << 20);
    if (h == NULL)
        return NULL;
    for (int i = 0; i < BLOCKS; i++)
        blk[i] = slz_malloc(h, BLOCK);
    for (int i = 1; i < BLOCKS - 1; i += 3)
        slz_free(h, blk[i]);
    return h;
}

/* g_of: the granule of block p's chunk. */
static uint32_t g_of(slz_heap *h, void *p) { return grain_of(h, mem2chunk(p)); }
#endif
