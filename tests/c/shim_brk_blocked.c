/* shim_brk_blocked.c - the program break cannot grow because a mapping
 * sits just above it (as a library or a loader can place one, and as
 * valgrind's fixed-size break makes it): glibc then carries its main arena
 * on in memory it maps, whose chunks look like the main heap's (no
 * IS_MMAPPED, no NON_MAIN_ARENA) but lie outside the break. The registry's
 * check of new places must take them as glibc's, not as a poisoned free
 * list. Run under the shim with the default heap, where glibc serves nearly
 * every block. Prints the check count. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"

#define N 20000 /* 200-byte blocks: 4 MB, far beyond the main heap's top */

int main(void)
{
    static void *p[N];
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), brk = ((uintptr_t)sbrk(0) + pg - 1) & ~(pg - 1);
    void *wall = mmap((void *)brk, pg, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK("a page mapped just above the break", wall == (void *)brk);
    int bad = 0, outside = 0;
    for (int i = 0; i < N; i++) {
        p[i] = malloc(200);
        if (p[i] == NULL)
            bad++;
        else
            memset(p[i], 7, 200);
        outside += (uintptr_t)p[i] > brk;
    }
    CHECK("every block served", bad == 0);
    CHECK("glibc went on outside the break", outside > N / 2);
    for (int i = 0; i < N; i++)
        free(p[i]);
    return CHECK_DONE();
}
