/* core_calloc: calloc returns zeroed memory even where earlier blocks left
 * garbage: on caller memory that starts dirty, and on a mapped heap through
 * a long random sequence that dirties, frees, splits, merges and reuses
 * chunks (small, aligned and large ones) around the never-used top. */
#include <errno.h>
#include "core_view.h"

static _Alignas(16) char arena[256 * 1024];

enum { N = 256 };
static char *blk[N];

/* churn: steps random operations; every calloc'd block must be zero.
 * Returns the number of non-zero callocs. */
static int churn(int steps, size_t maxsz, int *callocs)
{
    int bad = 0;
    for (int i = 0; i < steps; i++) {
        int j = (int)(rnd() % N);
        size_t n = rnd() % 4 == 0 ? rnd() % maxsz : rnd() % 512;
        if (blk[j]) {
            if (rnd() % 3 == 0) {
                char *q = slz_realloc(HEAP, blk[j], n + 1);
                if (q) {
                    memset(q, 0xff, slz_usable_size(HEAP, q));
                    blk[j] = q;
                }
            } else {
                slz_free(HEAP, blk[j]);
                blk[j] = NULL;
            }
            continue;
        }
        switch (rnd() % 4) {
        case 0:
        case 1: {
            size_t cnt = rnd() % 8 + 1;
            char *p = slz_calloc(HEAP, cnt, n / cnt);
            if (p) {
                ++*callocs;
                if (!all_zero(p, cnt * (n / cnt)))
                    bad++;
            }
            blk[j] = p;
            break;
        }
        case 2:
            blk[j] = slz_memalign(HEAP, (size_t)64 << (rnd() % 6), n);
            break;
        default:
            blk[j] = slz_malloc(HEAP, n);
        }
        if (blk[j])
            memset(blk[j], 0xff, slz_usable_size(HEAP, blk[j]));
    }
    return bad;
}

static void free_all(void)
{
    for (int j = 0; j < N; j++) {
        slz_free(HEAP, blk[j]);
        blk[j] = NULL;
    }
}

int main(void)
{
    /* caller memory full of garbage */
    memset(arena, 0xa5, sizeof arena);
    CHECK("heap on a dirty static array", slz_heap_initialize_with(arena, sizeof arena) == 0);
    char *p = slz_calloc(HEAP, 100, 10);
    CHECK("calloc on dirty caller memory is zero", p && all_zero(p, 1000));
    char *q = slz_calloc(HEAP, 1, 5000);
    CHECK("a second calloc on dirty caller memory is zero", q && all_zero(q, 5000));
    memset(p, 0xff, 1000);
    slz_free(HEAP, p);
    p = slz_calloc(HEAP, 10, 100);
    CHECK("calloc reusing a freed dirty block is zero", p && all_zero(p, 1000));
    memset(p, 0xff, 1000);
    memset(q, 0xff, 5000);
    slz_free(HEAP, p);
    slz_free(HEAP, q); /* merges with p's chunk and the top */
    p = slz_calloc(HEAP, 1, 6000);
    CHECK("calloc over merged dirty chunks is zero", p && all_zero(p, 6000));
    slz_free(HEAP, p);
    int callocs = 0;
    CHECK("random churn on caller memory: every calloc zero", churn(20000, 20000, &callocs) == 0);
    free_all();
    CHECK("heap clean (caller memory)", heap_clean());
    slz_heap_release();

    /* a mapped heap: fresh pages are zero, reused ones are not */
    CHECK("mapped heap of 8M", slz_heap_initialize_size(8u << 20) == 0);
    p = slz_malloc(HEAP, 300);
    memset(p, 0xff, slz_usable_size(HEAP, p));
    slz_free(HEAP, p);
    p = slz_calloc(HEAP, 3, 100);
    CHECK("calloc reusing the first dirty block", p && all_zero(p, 300));
    slz_free(HEAP, p);
    /* a dirty block shrunk in place: calloc of the freed tail */
    p = slz_malloc(HEAP, 4000);
    memset(p, 0xff, 4000);
    p = slz_realloc(HEAP, p, 100);
    q = slz_calloc(HEAP, 1, 3000);
    CHECK("calloc in the tail of a shrunk dirty block", q && q > p && all_zero(q, 3000));
    slz_free(HEAP, q);
    slz_free(HEAP, p);
    /* big blocks (their pages may be given back to the kernel when freed) */
    p = slz_malloc(HEAP, 1u << 20);
    memset(p, 0xff, 1u << 20);
    slz_free(HEAP, p);
    p = slz_calloc(HEAP, 1, 1u << 20);
    CHECK("calloc over a freed dirty 1M block", p && all_zero(p, 1u << 20));
    memset(p, 0xff, 1u << 20);
    slz_free(HEAP, p);
    p = slz_calloc(HEAP, 1, 300000);
    q = slz_calloc(HEAP, 1, 300000);
    CHECK("callocs inside a dirty region, freed in pieces", p && q && all_zero(p, 300000) && all_zero(q, 300000));
    slz_free(HEAP, p);
    slz_free(HEAP, q);
    callocs = 0;
    int bad = churn(30000, 400000, &callocs);
    printf("mapped heap: %d callocs checked\n", callocs);
    CHECK("random churn on a mapped heap: every calloc zero", bad == 0);
    CHECK("many callocs were checked", callocs > 5000);
    free_all();
    CHECK("heap clean (mapped)", heap_clean());

    /* overflow: NULL and ENOMEM */
    errno = 0;
    CHECK("calloc(SIZE_MAX/2 + 1, 2) overflows: ENOMEM",
          slz_calloc(HEAP, SIZE_MAX / 2 + 1, 2) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("calloc(2^33, 2^31) overflows: ENOMEM",
          slz_calloc(HEAP, (size_t)1 << 33, (size_t)1 << 31) == NULL && errno == ENOMEM);
    p = slz_calloc(HEAP, 0, 100);
    q = slz_calloc(HEAP, 100, 0);
    CHECK("calloc with a zero count or size gives unique blocks", p && q && p != q);
    slz_free(HEAP, p);
    slz_free(HEAP, q);
    return CHECK_DONE();
}
