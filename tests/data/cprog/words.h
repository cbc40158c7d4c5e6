/* words.h - a tiny word-frequency table for the stock gcc/make tests. */
#ifndef WORDS_H
#define WORDS_H
#include <stddef.h>

struct word {
    char *text;
    unsigned long count;
};
struct table {
    struct word *w;
    size_t n, cap;
};

void table_add(struct table *t, const char *text, size_t len);
void table_sort(struct table *t);
void table_free(struct table *t);
unsigned long checksum(const char *s, size_t len);
#endif
