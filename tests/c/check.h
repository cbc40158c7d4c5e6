/* check.h - a tiny harness: CHECK(name, expr) counts failures; main returns
 * the count, so a test program fails when any check fails. */
#ifndef SLZ_TEST_CHECK_H
#define SLZ_TEST_CHECK_H
#include <stddef.h>
#include <stdio.h>

static int check_failures, check_count;
#define CHECK(name, expr)                                                                          \
    do {                                                                                           \
        check_count++;                                                                             \
        if (!(expr)) {                                                                             \
            check_failures++;                                                                      \
            fprintf(stderr, "FAIL %s:%d: %s: %s\n", __FILE__, __LINE__, (name), #expr);            \
        }                                                                                          \
    } while (0)
/* all_zero: the n bytes at p are all zero. */
static inline int all_zero(const void *p, size_t n)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i])
            return 0;
    return 1;
}

#define CHECK_DONE()                                                                               \
    (printf("%d checks, %d failed\n", check_count, check_failures), check_failures ? 1 : 0)
#endif
