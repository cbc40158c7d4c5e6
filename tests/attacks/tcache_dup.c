/* tcache_dup: free one block twice so that two later mallocs return it
 * twice (glibc's "tcache dup" and "fastbin dup").
 *
 * Goal: two mallocs return the same block while both are live, so that
 * two objects of the program share memory.
 *
 *   tcache_dup plain        free(a); free(a)
 *   tcache_dup interleaved  free(a); free(b); free(a): the second free of a
 *                           does not come right after the first
 *   tcache_dup fastbin      seven other blocks of the size freed first (they
 *                           fill glibc's per-thread cache, so that a and b
 *                           go to its fast bins), then free(a); free(b);
 *                           free(a)
 * Then as many mallocs of that size as blocks were freed, plus two; any two
 * equal results reach the goal.
 */
#include "attacks.h"

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    int fill = IS(how, "fastbin") ? 7 : 0;
    if (!IS(how, "plain") && !IS(how, "interleaved") && !fill)
        usage("tcache_dup plain | interleaved | fastbin\n");
    char *f[7];
    for (int i = 0; i < fill; i++)
        f[i] = opaque(malloc(40));
    char *a = opaque(malloc(40)), *b = opaque(malloc(40)), *guard = opaque(malloc(40));
    for (int i = 0; i < fill; i++)
        free(f[i]);
    free(a);
    if (!IS(how, "plain"))
        free(b);
    free(opaque(a));
    char *got[16];
    int n = fill + 3 + 2;
    for (int i = 0; i < n; i++) {
        got[i] = opaque(malloc(40));
        for (int j = 0; j < i; j++)
            if (got[j] && got[j] == got[i])
                reached("malloc(40) number %d and number %d both returned %p", j + 1, i + 1, (void *)got[i]);
    }
    opaque(guard);
    not_reached("the %d mallocs after the frees returned %d different blocks", n, n);
}
