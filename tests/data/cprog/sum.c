/* sum.c - FNV-1a over a byte string. */
#include "words.h"

unsigned long checksum(const char *s, size_t len)
{
    unsigned long h = 1469598103934665603ul;
    for (size_t i = 0; i < len; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ul;
    return h;
}
