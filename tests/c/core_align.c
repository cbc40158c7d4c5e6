/* core_align: every block is 16-byte aligned with at least the requested
 * bytes usable and writable, for every size 0..4096 from malloc, calloc and
 * realloc; slz_aligned_alloc meets every power-of-two alignment from 16 to
 * 64K for a spread of sizes, treats smaller ones as 16, and refuses bad ones
 * with EINVAL. */
#include <errno.h>
#include "core_view.h"

enum { MAXN = 4096 };
static char *blk[MAXN + 1];

int main(void)
{
    CHECK("mapped heap of 32M", slz_heap_initialize_size(32u << 20) == 0);
    int misaligned = 0, short_usable = 0, damaged = 0, missing = 0;
    for (size_t n = 0; n <= MAXN; n++) {
        char *p = n % 3 == 0 ? slz_malloc(HEAP, n)
                  : n % 3 == 1 ? slz_calloc(HEAP, 1, n)
                               : slz_realloc(HEAP, slz_malloc(HEAP, n / 2), n);
        blk[n] = p;
        if (!p) {
            missing++;
            continue;
        }
        misaligned += ((uintptr_t)p & 15) != 0;
        size_t u = slz_usable_size(HEAP, p);
        short_usable += u < n;
        fill(p, u, (unsigned)n); /* every usable byte is the user's */
    }
    CHECK("every size served", missing == 0);
    CHECK("every size 0..4096 16-byte aligned (malloc, calloc, realloc)", misaligned == 0);
    CHECK("usable size at least the request", short_usable == 0);
    CHECK("heap clean after filling every usable byte", heap_clean());
    for (size_t n = 0; n <= MAXN; n++)
        if (blk[n]) {
            damaged += !filled(blk[n], slz_usable_size(HEAP, blk[n]), (unsigned)n);
            if (n % 2)
                slz_free(HEAP, blk[n]), blk[n] = NULL;
        }
    CHECK("no block damaged by its neighbours", damaged == 0);

    /* aligned allocations in the holes left by the odd sizes */
    static const size_t sizes[] = {0, 1, 15, 16, 17, 48, 100, 1000, 4095, 4096, 5000, 70000};
    int bad_align = 0, bad_usable = 0, refused = 0, count = 0;
    for (size_t align = 16; align <= 65536; align *= 2)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            char *p = slz_memalign(HEAP, align, sizes[i]);
            count++;
            if (!p) {
                refused++;
                continue;
            }
            bad_align += ((uintptr_t)p & (align - 1)) != 0;
            size_t u = slz_usable_size(HEAP, p);
            bad_usable += u < sizes[i];
            memset(p, 0x5a, u);
            if (!heap_clean()) {
                fprintf(stderr, "heap damaged after aligned_alloc(%zu, %zu)\n", align, sizes[i]);
                damaged++;
            }
            if (i % 2)
                slz_free(HEAP, p);
        }
    printf("%d aligned requests\n", count);
    CHECK("every aligned request served", refused == 0);
    CHECK("every alignment 16..64K met", bad_align == 0);
    CHECK("aligned blocks have the bytes asked for", bad_usable == 0);
    CHECK("aligned blocks written whole keep the heap clean", damaged == 0);

    for (size_t align = 1; align < 16; align *= 2) {
        char *p = slz_memalign(HEAP, align, 24);
        CHECK("alignments below 16 give 16-aligned blocks", p && ((uintptr_t)p & 15) == 0);
        slz_free(HEAP, p);
    }
    static const size_t bad[] = {0, 3, 24, 48, 0x300, 3 * sizeof(void *), SIZE_MAX};
    int einval = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        errno = 0;
        void *p = slz_memalign(HEAP, bad[i], 64);
        einval += p == NULL && errno == EINVAL;
    }
    CHECK("alignments 0, 3, 24, 48, 0x300, 3*sizeof(void*), SIZE_MAX refused with EINVAL",
          einval == (int)(sizeof bad / sizeof bad[0]));
    errno = 0;
    CHECK("an alignment larger than the heap fails with ENOMEM",
          slz_memalign(HEAP, (size_t)1 << 40, 64) == NULL && errno == ENOMEM);
    CHECK("heap clean at the end", heap_clean());
    return CHECK_DONE();
}
