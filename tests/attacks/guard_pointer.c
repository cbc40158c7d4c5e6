/* guard_pointer: free() a pointer just outside a slz heap, into the guard
 * pages around it, or into the allocator's own metadata beyond a guard.
 *
 * Goal: free() accepts such a pointer and returns: the allocator has acted
 * on memory that is not a block (or handed it to another allocator that
 * reads a "header" there). Every such pointer must be reported.
 *
 * The attacker finds the heap as one could from a leak of a block's
 * address: the mapping holding a fresh block, in /proc/self/maps, and the
 * mappings next to it. "Guard" is a neighbouring mapping with no access;
 * "metadata" is a read-write mapping just beyond such a guard.
 *   guard_pointer base      the heap's first byte (its header would lie
 *                           below the heap)
 *   guard_pointer below     16 bytes below the heap
 *   guard_pointer guard_lo  the middle of the guard below the heap (2 KiB
 *                           below the heap if there is no guard)
 *   guard_pointer end       the first byte past the heap
 *   guard_pointer above     16 bytes past the heap
 *   guard_pointer guard_hi  the middle of the guard above the heap (2 KiB
 *                           above the heap if there is no guard)
 *   guard_pointer meta      16 bytes into a read-write mapping just beyond
 *                           a guard next to the heap (below first, else
 *                           above); with guards but no such mapping there
 *                           is nothing to aim at; with no guard at all, the
 *                           page below the heap
 * Under the current shim a pointer outside the heap goes to glibc, whose
 * free() reads a header below it.
 */
#include "attacks.h"

static int is_guard(const struct atk_map *m) { return !strcmp(m->perms, "---p"); }
static int is_rw(const struct atk_map *m) { return m->perms[0] == 'r' && m->perms[1] == 'w'; }

int main(int argc, char **argv)
{
    const char *where = argc > 1 ? argv[1] : "";
    char *blk = opaque(malloc(40));
    int n = read_maps();
    int h = map_index(n, (uintptr_t)blk);
    if (h < 0)
        not_reached("cannot aim: the block %p is in no mapping", (void *)blk);
    uintptr_t lo = atk_maps[h].lo, hi = atk_maps[h].hi;
    const struct atk_map *below = h > 0 && atk_maps[h - 1].hi == lo ? &atk_maps[h - 1] : NULL;
    const struct atk_map *above = h + 1 < n && atk_maps[h + 1].lo == hi ? &atk_maps[h + 1] : NULL;
    uintptr_t p;
    if (IS(where, "base"))
        p = lo;
    else if (IS(where, "below"))
        p = lo - 16;
    else if (IS(where, "guard_lo"))
        p = below && is_guard(below) ? ((below->lo + below->hi) / 2 & ~(uintptr_t)15) : lo - 2048;
    else if (IS(where, "end"))
        p = hi;
    else if (IS(where, "above"))
        p = hi + 16;
    else if (IS(where, "guard_hi"))
        p = above && is_guard(above) ? ((above->lo + above->hi) / 2 & ~(uintptr_t)15) : hi + 2048;
    else if (IS(where, "meta")) {
        const struct atk_map *m = NULL;
        if (below && is_guard(below) && h > 1 && atk_maps[h - 2].hi == below->lo && is_rw(&atk_maps[h - 2]))
            m = &atk_maps[h - 2];
        else if (above && is_guard(above) && h + 2 < n && atk_maps[h + 2].lo == above->hi &&
                 is_rw(&atk_maps[h + 2]))
            m = &atk_maps[h + 2];
        if (!m && !(below && is_guard(below)) && !(above && is_guard(above)))
            p = lo - 4096 + 16; /* no guard at all: where metadata behind a guard below would be */
        else if (!m)
            not_reached("no read-write mapping lies beyond a guard next to the heap %#lx-%#lx: nothing to aim at",
                        (unsigned long)lo, (unsigned long)hi);
        else
            p = m->lo + 16;
    } else
        usage("guard_pointer base | below | guard_lo | end | above | guard_hi | meta\n");
    free(opaque((void *)p));
    reached("free(%#lx) returned (the heap's mapping is %#lx-%#lx)", (unsigned long)p, (unsigned long)lo,
            (unsigned long)hi);
}
