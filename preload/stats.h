/*
 * stats.h - counting the calls (the COUNT hook) and the SLZ_STATS report at
 * exit (stats.c).
 */
#ifndef SLZ_STATS_H
#define SLZ_STATS_H

#include <stdint.h>

#include "slz_report.h"

enum slz_entry {
    E_MALLOC, E_FREE, E_CALLOC, E_REALLOC, E_REALLOCARRAY, E_POSIX_MEMALIGN,
    E_ALIGNED_ALLOC, E_MEMALIGN, E_VALLOC, E_PVALLOC, E_USABLE_SIZE, E_COUNT
};
/* why a request went to glibc */
enum slz_why { W_NO_HEAP, W_TOO_BIG, W_FULL, W_ALIGN, W_NOT_OURS, W_COUNT };

struct slz_shim_stats {
    uint64_t calls[E_COUNT];    /* calls per entry point */
    uint64_t core[E_COUNT];     /* served by the core */
    uint64_t glibc[E_COUNT];    /* served by glibc */
    uint64_t why[W_COUNT];      /* why glibc served */
};
/* The counting hooks' state, one struct (stats.c). Counting costs atomic
 * adds on shared lines: only when a report will show it (on). */
struct slz_count_state {
    int on;                                                /* set once, at set-up */
    struct slz_shim_stats st __attribute__((aligned(64))); /* away from on's line */
};
extern struct slz_count_state slz_count;
#define COUNT(field, i)                                                                            \
    do {                                                                                           \
        if (__builtin_expect(slz_count.on, 0))                                                     \
            __atomic_fetch_add(&slz_count.st.field[i], 1, __ATOMIC_RELAXED);                       \
    } while (0)

/* stats_setup: counting on; called by watch_setup when SLZ_STATS is set
 * (shim.c may still call it too: it only sets slz_count.on). */
void stats_setup(void);
void stats_report(void); /* at exit */
void stats_fork_child(void); /* in a fork child: the call counts start again */


/* The leaks by site in the report (text, or "leaks":{...} with json), set
 * by sites_setup (NULL: not shown). */
extern void (*stats_leaks)(struct out *o, int json);

#endif
