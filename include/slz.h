/*
 * slz.h - the public API of the slz core allocator.
 *
 * slz manages one heap: a region mapped with mmap() (one page unless told
 * otherwise) or handed in by the caller. Placement is address-ordered first
 * fit: the lowest-addressed free chunk that can hold a request is used, split
 * when the rest can stand alone, and a freed chunk merges with free neighbours
 * on both sides at once. Every payload is 16-byte aligned.
 *
 * The core never calls the C library's allocator and never reads the
 * environment: when its heap cannot serve a request it returns NULL.
 * The core is not thread-safe; callers that share it serialise access
 * (the LD_PRELOAD shim in preload/ holds one lock around every call).
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

/* ------------------------------------------------------------------------
 * The five functions of the original design
 * ---------------------------------------------------------------------- */

/* Map the default heap (one page, sysconf(_SC_PAGESIZE)) unless a heap is
 * already set up. Idempotent. Returns 0 on success, -1 if mmap failed. */
SLZ_EXPORT int slz_heap_initialize_impl(void);

/* malloc: a block of at least size bytes, or NULL (errno ENOMEM).
 * size 0 gives a unique minimum block. */
SLZ_EXPORT void *slz_Heap_Allocator_impl(size_t size);

/* calloc: n * size bytes, zeroed; NULL with ENOMEM on overflow or when the
 * heap cannot serve. */
SLZ_EXPORT void *slz_Heap_Allocator_init_impl(size_t numElements, size_t sizeElements);

/* free: NULL is ignored. The chunk merges with free neighbours on both
 * sides. Misuse (double free, a pointer that is not a live block, damaged
 * metadata) is reported on stderr and aborts. */
SLZ_EXPORT void slz_Heap_deAllocator_impl(void *p);

/* realloc: NULL p is malloc; newSize 0 frees p and returns NULL. Shrinks in
 * place, grows in place into a free successor when it is big enough, else
 * allocates, copies and frees. On failure returns NULL and p is untouched. */
SLZ_EXPORT void *slz_Heap_reAllocator_impl(void *p, size_t newSize);

/* ------------------------------------------------------------------------
 * Setting up the heap
 * ---------------------------------------------------------------------- */

/* Map a heap of bytes (rounded up to whole pages, below 64 GiB) unless one
 * is set up. Returns 0 on success, -1 on failure (bad size or mmap failed). */
SLZ_EXPORT int slz_heap_initialize_size(size_t bytes);

/* Use caller memory [mem, mem + bytes) as the heap (mem is aligned up to 16,
 * bytes down). The memory must stay valid until slz_heap_release().
 * Returns 0, or -1 if a heap is already set up or the region is too small. */
SLZ_EXPORT int slz_heap_initialize_with(void *mem, size_t bytes);

/* Forget the heap (unmapping it if the core mapped it). Every pointer into
 * it becomes invalid. A later initialize sets up a new one. */
SLZ_EXPORT void slz_heap_release(void);

/* ------------------------------------------------------------------------
 * More entry points
 * ---------------------------------------------------------------------- */

/* A block of size bytes whose address is a multiple of align (a power of
 * two; anything below 16 means 16). NULL with EINVAL for a bad alignment,
 * ENOMEM when the heap cannot serve. Placement is still first fit: the
 * lowest-addressed free chunk that can hold an aligned block. */
SLZ_EXPORT void *slz_aligned_alloc(size_t align, size_t size);

/* Bytes usable at p (p must be a live block; misuse aborts). 0 for NULL. */
SLZ_EXPORT size_t slz_usable_size(const void *p);

/* Nonzero when p points into the heap's region (live, free or metadata). */
SLZ_EXPORT int slz_owns(const void *p);

/* The heap's region, or NULL/0 when none is set up. */
SLZ_EXPORT void *slz_heap_base(void);
SLZ_EXPORT size_t slz_heap_size(void);

/* Largest request the heap could ever serve (its size less metadata). */
SLZ_EXPORT size_t slz_max_request(void);

/* Size in bytes (header included) of the largest free chunk now: a request
 * needing a bigger chunk cannot be served. O(1). */
SLZ_EXPORT size_t slz_largest_free(void);

/* ------------------------------------------------------------------------
 * Looking inside
 * ---------------------------------------------------------------------- */

/* Counters kept by the core. */
struct slz_heap_stats {
    size_t heap_size;       /* bytes of the heap region */
    size_t in_use;          /* bytes of chunks in use (headers included) */
    size_t peak_in_use;     /* highest in_use seen */
    size_t high_water;      /* highest chunk end ever used, from heap start */
    size_t live_blocks;     /* blocks in use */
    size_t free_chunks;     /* free chunks now */
    size_t free_bytes;      /* bytes in free chunks now */
    size_t largest_free;    /* size of the largest free chunk now */
    uint64_t bytes_requested; /* bytes asked for, summed over all allocations */
    uint64_t bytes_allocated; /* chunk bytes handed out for them, summed */
    uint64_t mallocs;       /* successful allocations (any entry point) */
    uint64_t frees;         /* blocks freed */
    uint64_t reallocs;      /* realloc calls on a live block */
    uint64_t realloc_in_place; /* of those, served without moving */
    uint64_t splits;        /* chunks split in two */
    uint64_t coalesces;     /* merges with a free neighbour */
    uint64_t failures;      /* requests the heap could not serve */
};
SLZ_EXPORT void slz_heap_get_stats(struct slz_heap_stats *out);

/* Calls fn for every chunk in address order: its address, its size in bytes
 * (header included) and whether it is in use. Stops if fn returns nonzero. */
typedef int (*slz_walker)(void *chunk, size_t size, int used, void *arg);
SLZ_EXPORT void slz_heap_walk(slz_walker fn, void *arg);

/* Walks the heap and checks every invariant (chunk sizes and alignment,
 * sizes summing to the heap, no two adjacent free chunks, the free-chunk
 * index and its order, header checks). Returns the number of violations;
 * when first is not NULL, *first names the first one found. */
SLZ_EXPORT size_t slz_heap_check(const char **first);

/* Misuse reports. By default the core writes one line
 *   slzmalloc: <function>(): <what> (<pointer>)
 * to stderr and aborts. A handler set here is called instead (it must not
 * return into the allocator if the heap is to be trusted). NULL restores the
 * default. */
typedef void (*slz_error_handler)(const char *function, const char *what, const void *ptr);
SLZ_EXPORT void slz_set_error_handler(slz_error_handler h);

#ifdef __cplusplus
}
#endif
#endif /* SLZ_H */
