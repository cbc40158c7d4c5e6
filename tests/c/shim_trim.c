/* shim_trim: 40 small blocks of four sizes allocated and freed, then, with
 * the argument "trim", malloc_trim(0). Run under the shim with SLZ_CACHE=1
 * and SLZ_STATS=1 (tests/cache.bats): the frees fill the thread's cache,
 * and the exit statistics show whether malloc_trim emptied it. */
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = malloc(100 + (size_t)(i % 4) * 16);
    for (int i = 0; i < 40; i++)
        free(p[i]);
    int r = argc > 1 && strcmp(argv[1], "trim") == 0 ? malloc_trim(0) : -1;
    printf("malloc_trim: %d\n", r);
    return 0;
}
