/* overflow: write past the end of block a, into the next chunk's metadata,
 * then do the next operation that touches that chunk.
 *   overflow HOW THEN
 *   HOW:  byte   one byte past the usable size (an off-by-one)
 *         head   16 bytes past the usable size (the whole next header)
 *   THEN: free_self     free(a)
 *         realloc_self  realloc(a, bigger)
 *         free_next     free(b), the damaged block itself
 *         realloc_next  realloc(b, bigger)
 *         coalesce      b is free when damaged; free(c) above it merges down
 *         merge_up      b is free when damaged; free(a) merges up into it
 *         search        b is free when damaged; malloc() searches for a fit
 *         split         b is free when damaged; malloc() carves a piece of it */
#include "misuse.h"

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "", *then = argc > 2 ? argv[2] : "";
    size_t extra = IS(how, "byte") ? 1 : IS(how, "head") ? 16 : 0;
    if (!extra)
        return usage("how: byte | head\n");
    char *a = malloc(100), *b = malloc(100), *c = malloc(100), *guard = opaque(malloc(100));
    (void)guard;
    int b_free = IS(then, "coalesce") || IS(then, "merge_up") || IS(then, "search") || IS(then, "split");
    if (b_free)
        free(b);
    memset(opaque(a), 'A', malloc_usable_size(a) + extra);
    if (IS(then, "free_self"))
        free(a);
    else if (IS(then, "realloc_self"))
        opaque(realloc(a, 200));
    else if (IS(then, "free_next"))
        free(b);
    else if (IS(then, "realloc_next"))
        opaque(realloc(b, 200));
    else if (IS(then, "coalesce"))
        free(c);
    else if (IS(then, "merge_up"))
        free(a);
    else if (IS(then, "search"))
        opaque(malloc(100));
    else if (IS(then, "split"))
        opaque(malloc(24));
    else
        return usage("then: free_self | realloc_self | free_next | realloc_next | coalesce | merge_up | search | split\n");
    return survived();
}
