/*
 * chunk.h - the slz heap: its chunk layout, its out-of-band state, and the
 * core's private helpers.
 *
 * A heap is two regions. The arena holds the chunks, which tile it exactly.
 * The heap's state (struct slz_heap, the chunk bitmaps and the first-fit
 * index) lives in memory of its own, before the arena and, for a heap on
 * mapped memory, behind a guard page:
 *
 *   | struct slz_heap | cells | index | pending | guard |  arena ...  | guard |
 *   '------------- out of band ------------------'       '- chunks -'
 *
 * The arena, cut into chunks; every chunk starts on a 16-byte granule:
 *
 *   chunk-> +----------------------------------------------+  16-byte aligned
 *           | head:  size in bytes (multiple of 16) | U    |
 *           | check: keyed hash of (address, head)         |
 *           |   (a free chunk: its seal, see free_seal)    |
 *     mem-> +----------------------------------------------+  16-byte aligned
 *           | payload: size - 16 bytes, all the user's     |
 *           .  (a free chunk: word 0 holds a keyed canary; |
 *           .   the rest is whatever the last user left)   |
 *  nextchunk-> +-----------------------------------------+
 *
 * U (SLZ_INUSE) is the flag of a chunk in use; K (SLZ_CACHED) beside it marks
 * a block held by the fast mode's cache (cache.h), whose check word stays
 * that of size | U. The header is a copy, for the reader of a
 * hex dump and for catching damage: the truth is out of band, in one
 * struct slz_cell per 64 granules (1 KiB of arena):
 *
 *   start  bit i: a chunk begins at granule i of the cell
 *   used   bit i with start bit i: that chunk is allocated; without it: a
 *          tomb, where a chunk began until a merge swallowed it (so that
 *          freeing its old pointer again reads as a double free)
 *   last   size in granules of the last chunk that begins in the cell (any
 *          other chunk of the cell ends at the next start bit)
 *   lead   where the chunk began whose last granule lies in this cell, when
 *          it began in an earlier cell (so the chunk before any granule is
 *          found in O(1): a start bit below it in its cell, or a lead)
 *   spare  a release record (free.c): the cell where a big free chunk ends
 *          holds r, the cell before it a, for the granules [a, r) of the
 *          chunk whose pages went back to the kernel (the last chunk's: in
 *          the heap)
 *
 * Invariants (slz_heap_check() verifies each one):
 *   1. The start bits tile the arena: the first granule is a start, and a
 *      chunk runs to the next start bit or to the arena's end. Every chunk
 *      is at least SLZ_MIN_CHUNK bytes.
 *   2. Each cell's last is the size of its last chunk.
 *   3. Every header equals what the bits say (size, U) and carries its
 *      check; every free chunk's first payload word is its canary.
 *   4. No two free chunks are adjacent: a freed chunk merges with both
 *      neighbours at once.
 *   5. The last chunk of the arena is indexed like any other: a free one
 *      there is simply the highest free chunk (the top).
 *   6. The index (see index.c) holds, for every cell, the largest free
 *      chunk that begins in it, and above that, for every 16 entries, their
 *      maximum, up to the line the walk starts from; entry 0 of the level
 *      above that line is SLZ_STOP.
 *   7. Each cell in which a chunk that began in an earlier cell has its
 *      last granule holds that chunk's start as its lead.
 *   8. calloc trusts no memory to be zero: it clears every byte it hands
 *      out, or has the kernel replace whole pages by zero pages.
 *   9. Nothing above the high-water mark was ever written but the lead of
 *      the arena's last cell (and of the last cell before each
 *      slz_heap_grow, no longer read): its cells and index entries are still
 *      zero (so the checker reads the state up to the mark and that lead,
 *      not the whole heap's).
 *  10. Release records are granules of the arena (a < r, or both zero), and
 *      the keep zone is from SLZ_KEEP to SLZ_KEEP_MAX. A record is a hint and no
 *      more: pages go back only inside the free chunk a free just made,
 *      beyond its header and keep zone, so a stale record can keep pages
 *      resident but never touch a block or a header.
 *
 * Nothing the allocator follows is stored in the arena: a write through a
 * block pointer can damage a header (reported when the allocator next meets
 * it) but cannot make the allocator write elsewhere or hand out a block
 * twice. A block just allocated carries no header, canary or link of its
 * past life: swallowed headers are wiped on merge, the canary on carve.
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
#define SLZ_RELEASE_MIN (128 * 1024) /* realloc moves a block this big out page by page */
#endif
#ifndef SLZ_KEEP
#define SLZ_KEEP 4096 /* a free chunk keeps its first this many bytes resident, */
#endif
#ifndef SLZ_KEEP_MAX
#define SLZ_KEEP_MAX (64 << 20) /* or up to this many for a program that reuses what it frees; */
#endif
#ifndef SLZ_TOP_KEEP
#define SLZ_TOP_KEEP (128 * 1024) /* the top keeps at least this many (glibc's M_TRIM_THRESHOLD); */
#endif
#ifndef SLZ_RELEASE_STEP
#define SLZ_RELEASE_STEP (16 * 1024) /* the rest goes back once this many bytes of it are resident */
#endif
#ifndef SLZ_RELEASE_STEP_MAX
#define SLZ_RELEASE_STEP_MAX (256 * 1024) /* (or 1/256 of the chunk's, up to this many) */
#endif
#ifndef SLZ_FREE_AHEAD
#define SLZ_FREE_AHEAD 1024 /* free prefetches this far above the next chunk (frees in address order read it next) */
#endif
#ifndef SLZ_CALLOC_KERNEL
#define SLZ_CALLOC_KERNEL (128 * 1024) /* calloc this big has the kernel zero whole pages */
#endif

/* ---- Fixed by the layout ----------------------------------------------- */
#define SLZ_ALIGN 16 /* payload and chunk alignment: one granule */
#define SLZ_HDR 16   /* head + check, before every payload */
#define SLZ_INUSE ((uintptr_t)1)
#define SLZ_CACHED ((uintptr_t)2) /* (cache.h) */
#define SLZ_CELL 64 /* granules per cell: one bit each in a 64-bit word */
#define SLZ_FAN 16  /* index entries per 64-byte line */
#define SLZ_LEVELS 8 /* index levels at most (2^32 granules) */
#define SLZ_MAX_HEAP ((size_t)UINT32_MAX << 4) /* sizes count granules in 32 bits */
#define SLZ_NONE UINT32_MAX /* no granule */

#define MIN_GRAINS (SLZ_MIN_CHUNK / SLZ_ALIGN)
_Static_assert(SLZ_MIN_CHUNK % SLZ_ALIGN == 0, "minimum chunk is a multiple of the alignment");
_Static_assert(SLZ_MIN_CHUNK >= SLZ_HDR + 16, "a free chunk has room for its header and canary");
_Static_assert(SLZ_HDR % SLZ_ALIGN == 0, "the header keeps payloads aligned");
_Static_assert(SLZ_KEEP <= SLZ_TOP_KEEP && SLZ_TOP_KEEP <= SLZ_KEEP_MAX, "the top's least keep zone is a keep zone");

typedef struct slz_chunk {
    uintptr_t head;  /* size | U */
    uintptr_t check; /* keyed hash of (address, head) */
    uintptr_t canary; /* free chunks only: first payload word */
} slz_chunk;

struct slz_cell {
    uint64_t start, used;
    uint32_t last, lead;
    uint32_t spare, unused;
};
_Static_assert(sizeof(struct slz_cell) == 32, "two cells per cache line");

/* ---- The heap ---------------------------------------------------------- */
struct slz_heap {
    char *base;          /* the arena: first chunk */
    uint32_t grains;     /* arena size in granules */
    uint32_t grains_max; /* SLZ_GROWS: the arena planned (slz_heap_grow) */
    uint32_t align_low;  /* lowest chunk freed since the marks were read (alloc.c) */
    struct slz_marks {   /* the aligned search's marks, per alignment 32 << i */
        uint32_t from, need, spotless;
    } marks[32];
    unsigned flags;      /* SLZ_GUARDED, SLZ_ANON; SLZ_MAPPED: destroy unmaps */
    int remote;          /* 0: no other thread ever freed here; 1: one is saying
                          * so; 2: said (index.c, pending_announce) (atomic) */
    uint32_t keep;       /* granules every free chunk keeps resident (free.c) */
    uint32_t rel_a, rel_r; /* the top's record: granules given back (free.c) */
    uint32_t quiet;      /* a free chunk (not the top) shorter gives nothing back (free.c) */
    size_t cell_records; /* records written in cells' spares and not yet cleared
                          * (free.c; at least as many as are there: pages of
                          * cells given back clear theirs unseen) */
    size_t rel_level;    /* in_use + 1 when pages last went back; 0: never */
    size_t keep_level;   /* the peak + 1 when the keep zone last changed (free.c) */
    size_t peak_before;  /* peak in_use before pages last went back (st's
                          * peak_in_use is the peak since: free.c, went_back) */
    size_t ncells;
    size_t page;
    char *region;        /* what create_in was given */
    size_t region_size;
    uintptr_t key[2];    /* keys the check words of allocated chunks */
    uint64_t rk[6] __attribute__((aligned(16))); /* and, with AES: the key and
                          * the two round keys, made once (keys_set) */
    uintptr_t seal;      /* keys the check words and canaries of free chunks */
    const char *op;      /* entry point being served, for reports */
    struct slz_cache *cache; /* SLZ_CACHE: the fast mode's (cache.h), or NULL */
    struct slz_cell *cells;
    /* the first-fit index: lv[0] one entry per cell, lv[i+1] one per line of
     * lv[i]; lv[nlv - 1] is the root line */
    uint32_t *lv[SLZ_LEVELS + 1]; /* (lv[nlv]: &stop) */
    uint32_t stop;    /* SLZ_STOP: lv[start + 1][0] when the root line is the walk's first (index_raise) */
    int nlv;
    int start;        /* the walk starts at line 0 of lv[start]: */
    size_t span;      /* no level-0 entry at or beyond span is nonzero, */
    size_t reach[SLZ_LEVELS]; /* and line 0 of lv[l] covers reach[l] cells */
    int lines;        /* bit 0: line version of the index (index.c), 1 AVX2;
                       * bit 1: the heap has a cache (slz_malloc's entry, alloc.c) */
    /* frees by other threads: pend[0] one bit per granule, pend[1] one per
     * word of pend[0], pend[2] one per word of pend[1] */
    uint64_t *pend[3];
    size_t pendn[3];
    /* what the owner writes at every call, on lines of their own: a thread
     * that frees reads the words above (base, grains, remote, cells, pend),
     * which then stay in its cache while the owner works */
    volatile int busy __attribute__((aligned(64))); /* an operation is under way (for a fork child) */
    size_t fence_frees;  /* st.frees at the owner's last fence (index.c,
                          * pending_reused); SLZ_GAVE_UP, a count st.frees
                          * never reaches, once a block not counted there was
                          * given up since (gave_up) */
    struct slz_heap_stats st; /* (free_bytes and live_blocks: derived by slz_heap_get_stats) */
    /* another thread left pending frees (atomic): written by the threads that
     * free and by the owner's drain, so on a line of its own (the owner reads
     * the rest of this struct at every call) */
    int pend_any __attribute__((aligned(64)));
    /* drains begun (atomic; the owner's drain adds one before it takes any
     * bit): a thread that frees reads it around its check (free.c) */
    unsigned long drain_epoch;
};

#define SLZ_MAPPED 0x100u

/* ---- Granules and chunks ----------------------------------------------- */
static inline uint32_t grain_of(const slz_heap *h, const void *p)
{
    return (uint32_t)(((const char *)p - h->base) >> 4);
}
static inline slz_chunk *chunk_at(const slz_heap *h, uint32_t g) { return (slz_chunk *)(h->base + ((size_t)g << 4)); }
static inline void *chunk2mem(slz_chunk *c) { return (char *)c + SLZ_HDR; }
static inline slz_chunk *mem2chunk(const void *p) { return (slz_chunk *)((char *)p - SLZ_HDR); }
/* rot_grain: the granule of block p's chunk, its offset rotated so that a
 * pointer off the granules (misaligned) reads as far beyond the arena: one
 * unsigned compare with the arena's granules checks both. */
static inline uintptr_t rot_grain(const slz_heap *h, const void *p)
{
    uintptr_t off = (uintptr_t)p - (uintptr_t)h->base - SLZ_HDR;
    return off >> 4 | off << (8 * sizeof off - 4);
}
static inline struct slz_cell *cell_of(const slz_heap *h, uint32_t g) { return &h->cells[g / SLZ_CELL]; }
static inline uint64_t bit_of(uint32_t g) { return (uint64_t)1 << (g % SLZ_CELL); }
static inline int is_start(const slz_heap *h, uint32_t g) { return (cell_of(h, g)->start & bit_of(g)) != 0; }
static inline int is_used(const slz_heap *h, uint32_t g) { return (cell_of(h, g)->used & bit_of(g)) != 0; }
/* mark_used: the chunk at g is allocated (on) or free. Another thread may
 * read the word at the same time (slz_free_deferred): one relaxed store. */
static inline void mark_used(slz_heap *h, uint32_t g, int on)
{
    uint64_t *w = &cell_of(h, g)->used;
    __atomic_store_n(w, on ? *w | bit_of(g) : *w & ~bit_of(g), __ATOMIC_RELAXED);
}

/* pick_nz: x != 0 ? a : b, by a conditional move: the compiler, left to
 * itself, branches, and on data such a branch mispredicts often. */
static inline uint32_t pick_nz(uint64_t x, uint32_t a, uint32_t b)
{
#if defined(__x86_64__)
    __asm__("test %2, %2\n\tcmovnz %1, %0" : "+r"(b) : "r"(a), "r"(x) : "cc");
    return b;
#else
    uint32_t m = -(uint32_t)(x != 0);
    return (a & m) | (b & ~m);
#endif
}

/* pick_ae: x >= y ? a : b (unsigned), the same way. */
static inline uint32_t pick_ae(uint32_t x, uint32_t y, uint32_t a, uint32_t b)
{
#if defined(__x86_64__)
    __asm__("cmp %3, %2\n\tcmovae %1, %0" : "+r"(b) : "r"(a), "r"(x), "ri"(y) : "cc");
    return b;
#else
    uint32_t m = -(uint32_t)(x >= y);
    return (a & m) | (b & ~m);
#endif
}

/* size_in_cell: the size in granules of the chunk that begins at bit b of
 * cell c whose start bits are st: up to the next start bit, else the cell's
 * last. Without a branch (the choice is data, and mispredicts). On x86-64
 * three instructions after the shift: bsf finds the next start and says by
 * its zero flag that there is none (lea, which adds the one, leaves the
 * flags), and a conditional move takes the last then. Elsewhere the next
 * start is searched with a sentinel bit and the choice made with a mask. */
static inline uint32_t size_in_cell(const struct slz_cell *c, uint64_t st, unsigned b)
{
    uint64_t after = (st >> b) >> 1;
#if defined(__x86_64__)
    uint64_t s;
    __asm__("bsf %1, %0\n\tlea 1(%0), %0\n\tcmovz %2, %k0" : "=&r"(s) : "r"(after), "rm"(c->last) : "cc");
    return (uint32_t)s;
#else
    return pick_nz(after, (uint32_t)__builtin_ctzll(after | (uint64_t)1 << 63) + 1, c->last);
#endif
}

/* grains_of: the size in granules of the chunk that begins at g. */
static inline uint32_t grains_of(const slz_heap *h, uint32_t g)
{
    const struct slz_cell *c = cell_of(h, g);
    return size_in_cell(c, c->start, g % SLZ_CELL);
}

/* bits_note_chunk: a chunk spans granules [a, e): the cell where it begins
 * records its size when it is the cell's last chunk (it reaches the next
 * cell, or the arena's end), the cell of its last granule its start when
 * that is another cell. */
static inline void bits_note_at(slz_heap *h, struct slz_cell *c, uint32_t a, uint32_t e)
{
    struct slz_cell *ce = cell_of(h, e - 1);
    uint32_t lim = (a | (SLZ_CELL - 1)) + 1;
    lim = lim < h->grains ? lim : h->grains; /* it is the cell's last chunk when it ends here or beyond */
    c->last = pick_ae(e, lim, e - a, c->last);
    ce->lead = pick_ae((e - 1) ^ a, SLZ_CELL, a, ce->lead); /* (its last granule in another cell) */
}
static inline void bits_note_chunk(slz_heap *h, uint32_t a, uint32_t e) { bits_note_at(h, cell_of(h, a), a, e); }

/* The check word and the canary: a keyed function of an address and a
 * value that gives up nothing of its key, however many outputs are read
 * (through an under-read of a block, say). A forged or replayed header is
 * refused by the bits in any case (see above); the key keeps the check
 * words from being computed for a forgery, and the canaries from being
 * written back. The heap's 128-bit key (key[0], key[1]) keys one of two
 * functions of the two words, chosen by what the CPU has (the same answer
 * for every heap of the process):
 *   - x86-64 with AES-NI: the words as one 128-bit block, whitened with
 *     the key, through 10 AES rounds whose keys alternate between the key
 *     xored with two constants (the digits of pi), cut to its low 64 bits
 *     (a part of the block is as unpredictable as the whole: folding the
 *     halves together took two instructions more and added nothing). Ten
 *     rounds, as in AES-128: the known- and chosen-plaintext attacks on
 *     AES reach 7 rounds at most; an attacker here only reads outputs for
 *     addresses and sizes. About 22 instructions, inline.
 *   - anywhere else: SipHash-1-3 (Aumasson and Bernstein) of the two words,
 *     one compression round a word and three to finish; the inputs always
 *     are two words, so the length block is left out. About 85
 *     instructions, inline.
 * tests/attacks/key_recovery.c reads check words and canaries as an
 * attacker would and tries to forge from them. */
#define SLZ_ROTL(x, b) (((x) << (b)) | ((x) >> (64 - (b))))
#define SLZ_SIPROUND(v0, v1, v2, v3)                                                               \
    do {                                                                                           \
        v0 += v1, v1 = SLZ_ROTL(v1, 13), v1 ^= v0, v0 = SLZ_ROTL(v0, 32);                          \
        v2 += v3, v3 = SLZ_ROTL(v3, 16), v3 ^= v2;                                                 \
        v0 += v3, v3 = SLZ_ROTL(v3, 21), v3 ^= v0;                                                 \
        v2 += v1, v1 = SLZ_ROTL(v1, 17), v1 ^= v2, v2 = SLZ_ROTL(v2, 32);                          \
    } while (0)
static inline uint64_t keyed_sip(uint64_t k0, uint64_t k1, uint64_t a, uint64_t b)
{
    uint64_t v0 = k0 ^ 0x736f6d6570736575ull, v1 = k1 ^ 0x646f72616e646f6dull;
    uint64_t v2 = k0 ^ 0x6c7967656e657261ull, v3 = k1 ^ 0x7465646279746573ull;
    v3 ^= a;
    SLZ_SIPROUND(v0, v1, v2, v3);
    v0 ^= a;
    v3 ^= b;
    SLZ_SIPROUND(v0, v1, v2, v3);
    v0 ^= b;
    v2 ^= 0xff;
    SLZ_SIPROUND(v0, v1, v2, v3);
    SLZ_SIPROUND(v0, v1, v2, v3);
    SLZ_SIPROUND(v0, v1, v2, v3);
    return v0 ^ v1 ^ v2 ^ v3;
}
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
/* aes_round: one AES encryption round of x under round key k (AESENC,
 * written as assembly so that it inlines into code built for any x86-64;
 * it runs only where slz_aes() found the instruction). */
#define SLZ_AES_ROUND(x, k) __asm__("aesenc %1, %0" : "+x"(x) : "x"(k))
static const uint64_t slz_aes_pi[4] = {0x13198a2e03707344ull, 0x243f6a8885a308d3ull, 0xa4093822ec4e6c89ull,
                                        0x299f31d0082efa98ull};
/* aes_keys: rk gets the key (k0, k1) and the two round keys made of it. */
static inline void aes_keys(uint64_t rk[6], uint64_t k0, uint64_t k1)
{
    rk[0] = k0, rk[1] = k1;
    for (int i = 0; i < 4; i++)
        rk[2 + i] = rk[i % 2] ^ slz_aes_pi[i];
}
/* keyed_aes_rk: the function, with the keys made (16-byte aligned rk): the
 * rounds read their keys from memory, nothing is set up per call. The
 * block is (b, a): b, the head, in its low half, where a header holds it
 * before its check word. keyed_aes_rk_pair: the header (b, and the check
 * word of a and b) as one 128-bit value, for one 16-byte store or compare.
 * keyed_aes_vex(_pair): the same in VEX encoding (V "v", D ", %0": the
 * destination is the first source too), for code built for AVX (malloc's
 * and free's AVX2 passes, versions.h), which runs only where the CPU has
 * AES-NI: after 256-bit code no legacy SSE instruction runs, so the upper
 * halves need no vzeroupper before the rounds (the compiler puts one
 * before the return). */
#define SLZ_AES_FN(name, V, D)                                                                                         \
    static inline __m128i name##_block(const uint64_t *rk, __m128i in)                                                 \
    {                                                                                                                  \
        const __m128i *k = (const __m128i *)rk;                                                                        \
        __m128i x = _mm_xor_si128(in, _mm_load_si128(k));                                                              \
        for (int i = 0; i < 4; i++) {                                                                                  \
            __asm__(V "aesenc %1, %0" D : "+x"(x) : "m"(k[1]));                                                        \
            __asm__(V "aesenc %1, %0" D : "+x"(x) : "m"(k[2]));                                                        \
        }                                                                                                              \
        __asm__(V "aesenc %1, %0" D : "+x"(x) : "m"(k[1]));                                                            \
        __asm__(V "aesenclast %1, %0" D : "+x"(x) : "m"(k[2]));                                                        \
        return x;                                                                                                      \
    }                                                                                                                  \
    static inline uint64_t name(const uint64_t *rk, uint64_t a, uint64_t b)                                            \
    {                                                                                                                  \
        return (uint64_t)_mm_cvtsi128_si64(name##_block(rk, _mm_set_epi64x((long long)a, (long long)b)));             \
    }                                                                                                                  \
    static inline __m128i name##_pair(const uint64_t *rk, uint64_t a, uint64_t b)                                      \
    {                                                                                                                  \
        __m128i in = _mm_set_epi64x((long long)a, (long long)b);                                                       \
        return _mm_unpacklo_epi64(in, name##_block(rk, in));                                                           \
    }
SLZ_AES_FN(keyed_aes_rk, "", "")
SLZ_AES_FN(keyed_aes_vex, "v", ", %0")
#undef SLZ_AES_FN
static inline uint64_t keyed_aes(uint64_t k0, uint64_t k1, uint64_t a, uint64_t b)
{
    uint64_t rk[6] __attribute__((aligned(16)));
    aes_keys(rk, k0, k1);
    return keyed_aes_rk(rk, a, b);
}
/* slz_aes: whether the CPU has AES-NI (cpuid once per file; every file
 * finds the same). */
static inline int slz_aes(void)
{
    static int known; /* 0: not asked yet, 1: no, 2: yes */
    int k = __atomic_load_n(&known, __ATOMIC_RELAXED);
    if (__builtin_expect(k == 2, 1)) /* (the answer of most CPUs: one test) */
        return 1;
    if (k == 0) {
        unsigned a, b, c, d;
        k = __get_cpuid(1, &a, &b, &c, &d) && (c & bit_AES) ? 2 : 1;
        __atomic_store_n(&known, k, __ATOMIC_RELAXED);
    }
    return k == 2;
}
#define SLZ_KEYED_AES(k0, k1, a, b) (slz_aes() ? keyed_aes(k0, k1, a, b) : keyed_sip(k0, k1, a, b))
#define SLZ_KEYED_HEAP(h, a, b) (slz_aes() ? keyed_aes_rk((h)->rk, a, b) : keyed_sip((h)->key[0], (h)->key[1], a, b))
#else
#define SLZ_KEYED_AES(k0, k1, a, b) keyed_sip(k0, k1, a, b)
#define SLZ_KEYED_HEAP(h, a, b) keyed_sip((h)->key[0], (h)->key[1], a, b)
static inline void aes_keys(uint64_t rk[6], uint64_t k0, uint64_t k1) { rk[0] = k0, rk[1] = k1; }
#endif
/* keys_set: h's key is (k0, k1). */
static inline void keys_set(slz_heap *h, uint64_t k0, uint64_t k1)
{
    h->key[0] = (uintptr_t)k0, h->key[1] = (uintptr_t)k1;
    aes_keys(h->rk, k0, k1);
}
static inline uintptr_t keyed(const slz_heap *h, uintptr_t a, uintptr_t b)
{
    return (uintptr_t)SLZ_KEYED_HEAP(h, (uint64_t)a, (uint64_t)b);
}
static inline uintptr_t head_check(const slz_heap *h, const slz_chunk *c, uintptr_t head)
{
    return keyed(h, (uintptr_t)c, head);
}
/* canary_of: the canary of free chunk c, its check word again: a write
 * over the first payload word changes one and not the other, and the seal
 * is computed once per free chunk written or read, not twice. (It was the
 * complement: an instruction more a canary written, and nothing more
 * hidden: whoever reads the canary or the check word has the other, either
 * way, and a write must match the seal either way.) canary_off: 0 when
 * c's canary is its canary. */
static inline uintptr_t canary_of(const slz_heap *h, const slz_chunk *c)
{
    (void)h;
    return c->check;
}
static inline uintptr_t canary_off(const slz_chunk *c) { return c->check ^ c->canary; }
/* SLZ_UNCHECKED: only for `make bench`, which builds a second library
 * with it to measure what the in-band checks cost: headers and canaries are
 * written but never read back. Never for use. */
#ifdef SLZ_UNCHECKED
#define CHECKED(ok) ((void)(ok), 1)
#else
#define CHECKED(ok) (ok)
#endif

/* free_seal: the check word of a free chunk: not keyed() but its address
 * and the heap's own seal, xored. A free chunk's truth is the bits, which
 * the header must match (its size, no U: compared in full, so the head in
 * the seal, as before, added nothing but an instruction to every seal
 * written or read); the seal only makes a write after free over the header
 * or canary show, and a header copied from elsewhere (another address)
 * fail. So a free chunk costs no keyed call, written or read, and a seal
 * read from freed memory tells nothing of the keys of allocated chunks'
 * check words. (A multiply of the address, as before, added nothing to
 * that: its constant is no secret, so one free header read gives the seal
 * either way; it cost two instructions a seal.) */
static inline uintptr_t free_seal(const slz_heap *h, const slz_chunk *c)
{
    return (uintptr_t)c ^ h->seal;
}
static inline uintptr_t check_of(const slz_heap *h, const slz_chunk *c, uintptr_t head)
{
    return (head & SLZ_INUSE) ? head_check(h, c, head) : free_seal(h, c);
}

/* header_ok: c's header says size bytes and used, with its check. */
static inline int header_ok(const slz_heap *h, const slz_chunk *c, size_t size, int used)
{
    uintptr_t head = size | (used ? SLZ_INUSE : 0);
    return CHECKED(c->head == head && c->check == check_of(h, c, head));
}
static inline void write_header(const slz_heap *h, slz_chunk *c, size_t size, int used)
{
    uintptr_t head = size | (used ? SLZ_INUSE : 0);
    c->head = head;
    c->check = check_of(h, c, head);
}

/* HOT: a helper of malloc's or free's one pass that is inlined into it
 * even where the compiler would call it: a call's saves, restores and
 * argument moves cost as much as the helper's own work. */
#define HOT static inline __attribute__((always_inline))

/* ---- Bits and index updates on the hot path ----------------------------- */
/* The owner changes the bits while another thread may read them for a free
 * of its own (slz_free_deferred): word-sized relaxed accesses. */
static inline void wr(uint64_t *w, uint64_t v) { __atomic_store_n(w, v, __ATOMIC_RELAXED); }
/* wr_and, wr_or: wr(w, *w & m), wr(w, *w | m), each one read-modify-write
 * instruction on x86-64, so that a cell on a page never touched (a split far
 * into a big free chunk) faults once, as a write: a load then a store fault
 * twice, the load mapping the zero page and the store replacing it. The same
 * word-sized accesses (under ThreadSanitizer, which sees no asm, the pair). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#define WR_OP(name, insn, op)                                            \
    static inline void name(uint64_t *w, uint64_t m) { __asm__(insn " %1, %0" : "+m"(*w) : "r"(m) : "cc"); }
#else
#define WR_OP(name, insn, op)                                            \
    static inline void name(uint64_t *w, uint64_t m) { wr(w, *w op m); }
#endif
WR_OP(wr_and, "andq", &)
WR_OP(wr_or, "orq", |)
/* wr_touch: the same for a 32-bit word of the state the owner is about to
 * read and write (an index entry), left as it is: its page, if never
 * touched, faults once, as a write. Nothing elsewhere. */
static inline void wr_touch(uint32_t *w)
{
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
    __asm__("orl $0, %0" : "+m"(*w) : : "cc");
#else
    (void)w;
#endif
}

/* bits_start: a free chunk begins at g (a tomb there goes). */
HOT void bits_start(slz_heap *h, uint32_t g)
{
    struct slz_cell *c = cell_of(h, g);
    wr_and(&c->used, ~bit_of(g));
    wr_or(&c->start, bit_of(g));
}

/* bits_unstart: the chunk at g is swallowed by the one below it: a tomb
 * (the used bit without the start bit). */
HOT void bits_unstart(slz_heap *h, uint32_t g)
{
    struct slz_cell *c = cell_of(h, g);
    uint64_t b = bit_of(g);
    wr(&c->start, c->start & ~b);
    wr(&c->used, c->used | b);
}

void widen(slz_heap *h, size_t k);
/* index_raise: a free chunk of s granules begins in cell k now, and no
 * other free chunk of the cell shrank: its entry rises to s if below, and
 * each parent while it is below s (a parent at least s has ancestors at
 * least s: the climb stops there, and stores nothing it need not: a line
 * stored into is read whole next, by a walk or a fall, and such a load waits
 * for a narrower store still in flight). Above the walk's first line, entry
 * 0 of lv[start + 1] is the stop (SLZ_STOP, widen): the climb needs no test
 * of its level. */
#define SLZ_STOP UINT32_MAX
/* raise_cell: the climb's first step, 0 when no parent can be below s */
HOT int raise_cell(slz_heap *h, size_t k, uint32_t s)
{
    if (s <= h->lv[0][k])
        return 0;
    h->lv[0][k] = s;
    if (k >= h->span)
        widen(h, k); /* (index.c) */
    return 1;
}
/* index_climb: the climb above level 0 (entry k rose to s) */
HOT void index_climb(slz_heap *h, size_t k, uint32_t s)
{
    for (int l = 1;; l++) {
        uint32_t *par = &h->lv[l][k /= SLZ_FAN];
        if (*par >= s)
            return;
        *par = s;
    }
}
HOT void index_raise(slz_heap *h, size_t k, uint32_t s)
{
    if (raise_cell(h, k, s))
        index_climb(h, k, s);
}
/* index_raise_unrolled: the same, each level's test apart, its line read
 * at a fixed offset in h: an instruction less a level (free's pass; in
 * malloc's, the fall's tests that follow mispredict more after it).
 * SLZ_RISE(e, s, out): entry e rises to s, else goto out; on x86-64 one
 * asm whose compare and store address the entry directly (gcc, left to
 * itself, puts the address in a register first: an instruction a level). */
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__SANITIZE_THREAD__)
#define SLZ_RISE(e, s, out) __asm__ goto("cmpl %1, %0\n\tjae %l[" #out "]\n\tmovl %1, %0" : "+m"(e) : "r"(s) : "cc" : out)
#else
#define SLZ_RISE(e, s, out) do { if ((e) >= (s)) goto out; (e) = (s); } while (0)
#endif
HOT void index_raise_unrolled(slz_heap *h, size_t k, uint32_t s)
{
    SLZ_RISE(h->lv[0][k], s, done); /* (raise_cell's) */
    if (k >= h->span)
        widen(h, k);
#pragma GCC unroll 8
    for (int l = 1; l <= SLZ_LEVELS; l++) {
        uint32_t *line = h->lv[l];
        k /= SLZ_FAN;
        __asm__("" : "+r"(k)); /* (k shifted once a level, not each time from the first) */
        SLZ_RISE(line[k], s, done);
    }
    __builtin_unreachable(); /* (the stop: at most lv[SLZ_LEVELS]) */
done:
    return;
}
#undef SLZ_RISE

/* cell_max: the largest free chunk that begins in cell k. */
static inline uint32_t cell_max(const slz_heap *h, size_t k)
{
    const struct slz_cell *c = &h->cells[k];
    uint64_t st = c->start, f = st & ~c->used;
    uint32_t m = 0;
    for (; f; f &= f - 1) {
        uint32_t s = size_in_cell(c, st, (unsigned)__builtin_ctzll(f));
        m = s > m ? s : m;
    }
    return m;
}

/* free_intact: free chunk c of n granules has its header and canary
 * intact (a write after free or an overflow would have changed them): the
 * three words compared at once, one branch. */
HOT int free_intact(const slz_heap *h, const slz_chunk *c, uint32_t n)
{
    uintptr_t head = (size_t)n * SLZ_ALIGN;
    return CHECKED(((c->head ^ head) | (c->check ^ free_seal(h, c)) | canary_off(c)) == 0);
}

/* free_checked: the free chunk at g of n granules, intact (else reported:
 * free_intact's test, written out, as free's path is an instruction
 * shorter so). free_checked_as names op in the report (NULL: h->op is set
 * already; free's pass sets it only on its ways to a report, free.c). */
_Noreturn void corrupt_free(const slz_heap *h, uint32_t g, uint32_t n); /* alloc.c: reports */
static inline _Noreturn void corrupt_free_as(slz_heap *h, uint32_t g, uint32_t n, const char *op)
{
    if (op)
        h->op = op;
    corrupt_free(h, g, n);
}
HOT slz_chunk *free_checked_as(slz_heap *h, uint32_t g, uint32_t n, const char *op)
{
    slz_chunk *c = chunk_at(h, g);
    if (!CHECKED(canary_off(c) == 0) || !header_ok(h, c, (size_t)n * SLZ_ALIGN, 0))
        corrupt_free_as(h, g, n, op);
    return c;
}
HOT slz_chunk *free_checked(slz_heap *h, uint32_t g, uint32_t n) { return free_checked_as(h, g, n, NULL); }

/* make_free: write the header and canary of free chunk g of n granules
 * (make_free_at: of free chunk c). */
HOT void make_free_at(const slz_heap *h, slz_chunk *c, uint32_t n)
{
    write_header(h, c, (size_t)n * SLZ_ALIGN, 0);
    c->canary = canary_of(h, c);
}
HOT void make_free(slz_heap *h, uint32_t g, uint32_t n) { make_free_at(h, chunk_at(h, g), n); }

/* op_begin/op_end: around every operation that changes the heap; a fork
 * child (or a signal handler) can tell that one was under way. op names the
 * entry point in misuse reports. busy: op_begin without h->op, for the hot
 * passes (malloc's, free's, the cache's hits), which set it only on their
 * ways to a report, its one reader. */
static inline void busy(slz_heap *h)
{
    h->busy = 1;
    __asm__ volatile("" ::: "memory");
}
static inline void op_begin(slz_heap *h, const char *op)
{
    h->op = op;
    busy(h);
}
static inline void op_end(slz_heap *h)
{
    __asm__ volatile("" ::: "memory");
    h->busy = 0;
}

/* ---- Across files ------------------------------------------------------ */
/* alloc.c: taking chunks */
uint32_t grains_for(const slz_heap *h, size_t n);
void *heap_fail(slz_heap *h);
void *heap_malloc(slz_heap *h, size_t n);
void account_use(slz_heap *h, uint32_t g, uint32_t n, uint32_t added);
/* free.c: giving them back */
uint32_t live_block(slz_heap *h, const void *p);
void release(slz_heap *h, uint32_t g);
void *heap_realloc(slz_heap *h, void *p, uint32_t g, size_t n); /* p: live block g */
void heap_collect(slz_heap *h);
/* pend_taken: the frees other threads left taken, when there are any; op
 * names the entry point in their reports (NULL: h->op is set already). */
HOT void pend_taken(slz_heap *h, const char *op)
{
    if (__atomic_load_n(&h->pend_any, __ATOMIC_RELAXED)) {
        if (op)
            h->op = op;
        heap_collect(h);
    }
}

/* index.c: the bits and the first-fit index */
uint32_t bits_prev_start(const slz_heap *h, uint32_t g);
void index_refresh(slz_heap *h, size_t k);
void index_lower(slz_heap *h, size_t lost, size_t k);
uint32_t index_find(const slz_heap *h, uint32_t need, uint32_t from);
uint32_t index_root_max(const slz_heap *h);
size_t index_check(const slz_heap *h, size_t cells, const char **first);
void index_pick_lines(slz_heap *h);
size_t pending_mark(slz_heap *h, const uint32_t *g, size_t n); /* any thread */
int pending_is(const slz_heap *h, uint32_t g); /* any thread */
void pending_announce(slz_heap *h); /* any thread */
int pending_said(const slz_heap *h); /* any thread: the announcement is behind it */
void pending_fence(slz_heap *h);
_Noreturn void pending_double(slz_heap *h, uint32_t g);
#define SLZ_GAVE_UP SIZE_MAX
/* gave_up: the owner gives up a block that st.frees does not count (release,
 * a drain, the cache): carve's next check of the pending bits fences */
static inline void gave_up(slz_heap *h) { h->fence_frees = SLZ_GAVE_UP; }
/* pending_look: the owner's check of a block made live again, inline in its
 * callers (pending_reused, index.c, argues it): the fence when one is due
 * (pending_fence_due), then g's bit (pending_bit_look). alloc.c's reused
 * calls the two halves apart. */
static inline __attribute__((always_inline)) int pending_fence_due(const slz_heap *h)
{
    return h->fence_frees != h->st.frees;
}
static inline __attribute__((always_inline)) void pending_bit_look(slz_heap *h, uint32_t g)
{
    if (__atomic_load_n(&h->pend[0][g / SLZ_CELL], __ATOMIC_RELAXED) & bit_of(g))
        pending_double(h, g);
}
static inline void pending_look(slz_heap *h, uint32_t g)
{
    if (pending_fence_due(h))
        pending_fence(h);
    pending_bit_look(h, g);
}
/* pending_drain: pending.h */

/* heap.c */
_Noreturn void slz_misuse(const char *op, const char *what, const void *ptr);

/* os.c: every call to the operating system */
void *os_map(size_t bytes);
void os_unmap(void *p, size_t bytes);
void os_release(void *p, size_t bytes);
int os_guard(void *p, size_t bytes);
size_t os_page_size(void);
uint64_t os_random(void);
void os_write_err(const char *buf, size_t len);
int os_membarrier_ready(void);
void os_membarrier(void);
_Noreturn void os_abort(void);
_Noreturn void os_park(void);

#endif /* SLZ_CHUNK_H */
