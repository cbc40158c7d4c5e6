/*
 * html_core.h - the only door from the heap timeline (scripts/html.c) into
 * the slz core. scripts/html_core.c is the one file that calls the core's
 * API: when that API changes, only it needs adapting.
 */
#ifndef HTML_CORE_H
#define HTML_CORE_H

#include <stddef.h>
#include <stdint.h>

/* A heap of bytes (rounded as the core likes); with cache, one in the fast
 * mode (SLZ_CACHE) that grows as the shim's do, so that a trace of a run
 * with SLZ_CACHE=1 replays at the run's addresses. 0, or -1 when it failed. */
int hc_init(size_t bytes, int cache);
/* malloc, free, realloc of the core (realloc(p, 0) frees p, gives NULL). */
void *hc_malloc(size_t n);
void hc_free(void *p);
void *hc_realloc(void *p, size_t n);
/* Every chunk in address order: its address, its size in bytes (header
 * included) and whether it is in use: 0 free, 1 used, 2 a block the cache
 * holds (freed, not merged yet). */
typedef void (*hc_chunk_fn)(uintptr_t addr, size_t size, int used, void *arg);
void hc_walk(hc_chunk_fn fn, void *arg);
/* Bytes of chunks in use now, and the highest chunk end ever used. */
void hc_usage(uint64_t *in_use, uint64_t *high_water);
/* The heap itself (for the heap map and statistics of slz-replay). */
struct slz_heap *hc_heap(void);
/* Forget the heap. */
void hc_release(void);

#endif /* HTML_CORE_H */
