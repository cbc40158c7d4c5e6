/*
 * heaps.h - a heap per thread (heaps.c): the range of the slots, mapped as heaps grow,
 * the calling thread's heap, who owns a pointer. What the shim keeps for
 * each thread beside its heap is here too (struct shim_thread).
 */
#ifndef SLZ_HEAPS_H
#define SLZ_HEAPS_H

#include <stddef.h>
#include <stdint.h>

#include "slz.h"

#define SHIM_SLOTS 1024 /* heaps at most: threads beyond use glibc */
enum { SLOT_EMPTY, SLOT_OWNED, SLOT_ABANDONED, SLOT_LOST, SLOT_DRAINING };
struct shim_heaps {
    char *area;         /* the range of the slots: slot i at area + (i << shift) */
    int shift;
    size_t span;        /* bytes of the range */
    unsigned slots;     /* slots in it */
    size_t footprint;   /* bytes of one heap: metadata, guards, arena */
    size_t arena;       /* bytes of a heap's arena, planned */
    int reserved;       /* the range is mapped (no access) from the start */
    slz_heap *heap[SHIM_SLOTS]; /* the heap in each slot (set once) */
    size_t mapped[SHIM_SLOTS];  /* bytes of slot i mapped for its heap (only grows) */
};
extern struct shim_heaps shim_heaps;
/* What the shim keeps for each thread, its heap included, in one place: one
 * thread-pointer offset (one GOT load) for every short way.
 *
 * heap: the thread's heap (shim_my_heap), NULL while it has none.
 * malloc, free: the core's functions for heap (slz_heap_malloc_fn,
 * slz_heap_free_fn), called by the short ways (set with heap; read only
 * when fast or len is not 0): one indirect call, where slz_malloc and
 * slz_free read the heap's mode first (three instructions a call).
 *
 * fast: a malloc of fewer bytes goes to heap at once (shim.c, "The short
 * way to the core"): the least of refused and shim_fast_max; 0 while the
 * thread has no heap. lo, len: the thread's slot, [lo, lo + len) mapped
 * (heaps_slot_of's test for this one slot): a free of a block there goes to
 * heap at once; len 0 while the thread has no heap or shim_fast_max is 0,
 * and while refused is known (such a free takes the long way, which says
 * the heap may have room again: one test less on the short way); slot_len,
 * what len is when refused is not known.
 * Only the thread writes them (and mapped[] of its slot).
 *
 * refused: the smallest request (unaligned) the thread's heap would refuse
 * now, as far as the shim knows: a request as large is not put to the core,
 * it goes straight to glibc, except one in SHIM_RETRY (counted in skips),
 * which also lets the heap take the frees other threads left it. Set from
 * the heap's largest free chunk when a request fails; SIZE_MAX (nothing
 * known: ask the core) once the heap may have gained room (a free or
 * realloc into it, a retry served, a new heap), so that a program whose
 * requests fit pays nothing for it (heaps_refused sets both it and fast).
 *
 * held, step: the bytes the thread took from glibc less those it gave back,
 * not yet added to the process's count, and how far held may go either way
 * before it is (shim.c, "What glibc holds"). */
struct shim_thread {
    slz_heap *heap;
    slz_malloc_fn malloc;
    slz_free_fn free;
    size_t fast;
    uintptr_t lo, len, slot_len;
    unsigned skips;
    size_t refused;
    long held, step;
};
extern __thread struct shim_thread shim_me __attribute__((tls_model("initial-exec")));
#define shim_my_heap (shim_me.heap)
/* shim_fast_max: one more than the largest request the short way to the
 * core takes (the shim's max_request + 1); 0 when a watcher that is on from
 * set-up to exit (counting, SLZ_CHECK, SLZ_SITES) must see every call: then
 * no call takes the short way to the core. Set once, at set-up. */
extern size_t shim_fast_max;
/* heaps_refused: the thread's heap (it has one) refuses r bytes and more. */
static inline void heaps_refused(size_t r)
{
    shim_me.refused = r;
    shim_me.fast = r < shim_fast_max ? r : shim_fast_max;
    shim_me.len = r == SIZE_MAX ? shim_me.slot_len : 0;
}
#define SHIM_RETRY 64 /* a power of two */
int heaps_setup(size_t heap_size);
slz_heap *heaps_mine_slow(void);
int heaps_grow(slz_heap *h, size_t need);
void heaps_thread_exit(void *heap);
void heaps_fork_child(void);
int heaps_lost(int slot);
int heaps_owned(int slot); /* a thread owns it (the caller's, or another's) */
void heaps_drain(int slot);
void heaps_adopt(int slot); /* (the caller has no heap and frees into slot's) */
slz_heap *heaps_view(void);
void heaps_stats(struct slz_heap_stats *sum);
unsigned heaps_count(void);

/* heaps_slot_of: the slot p points into, or -1: not slz's (glibc's, or
 * another mapping's in a part of the range no heap has mapped). */
static inline int heaps_slot_of(const void *p)
{
    uintptr_t d = (uintptr_t)p - (uintptr_t)shim_heaps.area;
    if (d >= shim_heaps.span)
        return -1;
    size_t i = d >> shim_heaps.shift, in = d - (i << shim_heaps.shift);
    if (i >= SHIM_SLOTS)
        __builtin_unreachable(); /* (span <= SHIM_SLOTS << shift: a caller's i >= 0 goes) */
    return in < __atomic_load_n(&shim_heaps.mapped[i], __ATOMIC_RELAXED) ? (int)i : -1;
}
static inline int heaps_slot(const slz_heap *h) { return heaps_slot_of(h); }
/* heaps_mine: the calling thread's heap, taken on its first call; NULL:
 * glibc serves this thread. */
static inline slz_heap *heaps_mine(void)
{
    slz_heap *h = shim_my_heap;
    return __builtin_expect(h != NULL, 1) ? h : heaps_mine_slow();
}

#endif
