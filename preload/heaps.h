/*
 * heaps.h - a heap per thread (heaps.c): the reserved range cut into slots,
 * the calling thread's heap, who owns a pointer. What the shim keeps for
 * each thread beside its heap is here too (struct shim_thread).
 */
#ifndef SLZ_HEAPS_H
#define SLZ_HEAPS_H

#include <stddef.h>
#include <stdint.h>

#include "slz.h"

#define SHIM_SLOTS 1024 /* heaps at most: threads beyond use glibc */
enum { SLOT_EMPTY, SLOT_OWNED, SLOT_ABANDONED, SLOT_LOST };
struct shim_heaps {
    char *area;         /* the reserved range: slot i at area + (i << shift) */
    int shift;
    size_t span;        /* bytes of the range */
    unsigned slots;     /* slots in it */
    size_t footprint;   /* bytes of one heap: metadata, guards, arena */
    slz_heap *heap[SHIM_SLOTS]; /* the heap in each slot (set once) */
};
extern struct shim_heaps shim_heaps;
extern __thread slz_heap *shim_my_heap __attribute__((tls_model("initial-exec")));
/* What the shim keeps for each thread beside its heap, in one place (one
 * thread-pointer offset for the short way to glibc).
 *
 * refused: the smallest request (unaligned) the thread's heap would refuse
 * now, as far as the shim knows: a request as large is not put to the core,
 * it goes straight to glibc, except one in SHIM_RETRY (counted in skips),
 * which also lets the heap take the frees other threads left it. Set from
 * the heap's largest free chunk when a request fails; SIZE_MAX (nothing
 * known: ask the core) once the heap may have gained room (a free or
 * realloc into it, a retry served, a new heap), so that a program whose
 * requests fit pays nothing for it.
 *
 * slot: the slot of the thread's own heap, -1 while it has none: a free
 * of a block in it takes the short way to the core.
 *
 * held, step: the bytes the thread took from glibc less those it gave back,
 * not yet added to the process's count, and how far held may go either way
 * before it is (shim.c, "What glibc holds"). */
struct shim_thread {
    size_t refused;
    unsigned skips;
    int slot; /* the slot of the thread's heap (shim_my_heap), or -1 */
    long held, step;
};
extern __thread struct shim_thread shim_me __attribute__((tls_model("initial-exec")));
#define SHIM_RETRY 64 /* a power of two */
int heaps_setup(size_t heap_size);
slz_heap *heaps_mine_slow(void);
void heaps_thread_exit(void *heap);
void heaps_fork_child(void);
int heaps_lost(int slot);
slz_heap *heaps_view(void);
void heaps_stats(struct slz_heap_stats *sum);
unsigned heaps_count(void);

/* heaps_slot_of: the slot p points into, or -1: not slz's (glibc's). */
static inline int heaps_slot_of(const void *p)
{
    uintptr_t d = (uintptr_t)p - (uintptr_t)shim_heaps.area;
    return d < shim_heaps.span ? (int)(d >> shim_heaps.shift) : -1;
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
