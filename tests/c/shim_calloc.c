/* shim_calloc: calloc returns zeroed memory where earlier blocks were freed
 * dirty: exact reuse, pieces of bigger freed blocks, the tails of shrunk
 * blocks, aligned blocks, blocks bigger than the heap (glibc's) and a long
 * random mix. Passes without the shim and under it with any heap size. */
#define _GNU_SOURCE
#include "shim_probe.h"

enum { N = 512 };
static char *blk[N];
static uint64_t seed = 88172645463325252ull;
static uint64_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 7;
    seed ^= seed << 17;
    return seed;
}

int main(void)
{
    int nonzero = 0, checked = 0;
    /* exact reuse at every small size */
    for (size_t n = 1; n <= 2048; n += 7) {
        char *p = malloc(n);
        memset(p, 0xff, malloc_usable_size(p));
        free(p);
        char *q = calloc(1, n);
        checked++;
        nonzero += !all_zero(q, n);
        free(q);
    }
    CHECK("calloc after free of a dirty block of the same size", nonzero == 0);

    /* one big dirty block, freed, then callocs carve it up */
    char *big = malloc(60000);
    memset(big, 0xee, malloc_usable_size(big));
    free(big);
    nonzero = 0;
    for (int i = 0; i < 40; i++) {
        blk[i] = calloc(10, 150 + i);
        checked++;
        nonzero += !all_zero(blk[i], 10 * (150 + (size_t)i));
    }
    for (int i = 0; i < 40; i++)
        free(blk[i]), blk[i] = NULL;
    CHECK("callocs carved from a freed dirty block are zero", nonzero == 0);

    /* the tail of a dirty block shrunk by realloc */
    char *s = malloc(8000);
    memset(s, 0xdd, 8000);
    s = realloc(s, 100);
    char *t = calloc(1, 7000);
    checked++;
    CHECK("calloc in the freed tail of a shrunk block is zero", t && all_zero(t, 7000));
    free(t);
    free(s);

    /* dirty aligned blocks */
    void *a[16];
    for (int i = 0; i < 16; i++) {
        a[i] = aligned_alloc((size_t)64 << (i % 8), 300 + 40 * (size_t)i);
        memset(a[i], 0xcc, malloc_usable_size(a[i]));
    }
    for (int i = 0; i < 16; i += 2)
        free(a[i]);
    nonzero = 0;
    for (int i = 0; i < 16; i += 2) {
        a[i] = calloc(300 + 40 * (size_t)i, 1);
        checked++;
        nonzero += !all_zero(a[i], 300 + 40 * (size_t)i);
    }
    for (int i = 0; i < 16; i++)
        free(a[i]);
    CHECK("calloc where dirty aligned blocks were", nonzero == 0);

    /* blocks bigger than a small heap, glibc's, dirty and reused */
    char *g = malloc(3u << 20);
    memset(g, 0xbb, 3u << 20);
    free(g);
    g = calloc(3, 1u << 20);
    checked++;
    CHECK("calloc of 3M after a dirty 3M block", g && all_zero(g, 3u << 20));
    free(g);

    /* a random mix */
    nonzero = 0;
    for (int i = 0; i < 40000; i++) {
        int j = (int)(rnd() % N);
        if (blk[j]) {
            free(blk[j]);
            blk[j] = NULL;
            continue;
        }
        size_t n = rnd() % 8 == 0 ? rnd() % 100000 : rnd() % 600;
        if (rnd() % 2) {
            size_t cnt = rnd() % 5 + 1;
            blk[j] = calloc(cnt, n / cnt);
            checked++;
            nonzero += !all_zero(blk[j], cnt * (n / cnt));
        } else {
            blk[j] = malloc(n);
        }
        memset(blk[j], 0xa7, malloc_usable_size(blk[j]));
    }
    for (int j = 0; j < N; j++)
        free(blk[j]);
    printf("%d callocs checked\n", checked);
    CHECK("random mix: every calloc zero", nonzero == 0);
    return CHECK_DONE();
}
