/* shim_fallback: when the slz heap is full (the default heap is one page),
 * allocations still succeed, served by glibc; the blocks of both owners keep
 * their contents, free goes to the right owner, and once blocks are freed the
 * core serves again. Which owner served each block is read from glibc's own
 * count of bytes handed out (see shim_probe.h). Without the shim nothing is
 * served by the core, so the program fails there. */
#define _GNU_SOURCE
#include "shim_probe.h"

enum { MAX = 100000, GLIBC_WANTED = 50 };
static char *blk[MAX];
static char owner[MAX];

int main(int argc, char **argv)
{
    (void)argc;
    probe_start(argv);
    char who_;
    int n = 0, core = 0, glibc = 0, nulls = 0, core_after_glibc = 0;
    /* fill the heap with 200-byte blocks until glibc has served a few */
    while (n < MAX && glibc < GLIBC_WANTED) {
        WHO(blk[n], malloc(200));
        owner[n] = who_;
        nulls += blk[n] == NULL;
        if (who_ == 'c') {
            core++;
            core_after_glibc += glibc > 0;
        } else {
            glibc++;
        }
        pfill(blk[n], 200, (unsigned)n);
        n++;
    }
    printf("%d blocks: %d from the core, then %d from glibc\n", n, core, glibc);
    CHECK("every allocation succeeded", nulls == 0);
    CHECK("the core served the first blocks", core > 0 && owner[0] == 'c');
    CHECK("glibc served once the heap was full", glibc == GLIBC_WANTED);
    CHECK("the core served (almost) nothing after the first fallback", core_after_glibc <= 2);

    /* other entry points on a full heap fall back too, and work */
    char *c, *a, *r;
    WHO(c, calloc(50, 20));
    char c_who = who_;
    WHO(a, aligned_alloc(64, 200));
    char a_who = who_;
    WHO(r, realloc(NULL, 300));
    char r_who = who_;
    CHECK("calloc, aligned_alloc and realloc(NULL) served by glibc on a full heap",
          c_who == 'g' && a_who == 'g' && r_who == 'g');
    CHECK("the fallback blocks are usable", c && all_zero(c, 1000) && a && ((uintptr_t)a & 63) == 0 && r);
    free(c);
    free(a);
    free(r);

    /* usable sizes, contents, then a core block grown past the heap moves to
     * glibc with its contents */
    int bad = 0, short_usable = 0;
    for (int i = 0; i < n; i++) {
        bad += !pfilled(blk[i], 200, (unsigned)i);
        short_usable += malloc_usable_size(blk[i]) < 200;
    }
    CHECK("all blocks intact, usable size >= 200", bad == 0 && short_usable == 0);
    size_t before = glibc_bytes();
    char *moved = realloc(blk[0], 10000);
    CHECK("a core block grown past the heap moves to glibc", moved && glibc_bytes() > before);
    CHECK("and keeps its contents", moved && pfilled(moved, 200, 0));
    blk[0] = moved;
    owner[0] = 'g';

    /* free in an interleaved order: glibc's count drops exactly for its blocks */
    int misrouted = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = pass; i < n; i += 2) {
            size_t b = glibc_bytes();
            free(blk[i]);
            misrouted += (glibc_bytes() != b) != (owner[i] == 'g');
        }
    CHECK("each free went to the owner of its block", misrouted == 0);
    void *again;
    WHO(again, malloc(200));
    CHECK("after the frees the core serves again", who_ == 'c');
    free(again);
    return CHECK_DONE();
}
