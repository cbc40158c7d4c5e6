/*
 * slz.h - the public API of the slz core allocator.
 *
 * slz manages heaps. A heap is a region (mapped by the core, or handed in
 * by the caller) whose arena is cut into chunks by address-ordered first
 * fit: the lowest-addressed free chunk that can hold a request is used,
 * split when the rest can stand alone, and a freed chunk merges with free
 * neighbours on both sides at once. Every payload is 16-byte aligned. The
 * heap's metadata lives apart from its blocks (see src/chunk.h).
 *
 * The core never calls the C library's allocator and never reads the
 * environment: when a heap cannot serve a request it returns NULL. A heap
 * is used by one caller at a time; the only call that may run at the same
 * time as others on the same heap is slz_free_deferred().
 */
#ifndef SLZ_H
#define SLZ_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The LD_PRELOAD shim builds the core with SLZ_EXPORT defined empty so that
 * libslzmalloc.so exports the malloc family and nothing else. */
#ifndef SLZ_EXPORT
#if defined(__GNUC__)
#define SLZ_EXPORT __attribute__((visibility("default")))
#else
#define SLZ_EXPORT
#endif
#endif

typedef struct slz_heap slz_heap;

/* ------------------------------------------------------------------------
 * Heaps
 * ---------------------------------------------------------------------- */

/* Flags for slz_heap_create_in. */
#define SLZ_GUARDED 1u /* mem is page-aligned mapped memory: make a guard page
                        * between the metadata and the arena and one after it */
#define SLZ_ANON 2u    /* mem is private anonymous memory never written (all
                        * zero): the heap may give pages back to the kernel */
#define SLZ_GROWS 4u   /* the arena is usable a part at a time: at first only
                        * the metadata, its guard and the arena's first page
                        * need be mapped; slz_heap_grow makes more usable,
                        * and no guard page is made after the arena (the
                        * caller guards what lies beyond it) */
#define SLZ_CACHE 16u  /* the fast mode: a small cache of recently freed blocks
                        * in front of first fit (see slz_heap_flush) */
#define SLZ_SECURE (8u | SLZ_CACHE) /* the secure profile: the cache's hold
                        * as a quarantine, no reuse cache (see slz_heap_flush) */
#define SLZ_KEEP_ERRNO 32u /* a request the heap refuses for want of room (or
                        * larger than it could ever serve) returns NULL and
                        * leaves errno as it was: for a caller that serves it
                        * elsewhere then, and sets errno if that fails too */

/* A heap whose arena holds bytes (rounded up to whole pages, at most
 * 64 GiB), on memory the core maps, with guard pages. NULL on failure. */
SLZ_EXPORT slz_heap *slz_heap_create(size_t bytes);

/* The same with flags: SLZ_CACHE, SLZ_SECURE or 0, and SLZ_KEEP_ERRNO (the
 * heap is mapped and guarded either way). */
SLZ_EXPORT slz_heap *slz_heap_create_flags(size_t bytes, unsigned flags);

/* A heap on caller memory [mem, mem + bytes): metadata first, the arena in
 * the rest. The memory must stay valid until slz_heap_destroy(). NULL when
 * the region is too small for metadata and one minimum chunk. */
SLZ_EXPORT slz_heap *slz_heap_create_in(void *mem, size_t bytes, unsigned flags);

/* Bytes slz_heap_create_in needs for an arena of arena bytes. */
SLZ_EXPORT size_t slz_heap_footprint(size_t arena, unsigned flags);

/* A heap made with SLZ_GROWS: the first bytes of its arena (whole pages,
 * no more than the arena planned at creation, no fewer than now) are
 * usable from now on; the caller mapped them. 0, or -1. */
SLZ_EXPORT int slz_heap_grow(slz_heap *h, size_t bytes);
/* Forget the heap (unmapping it if the core mapped it). */
SLZ_EXPORT void slz_heap_destroy(slz_heap *h);

/* ------------------------------------------------------------------------
 * Allocation on a heap
 * ---------------------------------------------------------------------- */

/* A block of at least n bytes, or NULL (errno ENOMEM). n 0 gives a unique
 * minimum block. */
SLZ_EXPORT void *slz_malloc(slz_heap *h, size_t n);

/* count * size bytes, zeroed; NULL with ENOMEM on overflow or when full. */
SLZ_EXPORT void *slz_calloc(slz_heap *h, size_t count, size_t size);

/* Give block p back; NULL is ignored. Misuse (double free, a pointer that
 * is not a live block, damaged headers) is reported and aborts. */
SLZ_EXPORT void slz_free(slz_heap *h, void *p);

/* NULL p is malloc; n 0 frees p and returns NULL. Shrinks in place, grows in
 * place into a free successor when it is big enough, else allocates, copies
 * and frees. On failure returns NULL (ENOMEM) and p is untouched. */
SLZ_EXPORT void *slz_realloc(slz_heap *h, void *p, size_t n);

/* A block of n bytes at a multiple of align (a power of two; below 16 means
 * 16). NULL with EINVAL for a bad alignment, ENOMEM when the heap cannot
 * serve. Still first fit: the lowest-addressed place an aligned block fits. */
SLZ_EXPORT void *slz_memalign(slz_heap *h, size_t align, size_t n);

/* The functions slz_malloc and slz_free call for h, fixed when h is made
 * (its mode and the CPU's index code): a caller that makes many calls on one
 * heap may keep them and call them for slz_malloc and slz_free, with h not
 * NULL and, for the free, p not NULL; one indirect call each, where
 * slz_malloc and slz_free read h's mode first. */
typedef void *(*slz_malloc_fn)(slz_heap *h, size_t n);
typedef void (*slz_free_fn)(slz_heap *h, void *p);
SLZ_EXPORT slz_malloc_fn slz_heap_malloc_fn(const slz_heap *h);
SLZ_EXPORT slz_free_fn slz_heap_free_fn(const slz_heap *h);

/* Bytes usable at p (a live block; misuse aborts). 0 for NULL. */
SLZ_EXPORT size_t slz_usable_size(slz_heap *h, const void *p);

/* Free p, a live block of h, from a caller that is not h's user. Safe to
 * call at the same time as any call on h: p is checked (a double free is
 * reported here) and becomes free at h's next allocation or free. */
SLZ_EXPORT void slz_free_deferred(slz_heap *h, void *p);
/* slz_free_deferred of p[0..n) (NULLs skipped), cheaper than one call each:
 * one atomic OR for the blocks in one 1 KiB of the arena, fewest when p is
 * in address order. */
SLZ_EXPORT void slz_free_deferred_n(slz_heap *h, void *const *p, size_t n);

/* Bytes usable at p, a live block of h, asked by a caller that is not h's
 * user (safe at the same time as any call on h). op names the caller in a
 * misuse report. */
SLZ_EXPORT size_t slz_block_size(const slz_heap *h, const void *p, const char *op);

/* Take the frees left by slz_free_deferred now (allocation does it anyway),
 * and empty the cache (SLZ_CACHE) into the heap: for a heap about to pass to
 * another user (the shim calls it at thread exit). */
SLZ_EXPORT void slz_heap_collect(slz_heap *h);
/* Take those frees and empty the cache, then give the kernel back the pages
 * of every free chunk beyond its first page (its keep zone at its least):
 * for a heap whose user is gone or idle. Costs what it gives back, not the
 * heap's size. */
SLZ_EXPORT void slz_heap_trim(slz_heap *h);
/* Take those frees and empty the cache, then count the bytes slz_heap_trim
 * would give back now, giving nothing back: the free pages the heap holds
 * resident, at most (the shim's thread exit keeps a few for the next thread). */
SLZ_EXPORT size_t slz_heap_trimmable(slz_heap *h);

/* The fast mode (SLZ_CACHE). A block freed on h whose chunk is smaller than
 * 2 KiB goes into a cache held in h's metadata (a few blocks per exact
 * size, a bound in bytes), still marked in use, and the next request of
 * that size takes the most recent one back: placement is first fit for what
 * reaches the heap, not for what the cache serves. A second free of a cached
 * block, or any other call on it, is reported as for a freed block; calloc
 * from the cache zeroes. The cache empties into the heap (real frees, with
 * merging) when a request would fail, and here: slz_heap_flush.
 *
 * The secure profile (SLZ_SECURE, which holds SLZ_CACHE's bit: no reuse
 * cache then). A block freed on h is zeroed and waits in a FIFO quarantine
 * of at most 2048 blocks and 1/16 of the arena (4 MiB at most), still marked
 * in use: a second free of it, a stale free after its owner freed it, or
 * any other call on it, is reported as for a freed block. Nothing is served
 * from the quarantine; the oldest block leaves (checked: a write after free
 * is reported; then a real free, with merging) to make room, and all of
 * them when a request would fail and here. */
SLZ_EXPORT void slz_heap_flush(slz_heap *h);

/* Copy the first len bytes of live block p to dst (outside p) a megabyte
 * at a time, giving each piece's whole pages back to the kernel once it is
 * copied, so that the two copies are never both resident. p's contents are
 * gone after: the caller frees it next. */
SLZ_EXPORT void slz_copy_out(slz_heap *h, void *dst, void *p, size_t len);

/* ------------------------------------------------------------------------
 * Questions about a heap
 * ---------------------------------------------------------------------- */

/* Nonzero when p points into h's region (metadata, guards or arena). */
SLZ_EXPORT int slz_owns(const slz_heap *h, const void *p);

/* The arena: where blocks live. */
SLZ_EXPORT void *slz_heap_base(const slz_heap *h);
SLZ_EXPORT size_t slz_heap_size(const slz_heap *h);

/* Largest request the heap could ever serve (its arena less one header). */
SLZ_EXPORT size_t slz_max_request(const slz_heap *h);

/* Size in bytes (header included) of the largest free chunk now. */
SLZ_EXPORT size_t slz_largest_free(const slz_heap *h);

/* Nonzero when an operation on h was under way: true only in a process
 * that forked (or a signal handler that runs) while it was. */
SLZ_EXPORT int slz_heap_interrupted(const slz_heap *h);

/* Counters kept by the core. */
struct slz_heap_stats {
    size_t heap_size;       /* bytes of the arena (with SLZ_GROWS: planned) */
    size_t in_use;          /* bytes of chunks in use (headers included) */
    size_t peak_in_use;     /* highest in_use seen */
    size_t high_water;      /* highest chunk end ever used, from the arena start */
    size_t live_blocks;     /* blocks in use */
    size_t free_chunks;     /* free chunks now */
    size_t free_bytes;      /* bytes in free chunks now */
    size_t largest_free;    /* size of the largest free chunk now */
    uint64_t bytes_requested; /* bytes asked for, summed over all allocations */
    uint64_t bytes_allocated; /* chunk bytes handed out for them, summed */
    uint64_t mallocs;       /* blocks handed out (any entry point; a realloc
                             * that moves its block hands out one) */
    uint64_t frees;         /* blocks given up (a realloc that moves: one) */
    uint64_t reallocs;      /* realloc calls on a live block */
    uint64_t realloc_in_place; /* of those, served without moving */
    uint64_t splits;        /* chunks split in two */
    uint64_t coalesces;     /* merges with a free neighbour */
    uint64_t failures;      /* requests the heap could not serve */
    uint64_t cache_hits;    /* SLZ_CACHE: allocations served by the cache */
    uint64_t cache_misses;  /* SLZ_CACHE: allocations that went to first fit */
    size_t cached_blocks;   /* SLZ_CACHE: blocks the cache holds now (freed: */
    size_t cached_bytes;    /* not in live_blocks, in_use, nor free_*) */
};
SLZ_EXPORT void slz_heap_get_stats(const slz_heap *h, struct slz_heap_stats *out);

/* Calls fn for every chunk in address order: its address, its size in bytes
 * (header included) and whether it is in use: 1, 0 free, 2 held by the
 * cache (SLZ_CACHE: freed, not merged yet). Stops if fn returns nonzero. */
typedef int (*slz_walker)(void *chunk, size_t size, int used, void *arg);
SLZ_EXPORT void slz_heap_walk(const slz_heap *h, slz_walker fn, void *arg);

/* Checks every invariant of src/chunk.h. Returns the number of violations;
 * when first is not NULL, *first names the first one found. */
SLZ_EXPORT size_t slz_heap_check(const slz_heap *h, const char **first);

/* The same checks for the chunks around address p (a block pointer, live
 * or just freed): the chunk that holds it, its neighbours below and above,
 * the arena's last chunk, their cells' sizes, leads and records, and the
 * first-fit index from their cells to the root; with p NULL or outside the
 * arena, the last chunk only. Its cost does not grow with the heap (but
 * for p deep inside a chunk of many KiB: as far as the chunk's nearer
 * end, a word a KiB); the totals and the rest of the heap are
 * slz_heap_check's: run this around each operation, that now and then. */
SLZ_EXPORT size_t slz_heap_check_at(const slz_heap *h, const void *p, const char **first);

/* Misuse reports. By default the core writes one line
 *   slzmalloc: <function>(): <what> (<pointer>)
 * to stderr and aborts. A handler set here is called first (to add to the
 * report, say); the core aborts when it returns. NULL restores the default. */
typedef void (*slz_error_handler)(const char *function, const char *what, const void *ptr);
SLZ_EXPORT void slz_set_error_handler(slz_error_handler h);

/* The same report for misuse found outside the core (a layer above that
 * knows a pointer no heap can own): the handler, the line, abort. */
SLZ_EXPORT _Noreturn void slz_misuse(const char *function, const char *what, const void *ptr);

/* ------------------------------------------------------------------------
 * The default heap and the five functions of the original design
 * ---------------------------------------------------------------------- */

/* The heap the five functions below use (NULL until one is set up). */
SLZ_EXPORT slz_heap *slz_default_heap(void);

/* Set up the default heap on mapped memory of bytes (whole pages) or on
 * caller memory, unless one is set up; release forgets it. 0 or -1. */
SLZ_EXPORT int slz_heap_initialize_size(size_t bytes);
SLZ_EXPORT int slz_heap_initialize_with(void *mem, size_t bytes);
SLZ_EXPORT void slz_heap_release(void);

/* The original interface, each a one-line wrapper on the default heap
 * (mapped on first use, one page): initialize, malloc, calloc, free,
 * realloc. */
SLZ_EXPORT int slz_heap_initialize_impl(void);
SLZ_EXPORT void *slz_Heap_Allocator_impl(size_t size);
SLZ_EXPORT void *slz_Heap_Allocator_init_impl(size_t numElements, size_t sizeElements);
SLZ_EXPORT void slz_Heap_deAllocator_impl(void *p);
SLZ_EXPORT void *slz_Heap_reAllocator_impl(void *p, size_t newSize);

#ifdef __cplusplus
}
#endif
#endif /* SLZ_H */
