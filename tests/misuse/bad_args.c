/* bad_args: impossible sizes and bad alignments are not misuse. They fail
 * with NULL (or an error code) and errno ENOMEM / EINVAL, as glibc's do,
 * and leave the heap and any block given in untouched. Exit code = failed
 * checks; the same program passes bare (glibc) and under the shim. */
#include <errno.h>
#include <stdint.h>
#include "misuse.h"
#include "../c/check.h"

/* fails_with: call returned NULL and set errno to e. */
#define FAILS_WITH(name, call, e)                                                                  \
    do {                                                                                           \
        errno = 0;                                                                                 \
        void *r_ = opaque(call);                                                                   \
        CHECK(name, r_ == NULL && errno == (e));                                                   \
    } while (0)

int main(void)
{
    char *p = malloc(100);
    CHECK("a small block to keep", p != NULL);
    memset(p, 'p', 100);
    size_t big = (size_t)PTRDIFF_MAX + 1;

    FAILS_WITH("malloc(SIZE_MAX)", malloc(SIZE_MAX), ENOMEM);
    FAILS_WITH("malloc(PTRDIFF_MAX + 1)", malloc(big), ENOMEM);
    FAILS_WITH("malloc(SIZE_MAX - 8)", malloc(SIZE_MAX - 8), ENOMEM);
    FAILS_WITH("calloc overflow", calloc(SIZE_MAX / 2, 3), ENOMEM);
    FAILS_WITH("calloc(1, SIZE_MAX)", calloc(1, SIZE_MAX), ENOMEM);
    FAILS_WITH("realloc(p, SIZE_MAX)", realloc(p, SIZE_MAX), ENOMEM);
    FAILS_WITH("realloc(p, PTRDIFF_MAX + 1)", realloc(p, big), ENOMEM);
    FAILS_WITH("reallocarray overflow", reallocarray(p, SIZE_MAX / 4, 8), ENOMEM);
    FAILS_WITH("memalign(64, SIZE_MAX)", memalign(64, SIZE_MAX), ENOMEM);
    FAILS_WITH("aligned_alloc(4096, SIZE_MAX - 100)", aligned_alloc(4096, SIZE_MAX - 100), ENOMEM);
    FAILS_WITH("valloc(SIZE_MAX)", valloc(SIZE_MAX), ENOMEM);
    FAILS_WITH("pvalloc(SIZE_MAX)", pvalloc(SIZE_MAX), ENOMEM);
    FAILS_WITH("memalign(huge alignment)", memalign(big + 1, 16), EINVAL);

    void *q = &q;
    CHECK("posix_memalign(0) is EINVAL", posix_memalign(&q, 0, 16) == EINVAL && q == &q);
    CHECK("posix_memalign(3) is EINVAL", posix_memalign(&q, 3, 16) == EINVAL && q == &q);
    CHECK("posix_memalign(24) is EINVAL", posix_memalign(&q, 24, 16) == EINVAL && q == &q);
    CHECK("posix_memalign(0x300) is EINVAL", posix_memalign(&q, 0x300, 16) == EINVAL && q == &q);
    CHECK("posix_memalign(4) is EINVAL", posix_memalign(&q, 4, 16) == EINVAL && q == &q);
    CHECK("posix_memalign(SIZE_MAX) is ENOMEM", posix_memalign(&q, 64, SIZE_MAX) == ENOMEM && q == &q);

    int kept = 1;
    for (int i = 0; i < 100; i++)
        kept &= p[i] == 'p';
    CHECK("the block survived every failed call intact", kept);
    errno = 1234;
    free(p);
    CHECK("free keeps errno", errno == 1234);
    return CHECK_DONE();
}
