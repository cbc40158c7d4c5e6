/*
 * options.h - the SLZ_* environment variables (options.c): one table, read
 * once at start-up.
 */
#ifndef SLZ_OPTIONS_H
#define SLZ_OPTIONS_H

#include <stddef.h>

struct slz_options {
    size_t heap_size;   /* SLZ_HEAP_SIZE: bytes, whole pages; default one page */
    int stats;          /* SLZ_STATS: 0 off, 1 text table, 2 JSON; SLZ_STATS_FILE implies 1 */
    int check;          /* SLZ_CHECK: run the heap checker before and after every operation */
    const char *stats_file; /* SLZ_STATS_FILE: where the stats go (default stderr) */
    const char *heapmap;    /* SLZ_HEAPMAP: SVG heap map at exit and on SIGUSR1 */
    const char *trace;      /* SLZ_TRACE: record every allocation call (.rep) */
    int sites;              /* SLZ_SITES: remember where blocks were allocated and freed */
    int cache;              /* SLZ_CACHE: the heaps' fast mode (SLZ_CACHE of slz.h) */
    int secure;             /* SLZ_SECURE: the heaps' secure profile (SLZ_SECURE of slz.h; wins over cache) */
};
extern struct slz_options slz_opt;
void options_read(void);

#endif
