/* shim_trim: 40 small blocks of four sizes allocated and freed, then, with
 * the argument "trim", malloc_trim(0); with "thread", the same in a thread
 * that exits (main joins it). Run under the shim
 * with SLZ_CACHE=1 and SLZ_STATS=1 (tests/cache.bats): the frees fill the
 * thread's cache, and the exit statistics show whether malloc_trim, or the
 * thread's exit, emptied it. */
#include <malloc.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *churn(void *arg)
{
    void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = malloc(100 + (size_t)(i % 4) * 16);
    for (int i = 0; i < 40; i++)
        free(p[i]);
    return arg;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "thread") == 0) {
        pthread_t t;
        if (pthread_create(&t, NULL, churn, NULL) != 0 || pthread_join(t, NULL) != 0)
            return 1;
        printf("thread: joined\n");
        return 0;
    }
    churn(NULL);
    int r = argc > 1 && strcmp(argv[1], "trim") == 0 ? malloc_trim(0) : -1;
    printf("malloc_trim: %d\n", r);
    return 0;
}
