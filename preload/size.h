/*
 * size.h - the one parser of sizes ("123", "64K", "256M", "1G"), header-only
 * so that the shim (SLZ_HEAP_SIZE), slz-replay, the benchmarks and the tests
 * all read a size the same way. It allocates nothing and calls nothing: the
 * shim runs it before its heap exists.
 */
#ifndef SLZ_SIZE_H
#define SLZ_SIZE_H

#include <stddef.h>
#include <stdint.h>

/* slz_parse_size: decimal digits, then an optional K, M or G (powers of
 * 1024, any case), then an optional B; nothing else. Returns the size, or 0
 * on a bad value (zero included); then, when why is not NULL, *why says what
 * is wrong in a phrase for a warning line (else *why is NULL). */
static inline size_t slz_parse_size(const char *s, const char **why)
{
    const char *dummy;
    size_t v = 0;
    unsigned shift = 0;
    int big = 0;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    if (s == NULL || *s < '0' || *s > '9') {
        *why = "not a number (digits, then K, M or G, e.g. 256M)";
        return 0;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (SIZE_MAX - 9) / 10)
            big = 1;
        v = v * 10 + (size_t)(*s - '0');
    }
    if (*s == '.' || *s == ',') {
        *why = "not a whole number (write 1.5G as 1536M)";
        return 0;
    }
    switch (*s) {
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    }
    if (*s == 'b' || *s == 'B')
        s++;
    if (*s != '\0') {
        *why = "unknown suffix (use K, M or G, e.g. 256M)";
        return 0;
    }
    if (big || v > (SIZE_MAX >> shift)) {
        *why = "too large";
        return 0;
    }
    if (v == 0)
        *why = "zero (the heap needs at least one page)";
    return v << shift;
}

#endif
