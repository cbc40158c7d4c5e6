/*
 * grow.h - how the shim's heaps map their arena as they fill (heaps.c),
 * shared with the heap timeline (scripts/html_core.c), which replays it to
 * refuse where the run did. The tools link nothing of the shim: this header
 * stays self-contained (no other header of preload/, no function of it).
 */
#ifndef SLZ_GROW_H
#define SLZ_GROW_H

#include <stddef.h>

#define FIRST_ARENA ((size_t)256 << 10) /* the part of its arena a new heap maps at once */
#define GROW_MIN ((size_t)64 << 10)     /* a heap grows by at least the request and this */

/* first_arena: the part of an arena of planned bytes a new heap maps. */
static inline size_t first_arena(size_t planned) { return planned < FIRST_ARENA ? planned : FIRST_ARENA; }

/* grow_to: a heap whose arena has now bytes of max planned refused a
 * request of need bytes: the arena it grows to (twice now, or at least
 * need and GROW_MIN more in whole pages, up to max), in *least the least
 * one that may serve; 0 when it cannot grow. */
static inline size_t grow_to(size_t now, size_t need, size_t max, size_t page, size_t *least)
{
    if (now >= max || need >= max - now)
        return 0;
    size_t l = (now + need + GROW_MIN + page - 1) & ~(page - 1), want = 2 * now;
    *least = l = l < max ? l : max;
    return want < l ? l : want < max ? want : max;
}

#endif
