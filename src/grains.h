/*
 * grains.h - the arena's size, as a thread other than the owner reads it.
 *
 * Only the owner changes h->grains (slz_heap_grow, heap.c); another thread
 * reads it to judge a pointer it frees or asks about (slz_free_deferred,
 * bad_block, block_grain from slz_block_size: free.c). The owner stores
 * it with heap_grains_publish, the others load it with heap_grains_acquire;
 * the owner's own reads stay plain (it reads its own stores).
 *
 * Ordering. A block in the granules a grow adds exists only after a malloc
 * that follows the grow in the owner's order; a thread that frees it got
 * its pointer from the owner through something that orders the two (a
 * lock, a queue, any hand-over a correct program uses), so the owner's
 * store happens before that thread's load: by coherence the load reads the
 * new size or a later one (sizes only grow), never an older one, and a
 * block of the grown part is never refused as outside the arena. Relaxed
 * accesses would give that much; release and acquire add that a thread
 * that reads the new size sees what the owner did before it: the pages the
 * caller mapped for the grow, the state of the old arena. A pointer no
 * hand-over brought (an invalid one) is judged by whatever size is read,
 * old or new: outside the old one it is invalid, inside the new one its
 * granule is no live block until a malloc the same hand-over would order.
 * On x86-64 both are plain moves.
 */
#ifndef SLZ_GRAINS_H
#define SLZ_GRAINS_H

#include "chunk.h"

/* heap_grains_acquire: h's arena size in granules, read by any thread. */
static inline uint32_t heap_grains_acquire(const slz_heap *h)
{
    return __atomic_load_n(&h->grains, __ATOMIC_ACQUIRE);
}

/* heap_grains_publish: the owner sets h's arena size to g granules. */
static inline void heap_grains_publish(slz_heap *h, uint32_t g)
{
    __atomic_store_n(&h->grains, g, __ATOMIC_RELEASE);
}

#endif /* SLZ_GRAINS_H */
