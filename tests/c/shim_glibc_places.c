/* shim_glibc_places.c - every kind of place glibc hands blocks out from is
 * taken as glibc's by the registry's check of new places (issue 18), with
 * no false report: its main heap, thread arenas (6 threads, blocks of 16 to
 * 3,000 bytes, aligned ones too), chunks mapped on their own (big mallocs
 * and callocs, aligned requests far above the mmap threshold, a mapped
 * block shrunk then grown by realloc). Run under the shim with the default
 * heap, where glibc serves nearly everything. Prints the check count. */
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"

static void *work(void *arg)
{
    int *bad = arg;
    void *p[2000];
    for (int r = 0; r < 20; r++) {
        for (int i = 0; i < 2000; i++) {
            p[i] = i % 7 ? malloc(16 + (size_t)(i * 37) % 3000) : memalign(64 << (i % 5), 100);
            if (p[i] == NULL)
                (*bad)++;
            else
                memset(p[i], 1, 16);
        }
        for (int i = 0; i < 2000; i++)
            free(p[i]);
    }
    void *big = malloc(300000), *al = NULL;
    if (big == NULL || posix_memalign(&al, 1 << 20, 200) != 0)
        (*bad)++;
    free(big);
    free(al);
    return NULL;
}

int main(void)
{
    pthread_t t[6];
    int bad[6] = {0};
    for (int i = 0; i < 6; i++)
        pthread_create(&t[i], NULL, work, &bad[i]);
    for (int i = 0; i < 6; i++) {
        pthread_join(t[i], NULL);
        CHECK("a thread's blocks", bad[i] == 0);
    }
    void *a = aligned_alloc(1 << 20, 100), *q = NULL, *m = memalign(1 << 22, 2000);
    CHECK("aligned far above the mmap threshold", a && ((uintptr_t)a & ((1 << 20) - 1)) == 0);
    CHECK("posix_memalign 2 MiB", posix_memalign(&q, 1 << 21, 64) == 0 && ((uintptr_t)q & ((1 << 21) - 1)) == 0);
    CHECK("memalign 4 MiB", m && ((uintptr_t)m & ((1 << 22) - 1)) == 0);
    free(a), free(q), free(m);
    char *r = malloc(300000);
    CHECK("a mapped block", r != NULL);
    r[0] = 5;
    r = realloc(r, 100);
    CHECK("shrunk", r && r[0] == 5);
    r = realloc(r, 5000000);
    CHECK("grown", r && r[0] == 5);
    free(r);
    char *z = calloc(1, 2000000);
    CHECK("a big calloc", z && z[1999999] == 0);
    free(z);
    return CHECK_DONE();
}
