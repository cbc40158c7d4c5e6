/*
 * sites.h - SLZ_SITES, where each block was allocated and freed (sites.c).
 */
#ifndef SLZ_SITES_H
#define SLZ_SITES_H

#include <stddef.h>
#include <stdint.h>

#include "slz_report.h"

/* Where each block of the slz heaps was allocated and freed: named in
 * misuse reports (the core's error handler) and, grouped, in the leaks of
 * the exit report. The hooks cost one load and a branch when off. */
extern int slz_sites_on;
void sites_setup(void);                      /* from watch_setup, after heaps_setup */
void sites_prime(void);                      /* from the shim's constructor: load the unwinder */
void sites_alloc(void *p, size_t n);         /* p just served by the caller's heap */
void sites_free(void *p);                    /* p (in the heaps) about to be freed */
void sites_realloc(void *p, void *q, size_t n); /* the caller's heap moved or resized p to q */
uint32_t sites_of(const void *p);            /* p's allocation site number, 0 if unknown */
void sites_table(struct out *o);             /* "N frames" a line, every site so far */
void sites_misuse(const char *function, const char *what, const void *ptr);
void sites_leaks(struct out *o, int json);   /* the leak lines of the SLZ_STATS table, or "leaks":{...} */
#define SITES_ALLOC(p, n)                                                                          \
    do {                                                                                           \
        if (__builtin_expect(slz_sites_on, 0) && (p) != NULL)                                      \
            sites_alloc(p, n);                                                                     \
    } while (0)
#define SITES_FREE(p)                                                                              \
    do {                                                                                           \
        if (__builtin_expect(slz_sites_on, 0))                                                     \
            sites_free(p);                                                                         \
    } while (0)
#define SITES_REALLOC(p, q, n)                                                                     \
    do {                                                                                           \
        if (__builtin_expect(slz_sites_on, 0) && (q) != NULL)                                      \
            sites_realloc(p, q, n);                                                                \
    } while (0)

#endif
