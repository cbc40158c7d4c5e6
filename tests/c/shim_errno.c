/* shim_errno: glibc's documented semantics at every entry point, checked
 * the same way without the shim (glibc itself) and under it with either heap:
 * ENOMEM for huge sizes and overflow, EINVAL for bad alignments with *memptr
 * untouched, a failed realloc keeping the block, free keeping errno for
 * every owner, realloc(p, 0), realloc(NULL, n), unique malloc(0) and
 * calloc(0, n), malloc_usable_size(NULL) == 0. */
#define _GNU_SOURCE
#include <errno.h>
#include <stdint.h>
#include "shim_probe.h"

/* the sizes are impossible on purpose */
#pragma GCC diagnostic ignored "-Walloc-size-larger-than="
#pragma GCC diagnostic ignored "-Wuse-after-free"

static int fails_with(void *p, int err)
{
    int e = errno;
    if (p) {
        free(p);
        return 0;
    }
    return e == err;
}

/* gcc assumes its builtin free() leaves errno alone and would fold the
 * "free keeps errno" checks away: call free through a pointer it cannot see. */
static void (*volatile free_opaque)(void *) = free;
/* likewise it may assume posix_memalign() leaves *memptr alone on error */
static int (*volatile posix_memalign_opaque)(void **, size_t, size_t) = posix_memalign;

int main(void)
{
    size_t big = (size_t)PTRDIFF_MAX + 1;
    errno = 0;
    CHECK("malloc(SIZE_MAX): ENOMEM", fails_with(malloc(SIZE_MAX), ENOMEM));
    errno = 0;
    CHECK("malloc(PTRDIFF_MAX + 1): ENOMEM", fails_with(malloc(big), ENOMEM));
    errno = 0;
    CHECK("malloc(PTRDIFF_MAX): ENOMEM", fails_with(malloc(PTRDIFF_MAX), ENOMEM));
    errno = 0;
    CHECK("calloc(SIZE_MAX / 2 + 1, 2) overflows: ENOMEM", fails_with(calloc(SIZE_MAX / 2 + 1, 2), ENOMEM));
    errno = 0;
    CHECK("calloc(2^32, 2^32) overflows: ENOMEM", fails_with(calloc((size_t)1 << 32, (size_t)1 << 32), ENOMEM));
    errno = 0;
    CHECK("calloc(1, PTRDIFF_MAX + 1): ENOMEM", fails_with(calloc(1, big), ENOMEM));
    errno = 0;
    CHECK("aligned_alloc(64, SIZE_MAX): ENOMEM", fails_with(aligned_alloc(64, SIZE_MAX), ENOMEM));
    errno = 0;
    CHECK("memalign(4096, SIZE_MAX - 100): ENOMEM", fails_with(memalign(4096, SIZE_MAX - 100), ENOMEM));
    errno = 0;
    CHECK("valloc(SIZE_MAX): ENOMEM", fails_with(valloc(SIZE_MAX), ENOMEM));
    errno = 0;
    CHECK("pvalloc(SIZE_MAX): ENOMEM", fails_with(pvalloc(SIZE_MAX), ENOMEM));

    /* failed realloc / reallocarray: NULL, ENOMEM, block intact */
    char *p = malloc(200);
    pfill(p, 200, 1);
    errno = 0;
    CHECK("realloc(p, SIZE_MAX): NULL, ENOMEM", realloc(p, SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("reallocarray overflow: NULL, ENOMEM", reallocarray(p, SIZE_MAX / 4, 8) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("reallocarray(p, 2^40, 2^40): NULL, ENOMEM",
          reallocarray(p, (size_t)1 << 40, (size_t)1 << 40) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("realloc(p, 2^47) (more than the address space, below PTRDIFF_MAX): NULL, ENOMEM",
          realloc(p, (size_t)1 << 47) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("reallocarray(p, 2^24, 2^23): NULL, ENOMEM", reallocarray(p, 1u << 24, 1u << 23) == NULL && errno == ENOMEM);
    CHECK("the block survives failed reallocs", pfilled(p, 200, 1) && malloc_usable_size(p) >= 200);
    char *q = reallocarray(p, 100, 4);
    CHECK("reallocarray(p, 100, 4) grows and keeps contents", q && pfilled(q, 200, 1));
    q = reallocarray(q, 10, 5);
    CHECK("reallocarray(p, 10, 5) shrinks and keeps contents", q && pfilled(q, 50, 1));
    free(q);
    q = reallocarray(NULL, 7, 9);
    CHECK("reallocarray(NULL, 7, 9) allocates", q && malloc_usable_size(q) >= 63);
    free(q);

    /* posix_memalign: EINVAL for bad alignments, *memptr untouched */
    static const size_t bad[] = {0, 1, 2, 3, 4, 12, 0x300, 3 * sizeof(void *), 100, (size_t)1 << 63 | 8};
    int einval = 0, untouched = 0;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        void *m = (void *)0x1234;
        int r = posix_memalign_opaque(&m, bad[i], 64);
        einval += r == EINVAL;
        untouched += m == (void *)0x1234;
    }
    CHECK("posix_memalign with 0, 1, 2, 3, 4, 12, 0x300, 3*sizeof(void *), 100: EINVAL",
          einval == (int)(sizeof bad / sizeof bad[0]));
    CHECK("posix_memalign leaves *memptr untouched on EINVAL", untouched == (int)(sizeof bad / sizeof bad[0]));
    void *m = (void *)0x1234;
    errno = 0;
    int r = posix_memalign_opaque(&m, 64, SIZE_MAX - 1000);
    CHECK("posix_memalign of a huge size: ENOMEM, *memptr untouched", r == ENOMEM && m == (void *)0x1234);
    r = posix_memalign(&m, 64, 0);
    CHECK("posix_memalign of size 0 succeeds", r == 0 && m != (void *)0x1234 && ((uintptr_t)m & 63) == 0);
    free(m);
    r = posix_memalign(&m, sizeof(void *), 10);
    CHECK("posix_memalign(sizeof(void *)) succeeds", r == 0 && ((uintptr_t)m & 15) == 0);
    free(m);

    /* free keeps errno, whoever owns the block (small ones may come from the
     * core, a 1M one from glibc under a small heap) */
    static const size_t sizes[] = {1, 100, 5000, 1u << 20};
    int kept = 0;
    for (size_t i = 0; i < 4; i++) {
        void *b = malloc(sizes[i]);
        errno = 9876;
        free_opaque(b);
        kept += errno == 9876;
        void *a = aligned_alloc(256, sizes[i]);
        errno = ENOENT;
        free_opaque(a);
        kept += errno == ENOENT;
    }
    errno = 55;
    free_opaque(NULL);
    kept += errno == 55;
    CHECK("free keeps errno (both owners, aligned blocks, NULL)", kept == 9);

    /* realloc(NULL, n) is malloc(n); realloc(p, 0) frees p and returns NULL */
    p = realloc(NULL, 300);
    CHECK("realloc(NULL, 300) allocates", p && malloc_usable_size(p) >= 300);
    pfill(p, 300, 2);
    errno = 0;
    CHECK("realloc(p, 0) returns NULL", realloc(p, 0) == NULL);
    p = malloc(1u << 20);
    CHECK("realloc(big p, 0) returns NULL", p && realloc(p, 0) == NULL);

    /* malloc(0), calloc(0, n): unique pointers that can be freed */
    enum { Z = 200 };
    static void *z[Z];
    int dup = 0, null = 0;
    for (int i = 0; i < Z; i++) {
        z[i] = i % 3 == 0 ? malloc(0) : i % 3 == 1 ? calloc(0, 10) : calloc(10, 0);
        null += z[i] == NULL;
        for (int j = 0; j < i; j++)
            dup += z[i] == z[j];
    }
    CHECK("malloc(0) and calloc(0, n) give distinct non-NULL pointers", dup == 0 && null == 0);
    for (int i = 0; i < Z; i++)
        free(z[i]);
    CHECK("malloc_usable_size(NULL) is 0", malloc_usable_size(NULL) == 0);
    void *al = aligned_alloc(16, 0);
    CHECK("aligned_alloc(16, 0) gives a pointer", al != NULL);
    free(al);
    /* glibc 2.36: memalign and aligned_alloc round a non-power-of-two up */
    al = memalign(48, 100);
    CHECK("memalign(48, 100) gives a block aligned to 64", al && ((uintptr_t)al & 63) == 0);
    free(al);
    return CHECK_DONE();
}
