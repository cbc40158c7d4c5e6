/* words.c - grow-by-realloc table of words, sorted by count then text. */
#include <stdlib.h>
#include <string.h>
#include "words.h"

void table_add(struct table *t, const char *text, size_t len)
{
    for (size_t i = 0; i < t->n; i++)
        if (strlen(t->w[i].text) == len && memcmp(t->w[i].text, text, len) == 0) {
            t->w[i].count++;
            return;
        }
    if (t->n == t->cap) {
        t->cap = t->cap ? 2 * t->cap : 4;
        t->w = realloc(t->w, t->cap * sizeof *t->w);
    }
    t->w[t->n].text = strndup(text, len);
    t->w[t->n++].count = 1;
}

static int by_count(const void *a, const void *b)
{
    const struct word *x = a, *y = b;
    if (x->count != y->count)
        return x->count < y->count ? 1 : -1;
    return strcmp(x->text, y->text);
}

void table_sort(struct table *t) { qsort(t->w, t->n, sizeof *t->w, by_count); }

void table_free(struct table *t)
{
    for (size_t i = 0; i < t->n; i++)
        free(t->w[i].text);
    free(t->w);
}
