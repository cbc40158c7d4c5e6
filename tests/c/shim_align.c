/* shim_align: every size 0..4096 from malloc, calloc, realloc and
 * reallocarray is 16-byte aligned with at least the bytes asked for, all
 * writable; posix_memalign, aligned_alloc, memalign, valloc and pvalloc meet
 * every alignment from 1 to 64K (pvalloc also rounds the size up to a page).
 * Passes without the shim (glibc) and under it with either heap. */
#define _GNU_SOURCE
#include <errno.h>
#include "shim_probe.h"

enum { MAXN = 4096 };
static char *blk[MAXN + 1];

int main(void)
{
    int misaligned = 0, short_usable = 0, damaged = 0, missing = 0;
    for (size_t n = 0; n <= MAXN; n++) {
        char *p;
        switch (n % 4) {
        case 0: p = malloc(n); break;
        case 1: p = calloc(1, n); break;
        case 2: p = realloc(malloc(n / 3 + 1), n); break;
        default: p = reallocarray(NULL, 1, n);
        }
        blk[n] = p;
        if (!p) {
            missing++;
            continue;
        }
        misaligned += ((uintptr_t)p & 15) != 0;
        size_t u = malloc_usable_size(p);
        short_usable += u < n;
        pfill(p, u, (unsigned)n);
        if (n % 3 == 0) { /* leave holes for the aligned requests below */
            free(blk[n - (n > 0)]);
            blk[n - (n > 0)] = NULL;
        }
    }
    CHECK("every size 0..4096 served", missing == 0);
    CHECK("every size 0..4096 16-byte aligned (malloc, calloc, realloc, reallocarray)", misaligned == 0);
    CHECK("malloc_usable_size at least the request", short_usable == 0);

    long page = sysconf(_SC_PAGESIZE);
    static const size_t sizes[] = {0, 1, 16, 17, 100, 1000, 4096, 10000, 200000};
    int bad_align = 0, bad_size = 0, failed = 0, count = 0;
    for (size_t align = 1; align <= 65536; align *= 2)
        for (size_t i = 0; i < sizeof sizes / sizeof sizes[0]; i++) {
            size_t n = sizes[i], want = align < 16 ? 16 : align;
            void *p[5] = {0};
            if (align >= sizeof(void *) && posix_memalign(&p[0], align, n) != 0)
                failed++;
            p[1] = aligned_alloc(align, n);
            p[2] = memalign(align, n);
            p[3] = valloc(n);
            p[4] = pvalloc(n);
            for (int k = 0; k < 5; k++) {
                size_t a = k >= 3 ? (size_t)page : want;
                if (k == 0 && align < sizeof(void *))
                    continue;
                count++;
                if (!p[k]) {
                    failed++;
                    continue;
                }
                bad_align += ((uintptr_t)p[k] & (a - 1)) != 0;
                size_t u = malloc_usable_size(p[k]);
                size_t need = k == 4 ? (n + (size_t)page - 1) / (size_t)page * (size_t)page : n;
                bad_size += u < need;
                memset(p[k], 0x3c, u);
            }
            for (int k = 0; k < 5; k++)
                free(p[k]);
        }
    printf("%d aligned requests\n", count);
    CHECK("every aligned request served", failed == 0);
    CHECK("posix_memalign/aligned_alloc/memalign meet 1..64K, valloc/pvalloc a page", bad_align == 0);
    CHECK("aligned blocks hold the size (pvalloc: rounded up to a page)", bad_size == 0);
    /* glibc 2.36: a non-power-of-two alignment is rounded up */
    void *q = aligned_alloc(96, 10), *r = memalign(3000, 10);
    CHECK("aligned_alloc(96) aligned to 128, memalign(3000) to 4096",
          q && r && ((uintptr_t)q & 127) == 0 && ((uintptr_t)r & 4095) == 0);
    free(q);
    free(r);
    for (size_t n = 0; n <= MAXN; n++)
        if (blk[n]) {
            damaged += !pfilled(blk[n], malloc_usable_size(blk[n]), (unsigned)n);
            free(blk[n]);
        }
    CHECK("no block damaged by writes to every usable byte of the others", damaged == 0);
    return CHECK_DONE();
}
