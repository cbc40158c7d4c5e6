/* double_free: give a block back twice.
 *   double_free VARIANT [OP]   OP: free (default) | realloc | usable
 *   plain        free(p), then OP(p)
 *   merged_down  a, b, guard: free(a), free(b) (b merges into a), then OP(b)
 *   merged_up    a, b, guard: free(b), free(a) (a takes b in), then OP(a)
 *   reused       x(40), p(100), guard: free(x), free(p), q = malloc(150)
 *                spans both (a different size, not at p), then OP(p)
 *   reused_written  the same, but q's owner fills q, over p's old header
 *   big          plain, with a block too big for the default one-page heap
 *                (so glibc serves it under the shim as well) */
#include "misuse.h"

int main(int argc, char **argv)
{
    const char *v = argc > 1 ? argv[1] : "", *op = argc > 2 ? argv[2] : "free";
    if (IS(v, "plain") || IS(v, "big")) {
        char *p = malloc(IS(v, "big") ? 20000 : 100);
        free(p);
        return hand(op, p);
    }
    if (IS(v, "merged_down") || IS(v, "merged_up")) {
        char *a = malloc(100), *b = malloc(100), *guard = opaque(malloc(100));
        (void)guard;
        if (IS(v, "merged_down")) {
            free(a);
            free(b);
            return hand(op, b);
        }
        free(b);
        free(a);
        return hand(op, a);
    }
    if (IS(v, "reused") || IS(v, "reused_written")) {
        char *x = malloc(40), *p = malloc(100), *guard = opaque(malloc(100));
        (void)guard;
        free(x);
        free(p);
        char *q = opaque(malloc(150));
        if (IS(v, "reused_written"))
            memset(q, 'q', 150);
        return hand(op, p);
    }
    return usage("variant: plain | merged_down | merged_up | reused | reused_written | big\n");
}
