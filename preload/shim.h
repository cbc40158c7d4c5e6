/*
 * shim.h - what the parts of the LD_PRELOAD shim share.
 *
 * The shim is forwarding plus fallback plus routing: every glibc allocation
 * entry point first asks the slz core (under one lock), falls back to glibc's
 * own allocator when the core cannot serve, and routes free, realloc and
 * malloc_usable_size by who owns the pointer. Only this layer knows glibc,
 * the environment and the fallback.
 */
#ifndef SLZ_SHIM_H
#define SLZ_SHIM_H

#include <stddef.h>
#include <stdint.h>

/* glibc's allocator, reached without recursion (exported by libc.so.6). */
void *__libc_malloc(size_t);
void *__libc_calloc(size_t, size_t);
void *__libc_realloc(void *, size_t);
void __libc_free(void *);
void *__libc_memalign(size_t, size_t);

/* ---- Options (options.c): one table, read once from SLZ_* ------------- */
struct slz_options {
    size_t heap_size;   /* SLZ_HEAP_SIZE: bytes, whole pages; default one page */
    int stats;          /* SLZ_STATS: 0 off, 1 text table, 2 JSON */
    int check;          /* SLZ_CHECK: run the heap checker after every operation */
    const char *stats_file; /* SLZ_STATS_FILE: where the stats go (default stderr) */
};
extern struct slz_options slz_opt;
void options_read(void);

/* ---- Counters (stats.c) ----------------------------------------------- */
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
extern struct slz_shim_stats slz_shim_st;
extern const char *const slz_entry_name[E_COUNT];

#define COUNT(field, i) __atomic_fetch_add(&slz_shim_st.field[i], 1, __ATOMIC_RELAXED)

void stats_setup(void);  /* at start-up, when SLZ_STATS is set */
void stats_report(void); /* at exit */

/* ---- Messages (options.c) --------------------------------------------- */
/* say: write "slzmalloc: " and the pieces as one line to fd, one write(2). */
void say(int fd, const char *const *pieces, int n);

#endif
