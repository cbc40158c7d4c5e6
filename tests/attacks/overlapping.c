/* overlapping: enlarge a free chunk's size field so that it swallows the
 * live block above it, then allocate it.
 *
 * Goal: a later malloc returns memory overlapping the live block C.
 *
 * A (248 bytes), B and C (1264 bytes each, 1280-byte chunks) and a guard.
 * B is freed. Overflowing A, the attacker doubles B's size (flags kept), so
 * that the free B seems to end where C ends, and writes that size again in
 * C's last word (where glibc looks for the size of the chunk below the
 * guard). Then malloc of the doubled size.
 *   overlapping     (no arguments)
 */
#include "attacks.h"

int main(void)
{
    char *a = opaque(malloc(248)), *b = opaque(malloc(1264)), *c = opaque(malloc(1264));
    char *guard = opaque(malloc(40));
    enum atk_layout l = need_layout(b, c);
    uintptr_t twice = (uintptr_t)(guard - b);
    free(b);
    uintptr_t *hb = size_word(b, l);
    *hb = twice | (*hb & flag_bits(l)); /* the overflow from A */
    ((uintptr_t *)(guard - 16))[0] = twice;
    size_t n = twice - 16;
    char *d = opaque(malloc(n));
    if (d && overlap(d, n, c, 1264))
        reached("malloc(%zu) returned %p, overlapping the live block C at %p", n, (void *)d, (void *)c);
    opaque(a);
    not_reached("malloc(%zu) returned %p, clear of C at %p", n, (void *)d, (void *)c);
}
