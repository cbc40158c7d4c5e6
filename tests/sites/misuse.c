/*
 * misuse.c - heap misuse whose report must name the sites (tests/sites.bats).
 * Built with -g -O0; the lines marked SITE:<name> are the ones a report
 * must point at (the test finds their numbers with grep).
 *
 *   misuse double    a block freed twice: allocated in make_block, first
 *                    freed in drop_block, freed again in main
 *   misuse invalid   free of a pointer inside a live block from make_block
 *   misuse overflow  one byte written past the end of a block from
 *                    make_block, then free (the core sees the damage there)
 *   misuse header    the same write, then free of the block above, whose
 *                    header it damaged: the report names both blocks
 *   misuse thread    a block freed by another thread (drop_in_thread), then
 *                    again by its owner
 *   misuse realloc   a block freed by drop_block, then realloc'd
 */
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) static char *make_block(size_t n)
{
    char *p = malloc(n); /* SITE:alloc */
    memset(p, 'x', n);
    return p;
}

__attribute__((noinline)) static void drop_block(char *p)
{
    free(p); /* SITE:first_free */
}

static void *drop_in_thread(void *p)
{
    free(p); /* SITE:thread_free */
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    const char *what = argv[1];
    char *p = make_block(40); /* SITE:caller */
    if (!strcmp(what, "double")) {
        drop_block(p); /* SITE:drop */
        free(p); /* SITE:second_free */
    } else if (!strcmp(what, "invalid")) {
        free(p + 8);
    } else if (!strcmp(what, "overflow") || !strcmp(what, "header")) {
        size_t n = 40;
        char *q = make_block(40); /* SITE:caller_q */
        p[(n + 15) / 16 * 16] = 'y'; /* the next chunk's header: the byte past the usable end */
        if (what[0] == 'h')
            free(q);
        free(p);
        free(q);
    } else if (!strcmp(what, "thread")) {
        pthread_t t;
        pthread_create(&t, NULL, drop_in_thread, p);
        pthread_join(t, NULL);
        free(p);
    } else if (!strcmp(what, "realloc")) {
        drop_block(p); /* SITE:drop_then_realloc */
        p = realloc(p, 100);
    }
    return 0;
}
