/* core_release: a heap on anonymous memory gives back the pages of big free
 * chunks, the pages of their cells too, and stays whole: 32,000 blocks of
 * 4,000 bytes, one in 1,000 kept, the rest freed one by one; the resident
 * set must drop, every invariant must hold, the kept blocks keep their
 * bytes, and the space is handed out again (calloc'd blocks all zero).
 * Then slz_heap_trim: free chunks of 16 KB, too small for a free to give
 * back (under the step beyond the keep zone), give back their pages beyond
 * the first when the heap is trimmed. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include "check.h"
#include "slz.h"

enum { N = 32000, SIZE = 4000, KEEP = 1000 };
static char *blk[N];

/* resident_mb: this process's resident set, from /proc/self/statm. */
static long resident_mb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE) / (1 << 20);
}

/* trimmed: 20,000 blocks of 4,000 bytes, four of every five freed (free
 * chunks of 16 KB that keep their pages), then the heap trimmed. */
enum { TN = 20000 };
static char *tb[TN];
static void trimmed(void)
{
    slz_heap *h = slz_heap_create((size_t)128 << 20);
    CHECK("a 128 MiB heap", h != NULL);
    if (!h)
        return;
    for (int i = 0; i < TN; i++)
        if ((tb[i] = slz_malloc(h, SIZE)) != NULL)
            memset(tb[i], i % 5 ? 0x5a : 0x33, SIZE);
    for (int i = 0; i < TN; i++)
        if (i % 5)
            slz_free(h, tb[i]);
    long before = resident_mb();
    slz_heap_trim(h);
    long after = resident_mb();
    printf("resident: %ld MB before slz_heap_trim, %ld MB after\n", before, after);
    CHECK("the small free chunks' pages went back at the trim", before - after > 20);
    int kept_ok = 1;
    for (int i = 0; i < TN; i += 5)
        for (int j = 0; j < SIZE; j++)
            kept_ok &= tb[i][j] == 0x33;
    CHECK("trimmed: the blocks keep their bytes, the heap is whole", kept_ok && slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

int main(void)
{
    slz_heap *h = slz_heap_create((size_t)256 << 20);
    const char *what = NULL;
    CHECK("a 256 MiB heap", h != NULL);
    if (!h)
        return CHECK_DONE();
    for (int i = 0; i < N; i++)
        if ((blk[i] = slz_malloc(h, SIZE)) != NULL)
            memset(blk[i], i % KEEP ? 0x5a : 0x33, SIZE);
    long full = resident_mb();
    for (int i = 0; i < N; i++)
        if (i % KEEP) {
            slz_free(h, blk[i]);
            blk[i] = NULL;
        }
    long after = resident_mb();
    printf("resident: %ld MB with every block, %ld MB after the frees\n", full, after);
    CHECK("the freed blocks' pages went back", full - after > 100);
    CHECK("heap whole after the frees", slz_heap_check(h, &what) == 0);
    int kept_ok = 1;
    for (int i = 0; i < N; i += KEEP)
        for (int j = 0; j < SIZE; j++)
            kept_ok &= blk[i][j] == 0x33;
    CHECK("kept blocks keep their bytes", kept_ok);
    int zero = 1, got = 0;
    for (int i = 0; i < N; i++)
        if (i % KEEP) {
            blk[i] = i % 2 ? slz_calloc(h, 1, SIZE) : slz_malloc(h, SIZE);
            got += blk[i] != NULL;
            if (blk[i] && i % 2)
                zero &= all_zero(blk[i], SIZE);
        }
    CHECK("the space is handed out again", got == N - N / KEEP);
    CHECK("calloc over given-back pages is zero", zero);
    CHECK("heap whole after the reuse", slz_heap_check(h, &what) == 0);
    if (what)
        fprintf(stderr, "first violation: %s\n", what);
    slz_heap_destroy(h);
    trimmed();
    return CHECK_DONE();
}
