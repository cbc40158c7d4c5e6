/* bad_pointer: give the allocator a pointer that is not the start of a live
 * block.
 *   bad_pointer WHERE [OP]   OP: free (default) | realloc | usable
 *   interior    p + 32, inside a live block
 *   unaligned   p + 1
 *   in_free     the middle of a free chunk
 *   metadata    the header of a live block (p - 16)
 *   stack       an address on the main thread's stack (no heap's)
 *   image       an address in the program's own data (no heap's) */
#include "misuse.h"

int main(int argc, char **argv)
{
    const char *v = argc > 1 ? argv[1] : "", *op = argc > 2 ? argv[2] : "free";
    char *a = malloc(100), *b = malloc(400), *guard = opaque(malloc(100));
    (void)guard;
    if (IS(v, "interior"))
        return hand(op, a + 32);
    if (IS(v, "unaligned"))
        return hand(op, a + 1);
    if (IS(v, "in_free")) {
        free(b);
        return hand(op, b + 160);
    }
    if (IS(v, "metadata"))
        return hand(op, b - 16);
    static char data[64];
    char local[64];
    if (IS(v, "stack"))
        return hand(op, local + 16);
    if (IS(v, "image"))
        return hand(op, data + 16);
    return usage("where: interior | unaligned | in_free | metadata | stack | image\n");
}
