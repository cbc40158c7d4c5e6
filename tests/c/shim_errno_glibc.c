/* shim_errno_glibc: what every failing entry point returns and leaves in
 * errno, printed one line per call so that the same program run without
 * the shim (glibc 2.36 itself) and under it can be compared line by line:
 * glibc is the oracle, nothing here says what the answer should be. Sizes
 * above PTRDIFF_MAX, sizes no machine can map (2^47 bytes and more, below
 * PTRDIFF_MAX), n * size overflows, bad and huge alignments, realloc of
 * blocks of both owners (a small one the core may hold, a 1M one glibc
 * holds) and whether the block survives, plus successful calls and free:
 * does errno stay as it was? errno is set to EDOM before every call, so a
 * line says "errno EDOM" when the call left it alone. The last line counts
 * the calls. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* every call goes through a pointer gcc cannot see through, so that it
 * cannot assume what a call with an impossible size does */
static void *(*volatile malloc_)(size_t) = malloc;
static void *(*volatile calloc_)(size_t, size_t) = calloc;
static void *(*volatile realloc_)(void *, size_t) = realloc;
static void *(*volatile reallocarray_)(void *, size_t, size_t) = reallocarray;
static int (*volatile posix_memalign_)(void **, size_t, size_t) = posix_memalign;
static void *(*volatile aligned_alloc_)(size_t, size_t) = aligned_alloc;
static void *(*volatile memalign_)(size_t, size_t) = memalign;
static void *(*volatile valloc_)(size_t) = valloc;
static void *(*volatile pvalloc_)(size_t) = pvalloc;
static void (*volatile free_)(void *) = free;

static int calls;

static const char *errno_name(int e)
{
    static char buf[32];
    switch (e) {
    case 0: return "0";
    case ENOMEM: return "ENOMEM";
    case EINVAL: return "EINVAL";
    case EDOM: return "EDOM (left alone)";
    default: snprintf(buf, sizeof buf, "%d", e); return buf;
    }
}

/* a block of n bytes with a pattern, and whether it still has it */
static char *pattern_block(size_t n)
{
    char *p = malloc_(n);
    if (!p) {
        printf("could not allocate %zu bytes\n", n);
        exit(99);
    }
    for (size_t i = 0; i < n; i++)
        p[i] = (char)(i * 7 + 3);
    return p;
}
static const char *intact(const char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (char)(i * 7 + 3))
            return "block damaged";
    return "block intact";
}

/* PTR: a call returning a pointer: NULL or a block (freed), and errno */
#define PTR(label, call)                                                                           \
    do {                                                                                           \
        errno = EDOM;                                                                              \
        void *p_ = (call);                                                                         \
        int e_ = errno;                                                                            \
        calls++;                                                                                   \
        printf("%-44s -> %s, errno %s\n", label, p_ ? "a block" : "NULL", errno_name(e_));          \
        free_(p_);                                                                                 \
    } while (0)

/* REALLOC: a realloc-like call on block b of n bytes: the answer, errno, and
 * whether b kept its contents when the call failed */
#define REALLOC(label, b, n, call)                                                                 \
    do {                                                                                           \
        errno = EDOM;                                                                              \
        void *p_ = (call);                                                                         \
        int e_ = errno;                                                                            \
        calls++;                                                                                   \
        printf("%-44s -> %s, errno %s%s%s\n", label, p_ ? "a block" : "NULL", errno_name(e_),         \
               p_ ? "" : ", ", p_ ? "" : intact(b, n));                                            \
        if (p_)                                                                                    \
            b = p_;                                                                                \
    } while (0)

/* PM: posix_memalign: the value returned, errno, and *memptr */
static void pm(const char *label, size_t align, size_t n)
{
    void *m = (void *)0x1234;
    errno = EDOM;
    int r = posix_memalign_(&m, align, n);
    int e = errno;
    calls++;
    printf("%-44s -> returns %s, errno %s, *memptr %s\n", label, r == 0 ? "0" : errno_name(r), errno_name(e),
           m == (void *)0x1234 ? "untouched" : "set");
    if (r == 0)
        free_(m);
}

int main(void)
{
    const size_t P = PTRDIFF_MAX, H = (size_t)1 << 47, S = SIZE_MAX;

    PTR("malloc(SIZE_MAX)", malloc_(S));
    PTR("malloc(PTRDIFF_MAX + 1)", malloc_(P + 1));
    PTR("malloc(PTRDIFF_MAX)", malloc_(P));
    PTR("malloc(2^47)", malloc_(H));
    PTR("malloc(0)", malloc_(0));
    PTR("malloc(100)", malloc_(100));
    PTR("malloc(1M)", malloc_(1 << 20));

    PTR("calloc(SIZE_MAX / 2 + 1, 2) (overflow)", calloc_(S / 2 + 1, 2));
    PTR("calloc(2^32, 2^32) (overflow)", calloc_((size_t)1 << 32, (size_t)1 << 32));
    PTR("calloc(SIZE_MAX, SIZE_MAX) (overflow)", calloc_(S, S));
    PTR("calloc(1, PTRDIFF_MAX + 1)", calloc_(1, P + 1));
    PTR("calloc(2^24, 2^23) (2^47)", calloc_((size_t)1 << 24, (size_t)1 << 23));
    PTR("calloc(0, SIZE_MAX)", calloc_(0, S));
    PTR("calloc(10, 10)", calloc_(10, 10));

    char *small = pattern_block(100), *big = pattern_block(1 << 20);
    PTR("realloc(NULL, SIZE_MAX)", realloc_(NULL, S));
    PTR("realloc(NULL, 2^47)", realloc_(NULL, H));
    REALLOC("realloc(small, SIZE_MAX)", small, 100, realloc_(small, S));
    REALLOC("realloc(small, PTRDIFF_MAX + 1)", small, 100, realloc_(small, P + 1));
    REALLOC("realloc(small, PTRDIFF_MAX)", small, 100, realloc_(small, P));
    REALLOC("realloc(small, 2^47)", small, 100, realloc_(small, H));
    REALLOC("realloc(big, SIZE_MAX)", big, 1 << 20, realloc_(big, S));
    REALLOC("realloc(big, 2^47)", big, 1 << 20, realloc_(big, H));
    REALLOC("realloc(small, 200)", small, 100, realloc_(small, 200));

    PTR("reallocarray(NULL, SIZE_MAX / 2 + 1, 2)", reallocarray_(NULL, S / 2 + 1, 2));
    PTR("reallocarray(NULL, 2^24, 2^23)", reallocarray_(NULL, (size_t)1 << 24, (size_t)1 << 23));
    REALLOC("reallocarray(small, SIZE_MAX / 4, 8)", small, 100, reallocarray_(small, S / 4, 8));
    REALLOC("reallocarray(small, 2^40, 2^40)", small, 100, reallocarray_(small, (size_t)1 << 40, (size_t)1 << 40));
    REALLOC("reallocarray(small, 2^24, 2^23)", small, 100, reallocarray_(small, (size_t)1 << 24, (size_t)1 << 23));
    REALLOC("reallocarray(big, SIZE_MAX / 4, 8)", big, 1 << 20, reallocarray_(big, S / 4, 8));
    REALLOC("reallocarray(big, 2^24, 2^23)", big, 1 << 20, reallocarray_(big, (size_t)1 << 24, (size_t)1 << 23));
    REALLOC("reallocarray(small, 20, 10)", small, 100, reallocarray_(small, 20, 10));
    free_(small);
    free_(big);
    PTR("realloc(small, 0) (frees it)", realloc_(pattern_block(100), 0));
    PTR("realloc(big, 0) (frees it)", realloc_(pattern_block(1 << 20), 0));
    PTR("reallocarray(small, 0, 10) (frees it)", reallocarray_(pattern_block(100), 0, 10));

    pm("posix_memalign(64, SIZE_MAX)", 64, S);
    pm("posix_memalign(8, SIZE_MAX - 100)", 8, S - 100);
    pm("posix_memalign(64, PTRDIFF_MAX)", 64, P);
    pm("posix_memalign(4096, 2^47)", 4096, H);
    pm("posix_memalign(2^40, 16)", (size_t)1 << 40, 16);
    pm("posix_memalign(2^63, 16)", (size_t)1 << 63, 16);
    pm("posix_memalign(0, 16)", 0, 16);
    pm("posix_memalign(3, 16)", 3, 16);
    pm("posix_memalign(12, 16)", 12, 16);
    pm("posix_memalign(24, 16)", 24, 16);
    pm("posix_memalign(0x300, 16)", 0x300, 16);
    pm("posix_memalign(3, SIZE_MAX)", 3, S);
    pm("posix_memalign(64, 100)", 64, 100);
    pm("posix_memalign(8, 0)", 8, 0);

    PTR("aligned_alloc(64, SIZE_MAX)", aligned_alloc_(64, S));
    PTR("aligned_alloc(64, PTRDIFF_MAX)", aligned_alloc_(64, P));
    PTR("aligned_alloc(4096, 2^47)", aligned_alloc_(4096, H));
    PTR("aligned_alloc(3, SIZE_MAX)", aligned_alloc_(3, S));
    PTR("aligned_alloc(0, SIZE_MAX)", aligned_alloc_(0, S));
    PTR("aligned_alloc(2^40, 16)", aligned_alloc_((size_t)1 << 40, 16));
    PTR("aligned_alloc(2^63, 16)", aligned_alloc_((size_t)1 << 63, 16));
    PTR("aligned_alloc(2^63 + 1, 16)", aligned_alloc_(((size_t)1 << 63) + 1, 16));
    PTR("aligned_alloc(SIZE_MAX, 16)", aligned_alloc_(S, 16));
    PTR("aligned_alloc(64, 100)", aligned_alloc_(64, 100));

    PTR("memalign(64, SIZE_MAX)", memalign_(64, S));
    PTR("memalign(4096, SIZE_MAX - 100)", memalign_(4096, S - 100));
    PTR("memalign(64, PTRDIFF_MAX)", memalign_(64, P));
    PTR("memalign(4096, 2^47)", memalign_(4096, H));
    PTR("memalign(48, SIZE_MAX)", memalign_(48, S));
    PTR("memalign(2^40, 16)", memalign_((size_t)1 << 40, 16));
    PTR("memalign(2^63, 16)", memalign_((size_t)1 << 63, 16));
    PTR("memalign(SIZE_MAX, 16)", memalign_(S, 16));
    PTR("memalign(64, 100)", memalign_(64, 100));

    PTR("valloc(SIZE_MAX)", valloc_(S));
    PTR("valloc(SIZE_MAX - 4095)", valloc_(S - 4095));
    PTR("valloc(PTRDIFF_MAX)", valloc_(P));
    PTR("valloc(2^47)", valloc_(H));
    PTR("valloc(100)", valloc_(100));

    PTR("pvalloc(SIZE_MAX)", pvalloc_(S));
    PTR("pvalloc(SIZE_MAX - 100)", pvalloc_(S - 100));
    PTR("pvalloc(PTRDIFF_MAX)", pvalloc_(P));
    PTR("pvalloc(PTRDIFF_MAX - 4095)", pvalloc_(P - 4095));
    PTR("pvalloc(2^47)", pvalloc_(H));
    PTR("pvalloc(100)", pvalloc_(100));

    /* free, of a block of either owner and of NULL */
    static const size_t sizes[] = {16, 100, 1 << 20};
    for (size_t i = 0; i < 3; i++) {
        void *b = malloc_(sizes[i]);
        errno = EDOM;
        free_(b);
        int e = errno;
        calls++;
        char label[64];
        snprintf(label, sizeof label, "free(a block of %zu bytes)", sizes[i]);
        printf("%-44s -> errno %s\n", label, errno_name(e));
    }
    errno = EDOM;
    free_(NULL);
    int e = errno;
    calls++;
    printf("%-44s -> errno %s\n", "free(NULL)", errno_name(e));
    printf("%d calls\n", calls);
    return 0;
}
