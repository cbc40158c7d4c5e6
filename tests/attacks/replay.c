/* replay: copy a chunk header, let the chunk change, write the old header
 * back, and get two live blocks that share memory.
 *
 * Goal: two live blocks overlap. An in-band check word that depends only on
 * the chunk's address and size is still valid for an old header put back at
 * the same address.
 *
 * B (176 bytes, a 192-byte chunk) lies after A, with a guard above. The
 * attacker reads B's 16-byte header (the bytes just below B), frees B, and
 * takes three 48-byte blocks (64-byte chunks) that first fit places where B
 * was: B1 at B's address, B2 and B3 above it. Overflowing A, the attacker
 * writes the saved header over B1's, frees B1 (which now seems to be the
 * old 192-byte B) and asks for 176 bytes again.
 *   replay          (no arguments)
 */
#include "attacks.h"

int main(void)
{
    char *a = opaque(malloc(100)), *b = opaque(malloc(176)), *guard = opaque(malloc(40));
    need_layout(a, b);
    unsigned char saved[16];
    memcpy(saved, chunk_of(b), 16);
    free(b);
    char *b1 = opaque(malloc(48)), *b2 = opaque(malloc(48)), *b3 = opaque(malloc(48));
    if (b1 != b)
        not_reached("cannot aim: the first 48-byte block went to %p, not to the freed %p", (void *)b1, (void *)b);
    memset(b2, '2', 48);
    memset(b3, '3', 48);
    memcpy(chunk_of(b1), saved, 16); /* the overflow from A */
    free(b1);
    char *d = opaque(malloc(176));
    if (d && (overlap(d, 176, b2, 48) || overlap(d, 176, b3, 48)))
        reached("malloc(176) returned %p, overlapping the live blocks %p and %p", (void *)d, (void *)b2,
                (void *)b3);
    opaque(guard);
    not_reached("malloc(176) returned %p, clear of the live blocks", (void *)d);
}
