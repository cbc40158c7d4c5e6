/*
 * chunk.h - the slz heap's chunk layout and the core's private state.
 *
 * The heap is one contiguous region cut into chunks that tile it exactly,
 * followed by a 16-byte end marker (the "fence", an in-use chunk of size 0):
 *
 *   base                                                         base + size
 *   | chunk | chunk | free chunk | chunk | ...              | fence |
 *
 * An allocated chunk:
 *
 *   chunk-> +-------------------------------------------+  16-byte aligned
 *           | size (bytes, multiple of 16) | P | U      |  head
 *           | check = keyed hash of (chunk address, head) |
 *     mem-> +-------------------------------------------+  16-byte aligned
 *           | payload: size - 16 bytes, all the user's    |
 *           .                                             .
 *  nextchunk-> +----------------------------------------+
 *
 * A free chunk (size >= SLZ_MIN_CHUNK, so every field below fits):
 *
 *   chunk-> +-------------------------------------------+
 *           | size                         | P | 0      |  head
 *           | check                                     |
 *           | left   (encoded link, lower addresses)    |  free-chunk index:
 *           | right  (encoded link, higher addresses)   |  a treap keyed by
 *           | parent (encoded link)                     |  address, see tree.c
 *           | lmax | rmax: largest size in the left and |
 *           |   right subtree, in 16-byte units (32+32) |
 *           | prio: random treap priority               |
 *           .                                           .
 *           | size again (the foot)                     |  last 8 bytes
 *  nextchunk-> +----------------------------------------+
 *
 * Flag bits in head (sizes are multiples of 16, so the low 4 bits are free):
 *   U (SLZ_INUSE)      the chunk is allocated
 *   P (SLZ_PREV_INUSE) the chunk just below is allocated; when it is clear,
 *                      the word just below this chunk is the free one's foot
 * A head of exactly SLZ_TOMB (with a valid check) is no chunk: it marks where
 * a chunk began before a merge swallowed it, so that freeing its old pointer
 * again is reported as a double free rather than as a random bad pointer.
 *
 * Invariants (slz_heap_check() verifies each one):
 *   1. Chunks tile [base, fence): every size is a multiple of 16 and at least
 *      SLZ_MIN_CHUNK, and the sizes sum to the distance from base to fence.
 *   2. Every head carries a valid check; every free chunk's foot equals its size.
 *   3. No two free chunks are adjacent: a freed chunk merges with both
 *      neighbours at once.
 *   4. P of every chunk (the fence too) tells truly whether its predecessor is
 *      in use; the first chunk has P set.
 *   5. The index holds exactly the free chunks but the top one, in address
 *      order, each lmax and rmax field correct, each parent link right and
 *      every parent's prio at least its children's.
 *   6. The top chunk is the free chunk just below the fence, if there is
 *      one. It stays out of the index: being the highest free chunk, it is
 *      the first fit exactly when nothing in the index fits, so carving it
 *      or merging into it touches no index at all (as dlmalloc's top).
 *
 * The payload of an allocated chunk ends where the next chunk's head begins,
 * so no write inside a block can reach metadata. The check word and the
 * link encoding use a per-heap secret from the kernel, so a stray write or a
 * forged header is caught rather than trusted.
 */
#ifndef SLZ_CHUNK_H
#define SLZ_CHUNK_H

#include <stddef.h>
#include <stdint.h>
#include "slz.h"

/* ---- Tunables ---------------------------------------------------------- */
#ifndef SLZ_MIN_CHUNK
#define SLZ_MIN_CHUNK 64 /* smallest chunk, header included */
#endif

#ifndef SLZ_RELEASE_MIN
#define SLZ_RELEASE_MIN (128 * 1024) /* freeing a chunk this big gives its pages back */
#endif

/* ---- Fixed by the layout ----------------------------------------------- */
#define SLZ_ALIGN 16            /* payload and chunk alignment */
#define SLZ_HDR 16              /* head + check, before every payload */
#define SLZ_FENCE 16            /* end marker at the top of the heap */
#define SLZ_INUSE ((uintptr_t)1)
#define SLZ_PREV_INUSE ((uintptr_t)2)
#define SLZ_TOMB ((uintptr_t)8) /* head of a chunk swallowed by a merge */
#define SLZ_FLAGS ((uintptr_t)15)
#define SLZ_MAX_HEAP ((size_t)UINT32_MAX << 4) /* index sizes count 16-byte units in 32 bits */

typedef struct slz_chunk slz_chunk;
struct slz_chunk {
    uintptr_t head;
    uintptr_t check;
    /* free chunks only: */
    uintptr_t left, right, parent;
    uint32_t lmax, rmax; /* in 16-byte units: heaps stay below 64 GiB */
    uint64_t prio;
};

_Static_assert(SLZ_MIN_CHUNK % SLZ_ALIGN == 0, "minimum chunk is a multiple of the alignment");
_Static_assert(sizeof(slz_chunk) + sizeof(size_t) <= SLZ_MIN_CHUNK,
               "a free chunk's fields and foot fit in the minimum chunk");
_Static_assert(SLZ_HDR % SLZ_ALIGN == 0, "the header keeps payloads aligned");

/* ---- The heap ---------------------------------------------------------- */
struct slz_heap {
    char *base;           /* first chunk */
    char *fence;          /* end marker; base + size - SLZ_FENCE */
    size_t size;          /* bytes of the region */
    int mapped;           /* the core mapped it (release unmaps) */
    size_t page;          /* the system page size */
    uintptr_t root;       /* free-chunk index: encoded link to its root */
    slz_chunk *top;       /* the free chunk just below the fence, or NULL */
    uintptr_t secret;     /* keys the check words */
    uintptr_t link_key;   /* encodes index links */
    uint64_t rng;         /* treap priorities */
    const char *op;       /* entry point being served, for reports */
    struct slz_heap_stats st;
};
extern struct slz_heap slz_H;

/* ---- Conversions ------------------------------------------------------- */
static inline size_t chunk_size(const slz_chunk *c) { return c->head & ~SLZ_FLAGS; }
static inline int chunk_used(const slz_chunk *c) { return (c->head & SLZ_INUSE) != 0; }
static inline int prev_used(const slz_chunk *c) { return (c->head & SLZ_PREV_INUSE) != 0; }
static inline void *chunk2mem(slz_chunk *c) { return (char *)c + SLZ_HDR; }
static inline slz_chunk *mem2chunk(const void *p) { return (slz_chunk *)((char *)p - SLZ_HDR); }
static inline slz_chunk *next_chunk(slz_chunk *c) { return (slz_chunk *)((char *)c + chunk_size(c)); }
static inline size_t *chunk_foot(slz_chunk *c) { return (size_t *)((char *)c + chunk_size(c)) - 1; }
static inline size_t prev_foot(slz_chunk *c) { return ((size_t *)c)[-1]; }

/* The check word: a keyed mix of the chunk's address and head. */
static inline uintptr_t chunk_hash(const slz_chunk *c, uintptr_t head)
{
    uint64_t x = (uint64_t)(uintptr_t)c ^ (head * 0x9e3779b97f4a7c15ull) ^ slz_H.secret;
    x ^= x >> 31;
    x *= 0xbf58476d1ce4e5b9ull;
    x ^= x >> 29;
    return (uintptr_t)x;
}
static inline int head_ok(const slz_chunk *c) { return c->check == chunk_hash(c, c->head); }
static inline void set_head(slz_chunk *c, uintptr_t head)
{
    c->head = head;
    c->check = chunk_hash(c, head);
}
static inline int in_heap(const void *p)
{
    return (const char *)p >= slz_H.base && (const char *)p < slz_H.fence;
}

/* ---- Across files ------------------------------------------------------ */
/* tree.c: the free-chunk index */
struct slz_links {
    uintptr_t left, right, parent;
    uint64_t prio;
    uint32_t lmax, rmax;
};
/* Walks that relink a spine of nodes (join, split) keep it on the stack. A
 * treap of random priorities is this deep with a probability too small to
 * matter; deeper is reported as damage. */
#define SLZ_TREE_DEPTH 160
slz_chunk *tree_first_fit(size_t need);
slz_chunk *tree_first_fit_aligned(size_t need, size_t align, char **spot);
char *aligned_spot(slz_chunk *c, size_t need, size_t align);
struct slz_links tree_links(slz_chunk *c);
void tree_take(slz_chunk *c, slz_chunk *rest, const struct slz_links *links);
void tree_changed(slz_chunk *c);
void tree_insert(slz_chunk *c);
size_t tree_largest(void);
size_t tree_check(const char **first);

/* heap.c */
int heap_ready(void);
_Noreturn void slz_misuse(const char *what, const void *ptr);

/* os.c: every call to the operating system */
void *os_map(size_t bytes);
void os_unmap(void *p, size_t bytes);
void os_release(void *p, size_t bytes);
size_t os_page_size(void);
uint64_t os_random(void);
void os_write_err(const char *buf, size_t len);
_Noreturn void os_abort(void);

#endif /* SLZ_CHUNK_H */
