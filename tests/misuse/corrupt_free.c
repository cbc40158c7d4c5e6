/* corrupt_free: write into a freed block (use after free), damaging the
 * free-chunk metadata the allocator keeps there, then do an operation that
 * reads it.
 *   corrupt_free WHAT THEN
 *   WHAT: links   the first 16 bytes (where slz keeps the index links;
 *                 glibc its free-list pointers)
 *         all     the whole freed payload
 *         foot    the last 8 bytes of the freed payload
 *         size    the size word just below the freed payload (an underflow)
 *         max     bytes 24..31 of the freed payload (where slz keeps the
 *                 largest sizes below a node of its index)
 *         top     the header of the block above (freed first, so that it
 *                 joins the free space at the top of the heap)
 *   THEN: search  malloc() of a size only the damaged chunk fits first
 *         big     malloc() of a size only the top of the heap can hold
 *         split   malloc() of a smaller size, carving the damaged chunk
 *         coalesce free the block just above, merging down into it
 *         insert  free another block, adding a chunk to the index
 *         usable  malloc_usable_size() of a live block: reads no free chunk */
#include "misuse.h"

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "", *then = argc > 2 ? argv[2] : "";
    char *lo = malloc(100), *a = malloc(200), *b = malloc(100), *guard = opaque(malloc(100));
    free(a);
    char *w = opaque(a);
    if (IS(what, "links"))
        memset(w, 'L', 16);
    else if (IS(what, "all"))
        memset(w, 'U', 200);
    else if (IS(what, "foot"))
        memset(w + 200, 'F', 8);
    else if (IS(what, "size"))
        memset(w - 16, 'S', 8);
    else if (IS(what, "max"))
        memset(w + 24, 'M', 8);
    else if (IS(what, "top")) {
        free(guard);
        memset((char *)opaque(guard) - 16, 'T', 16);
    }
    else
        return usage("what: links | all | foot | size | max | top\n");
    if (IS(then, "search"))
        opaque(malloc(200));
    else if (IS(then, "big"))
        opaque(malloc(3500));
    else if (IS(then, "split"))
        opaque(malloc(24));
    else if (IS(then, "coalesce"))
        free(b);
    else if (IS(then, "insert"))
        free(lo);
    else if (IS(then, "usable"))
        opaque((void *)malloc_usable_size(lo));
    else
        return usage("then: search | split | coalesce | insert | usable\n");
    return survived();
}
