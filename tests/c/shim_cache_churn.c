/* shim_cache_churn: a fixed churn for the fast mode's replay test
 * (tests/cache.bats): SLOTS blocks, each step frees one at random and
 * allocates another, mostly small sizes (the cache's), some of 4-40 KiB and
 * now and then a big one, so that the heap grows and, with SLZ_CACHE=1,
 * refuses requests while the cache holds blocks. It leaves half the slots
 * live at exit and prints a checksum of what it read back. Run under the
 * shim with SLZ_TRACE and SLZ_HEAPMAP: replaying the trace with
 * slz-replay --cache must give the heap the run drew. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 600

static uint64_t rng = 0x9e3779b97f4a7c15ull;
static uint64_t next(void)
{
    rng ^= rng << 13, rng ^= rng >> 7, rng ^= rng << 17;
    return rng;
}

static size_t size_of(void)
{
    uint64_t r = next();
    if (r % 100 == 0)
        return 64 * 1024 + r % (192 * 1024); /* now and then a big one: the heap grows */
    if (r % 10 == 0)
        return 4096 + r % 36864;
    return 8 + r % 1500;
}

int main(int argc, char **argv)
{
    int steps = argc > 1 ? atoi(argv[1]) : 20000;
    static unsigned char *p[SLOTS];
    static size_t n[SLOTS];
    uint64_t sum = 0;
    for (int s = 0; s < steps; s++) {
        size_t k = next() % SLOTS;
        if (p[k]) {
            sum += p[k][0] + p[k][n[k] - 1];
            free(p[k]);
        }
        n[k] = size_of();
        p[k] = malloc(n[k]);
        if (p[k] == NULL)
            return 1;
        memset(p[k], (int)(k & 0xff), n[k]);
    }
    for (size_t k = 0; k < SLOTS; k += 2) {
        free(p[k]);
        p[k] = NULL;
    }
    printf("shim_cache_churn: %d steps, checksum %llu\n", steps, (unsigned long long)sum);
    return 0;
}
