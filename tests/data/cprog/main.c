/* main.c - reads text on stdin, prints the 20 most frequent words and a
 * checksum; every word is a heap string, the table grows by realloc. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "words.h"

int main(void)
{
    struct table t = {0};
    size_t cap = 256, len = 0;
    char *buf = malloc(cap);
    int c;
    unsigned long all = 0;
    while ((c = getchar()) != EOF || len) {
        if (c != EOF && (isalnum(c) || c == '_')) {
            if (len + 1 == cap)
                buf = realloc(buf, cap *= 2);
            buf[len++] = (char)c;
            continue;
        }
        if (len) {
            table_add(&t, buf, len);
            all ^= checksum(buf, len);
            len = 0;
        }
        if (c == EOF)
            break;
    }
    table_sort(&t);
    for (size_t i = 0; i < t.n && i < 20; i++)
        printf("%lu %s\n", t.w[i].count, t.w[i].text);
    printf("%zu distinct, checksum %016lx\n", t.n, all);
    free(buf);
    table_free(&t);
    return 0;
}
