/*
 * ops.h - random operations on the slz core, checked against what the heap
 * itself shows. Shared by tests/c/core_random.c (bytes from a seeded PRNG)
 * and tests/fuzz/fuzz_core.c (bytes from libFuzzer): one decoder, one
 * executor, one set of checks.
 *
 * Every step decodes one operation from a byte source (ops_decode), then
 * runs it (ops_step) on a table of OPS_SLOTS blocks:
 *   malloc, calloc, realloc, free, aligned alloc, with sizes of 0, tiny,
 *   small, medium, near the heap size, exactly the largest request, over it,
 *   and overflowing; alignments from 1 to beyond the heap, some invalid.
 * Before each call the heap is walked (slz_heap_walk: the chunk list, not
 * the free-chunk index the core searches) and the result is predicted from
 * the documented rules: address-ordered first fit, 16-byte payloads, chunks
 * of at least OPS_MIN_CHUNK bytes, realloc in place when the chunk or its
 * free successor is big enough, NULL with ENOMEM / EINVAL on failure. The
 * core's answer must match the prediction exactly: a differential test of
 * the treap search against a linear scan.
 * Every block is filled up to its usable size with a pattern of its own,
 * checked whenever the block is touched and for all blocks every
 * OPS_SWEEP steps; slz_heap_check(HEAP, ) runs after every step.
 *
 * A failure leaves a message in st->msg and makes ops_step return nonzero.
 */
#ifndef SLZ_TEST_OPS_H
#define SLZ_TEST_OPS_H
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "slz.h"
#include "test_heap.h"

#define OPS_SLOTS 64
#define OPS_SWEEP 1024
#define OPS_MIN_CHUNK 64 /* documented minimum chunk, header included */
#define OPS_HDR 16       /* header before every payload */
#define OPS_MAX_CHUNKS (2 * OPS_SLOTS + 2)

/* ---- Byte source: a buffer (fuzzer) or a PRNG (random test) ------------ */
struct ops_src {
    const uint8_t *data; /* NULL: bytes come from rng */
    size_t len, at;
    uint64_t rng;
};

static inline uint64_t ops_rand(uint64_t *s)
{
    uint64_t x = *s += 0x9e3779b97f4a7c15ull; /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ops_byte: the next byte; -1 when a buffer is used up. */
static inline int ops_byte(struct ops_src *s)
{
    if (s->data == NULL)
        return (int)(ops_rand(&s->rng) & 255);
    return s->at < s->len ? s->data[s->at++] : -1;
}

/* ---- Decoding ----------------------------------------------------------- */
enum ops_kind { OP_MALLOC, OP_CALLOC, OP_REALLOC, OP_FREE, OP_ALIGNED, OP_KINDS };
static const char *const ops_kind_name[OP_KINDS] = {"malloc", "calloc", "realloc", "free", "aligned"};

struct ops_op {
    enum ops_kind kind;
    unsigned slot;
    size_t size;  /* for calloc: count * elem unless overflowing */
    size_t count; /* calloc: element count (size is the element size) */
    size_t align; /* aligned: the requested alignment */
    int delta;    /* realloc: when nonzero, size is the block's usable size
                   * plus delta (at least 1), to probe the in-place edges */
};

/* size_of: a size from a class byte and two more bytes, relative to a heap
 * whose largest request is max. */
static size_t size_of(int cls, unsigned lo, unsigned hi, size_t max)
{
    unsigned v = lo | hi << 8;
    switch (cls % 32) {
    case 0: return 0;
    case 1: case 2: case 3: case 4: case 5: case 6: case 7: case 8:
        return lo % 65; /* tiny, 0..64 */
    case 9: case 10: case 11: case 12: case 13: case 14: case 15: case 16: case 17: case 18:
        return v % 1025; /* small */
    case 19: case 20: case 21: case 22: case 23:
        return v % (max / 16 + 1); /* medium */
    case 24: return v % (max / 2 + 1);
    case 25: return max - (v % 4096 < max ? v % 4096 : 0); /* near the heap size */
    case 26: return max;                               /* exactly the largest */
    case 27: return max + 1 + v % 64;                  /* just over it */
    case 28: return max * 2 + v;                       /* well over it */
    case 29: return SIZE_MAX - v;                      /* overflows any header */
    case 30: return (size_t)1 << (lo % 64);            /* powers of two, up to huge */
    default: return lo % 49; /* around the minimum chunk */
    }
}

/* ops_decode: the next operation from s, or 0 when s is used up.
 * Six bytes per operation: kind, slot, size class, size (2), alignment. */
static int ops_decode(struct ops_src *s, struct ops_op *o, size_t max)
{
    int b[6];
    for (int i = 0; i < 6; i++)
        if ((b[i] = ops_byte(s)) < 0)
            return 0;
    static const enum ops_kind by_byte[10] = {OP_MALLOC, OP_MALLOC, OP_MALLOC, OP_FREE,    OP_FREE,
                                              OP_FREE,   OP_REALLOC, OP_REALLOC, OP_CALLOC, OP_ALIGNED};
    o->kind = by_byte[b[0] % 10];
    o->slot = (unsigned)b[1] % OPS_SLOTS;
    o->size = size_of(b[2], (unsigned)b[3], (unsigned)b[4], max);
    o->count = 1;
    o->align = 0;
    o->delta = 0;
    if (o->kind == OP_REALLOC && b[5] < 128)
        o->delta = b[3] % 2 ? -(b[4] % 97) : b[4] % 161 + 1;
    if (o->kind == OP_CALLOC && b[5] >= 192) { /* n * size, sometimes overflowing */
        o->count = (size_t)(b[5] - 191);
        if (b[5] == 255)
            o->count = SIZE_MAX / 2 + 1;
    }
    if (o->kind == OP_ALIGNED) {
        if (b[5] < 8)
            o->align = (size_t)(b[5] == 0 ? 0 : 3 * b[5] * 16); /* 0 or not a power of two */
        else
            o->align = (size_t)1 << (b[5] % 26); /* 1 .. 32M */
    }
    return 1;
}

/* ---- The model ---------------------------------------------------------- */
struct ops_slot {
    unsigned char *p;
    size_t n;    /* bytes filled with the pattern (the usable size) */
    uint8_t tag; /* pattern seed */
};

struct ops_chunk {
    char *at;
    size_t size;
    int used;
};

struct ops_state {
    struct ops_slot slot[OPS_SLOTS];
    struct ops_chunk c[OPS_MAX_CHUNKS];
    size_t nc;
    int overflow; /* more chunks than expected */
    uint64_t steps, served, failed;
    uint8_t next_tag;
    char msg[512];
};

static inline unsigned char ops_pat(uint8_t tag, size_t i) { return (unsigned char)(tag + i * 31 + (i >> 9)); }

static int ops_walk_add(void *chunk, size_t size, int used, void *arg)
{
    struct ops_state *st = arg;
    if (st->nc == OPS_MAX_CHUNKS) {
        st->overflow = 1;
        return 1;
    }
    st->c[st->nc].at = chunk;
    st->c[st->nc].size = size;
    st->c[st->nc].used = used;
    st->nc++;
    return 0;
}

static void ops_snapshot(struct ops_state *st)
{
    st->nc = 0;
    st->overflow = 0;
    slz_heap_walk(HEAP, ops_walk_add, st);
}

/* The byte loops over whole blocks are no coverage news for the fuzzer:
 * without this, tracing their compares takes most of its time. */
#if defined(__clang__) && __clang_major__ >= 13
#define OPS_BULK __attribute__((no_sanitize("coverage"), noinline))
#else
#define OPS_BULK
#endif

/* pat_diff: the first byte of p[from..n) that differs from tag's pattern,
 * or n. */
OPS_BULK static size_t pat_diff(const unsigned char *p, uint8_t tag, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++)
        if (p[i] != ops_pat(tag, i))
            return i;
    return n;
}

OPS_BULK static void pat_fill(unsigned char *p, uint8_t tag, size_t from, size_t n)
{
    for (size_t i = from; i < n; i++)
        p[i] = ops_pat(tag, i);
}

/* nonzero_at: the first nonzero byte of p[0..n), or n. */
OPS_BULK static size_t nonzero_at(const unsigned char *p, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (p[i])
            return i;
    return n;
}

#define OPS_FAIL(st, ...) (snprintf((st)->msg, sizeof (st)->msg, __VA_ARGS__), 1)

/* need_of: the chunk a request of n bytes takes, 0 if it can never fit. */
static size_t need_of(size_t n)
{
    if (n > slz_max_request(HEAP))
        return 0;
    size_t sz = (n + OPS_HDR + 15) & ~(size_t)15;
    return sz < OPS_MIN_CHUNK ? OPS_MIN_CHUNK : sz;
}

/* spot_in: where in free chunk k an aligned chunk of need bytes would start
 * (a gap left below it must be able to stand alone), or NULL. */
static char *spot_in(const struct ops_chunk *k, size_t need, size_t align)
{
    uintptr_t start = (uintptr_t)k->at;
    uintptr_t mem = (start + OPS_HDR + align - 1) & ~(uintptr_t)(align - 1);
    if (mem - OPS_HDR != start && mem - OPS_HDR - start < OPS_MIN_CHUNK)
        mem = (start + OPS_HDR + OPS_MIN_CHUNK + align - 1) & ~(uintptr_t)(align - 1);
    if (mem - OPS_HDR - start + need > k->size)
        return NULL;
    return (char *)mem;
}

/* predict: the payload first fit gives for need bytes (aligned when align >
 * 16), or NULL; from the snapshot. *avail: the bytes from its chunk's start
 * to the end of the free chunk it comes from. */
static void *predict(const struct ops_state *st, size_t need, size_t align, size_t *avail)
{
    for (size_t i = 0; i < st->nc; i++) {
        const struct ops_chunk *k = &st->c[i];
        if (k->used || k->size < need)
            continue;
        char *m = align <= 16 ? k->at + OPS_HDR : spot_in(k, need, align);
        if (m) {
            *avail = (size_t)(k->at + k->size - (m - OPS_HDR));
            return m;
        }
    }
    return NULL;
}

/* usable_of: the usable size of a block of need bytes carved from avail:
 * the rest is split off only when it can stand alone as a chunk. */
static size_t usable_of(size_t need, size_t avail)
{
    return (avail - need >= OPS_MIN_CHUNK ? need : avail) - OPS_HDR;
}

/* chunk_of: the snapshot entry of block p, or NULL. */
static const struct ops_chunk *chunk_of(const struct ops_state *st, const void *p)
{
    for (size_t i = 0; i < st->nc; i++)
        if (st->c[i].at + OPS_HDR == (const char *)p)
            return &st->c[i];
    return NULL;
}

static int check_block(struct ops_state *st, unsigned s)
{
    struct ops_slot *b = &st->slot[s];
    size_t i = b->p ? pat_diff(b->p, b->tag, 0, b->n) : 0;
    if (i < b->n)
        return OPS_FAIL(st, "slot %u: byte %zu of %zu at %p changed", s, i, b->n, (void *)b->p);
    return 0;
}

/* fill: b holds p now; fill from byte `from` to its usable size. */
static int fill(struct ops_state *st, unsigned s, void *p, size_t from)
{
    struct ops_slot *b = &st->slot[s];
    size_t n = slz_usable_size(HEAP, p);
    b->p = p;
    pat_fill(b->p, b->tag, from, n);
    b->n = n;
    return 0;
}

/* expect: the call gave r (errno e); the prediction was want, with usable
 * bytes want_usable (NULL: fail with errno want_errno). */
static int expect(struct ops_state *st, const struct ops_op *o, void *r, int e, void *want, size_t want_usable,
                  int want_errno)
{
    if (r != want)
        return OPS_FAIL(st, "%s(size %zu, count %zu, align %zu) gave %p, first fit says %p", ops_kind_name[o->kind],
                        o->size, o->count, o->align, r, want);
    if (r == NULL && e != want_errno)
        return OPS_FAIL(st, "%s(size %zu, align %zu) failed with errno %d, not %d", ops_kind_name[o->kind], o->size,
                        o->align, e, want_errno);
    if (r != NULL && ((uintptr_t)r & 15))
        return OPS_FAIL(st, "%p is not 16-byte aligned", r);
    if (r != NULL && o->align > 16 && ((uintptr_t)r & (o->align - 1)))
        return OPS_FAIL(st, "%p is not %zu-aligned", r, o->align);
    if (r != NULL && slz_usable_size(HEAP, r) != want_usable)
        return OPS_FAIL(st, "%s(size %zu, count %zu, align %zu) = %p holds %zu bytes, the split rule says %zu",
                        ops_kind_name[o->kind], o->size, o->count, o->align, r, slz_usable_size(HEAP, r), want_usable);
    r != NULL ? st->served++ : st->failed++;
    return 0;
}

static void drop(struct ops_state *st, unsigned s)
{
    if (st->slot[s].p)
        slz_free(HEAP, st->slot[s].p);
    st->slot[s].p = NULL;
    st->slot[s].n = 0;
}

/* ops_step: run o and check everything. 0 when all is well. */
static int ops_step(struct ops_state *st, const struct ops_op *op)
{
    struct ops_op rel = *op, *o = &rel;
    unsigned s = o->slot;
    struct ops_slot *b = &st->slot[s];
    void *r = NULL, *want;
    size_t need = 0, avail = 0;
    if (check_block(st, s))
        return 1;
    if (o->kind != OP_REALLOC)
        drop(st, s);
    ops_snapshot(st);
    if (st->overflow)
        return OPS_FAIL(st, "the heap holds more chunks than %d blocks can make", OPS_SLOTS);
    if (o->kind == OP_REALLOC && o->delta && b->p) {
        long n = (long)slz_usable_size(HEAP, b->p) + o->delta;
        o->size = n < 1 ? 1 : (size_t)n;
    }
    switch (o->kind) {
    case OP_MALLOC:
        need = need_of(o->size);
        want = need ? predict(st, need, 0, &avail) : NULL;
        errno = 0;
        r = slz_malloc(HEAP, o->size);
        if (expect(st, o, r, errno, want, usable_of(need, avail), ENOMEM))
            return 1;
        break;
    case OP_CALLOC: {
        size_t total;
        int ovf = __builtin_mul_overflow(o->count, o->size, &total);
        need = ovf ? 0 : need_of(total);
        want = need ? predict(st, need, 0, &avail) : NULL;
        errno = 0;
        r = slz_calloc(HEAP, o->count, o->size);
        if (expect(st, o, r, errno, want, usable_of(need, avail), ENOMEM))
            return 1;
        size_t z = r ? nonzero_at(r, total) : total;
        if (z < total)
            return OPS_FAIL(st, "calloc(%zu, %zu): byte %zu is not zero", o->count, o->size, z);
        break;
    }
    case OP_ALIGNED: {
        size_t a = o->align;
        int bad = a == 0 || (a & (a - 1));
        need = need_of(o->size);
        want = bad || need == 0 || a > slz_heap_size(HEAP) ? NULL : predict(st, need, a, &avail);
        errno = 0;
        r = slz_memalign(HEAP, a, o->size);
        if (expect(st, o, r, errno, want, usable_of(need, avail), bad ? EINVAL : ENOMEM))
            return 1;
        break;
    }
    case OP_REALLOC: {
        unsigned char *p = b->p;
        if (p == NULL) {
            need = need_of(o->size);
            want = need ? predict(st, need, 0, &avail) : NULL;
        } else if (o->size == 0) {
            want = NULL;
        } else {
            const struct ops_chunk *k = chunk_of(st, p);
            if (k == NULL || !k->used)
                return OPS_FAIL(st, "slot %u: %p is not a live chunk in the walk", s, (void *)p);
            const struct ops_chunk *nx = k + 1 < st->c + st->nc ? k + 1 : NULL;
            need = need_of(o->size);
            if (need == 0)
                want = NULL;
            else if (need <= k->size || (nx && !nx->used && k->size + nx->size >= need)) {
                want = p; /* in place: shrunk, or grown into the free successor */
                avail = need <= k->size ? k->size : k->size + nx->size;
            } else {
                want = predict(st, need, 0, &avail);
            }
        }
        errno = 0;
        r = slz_realloc(HEAP, p, o->size);
        int e = errno;
        if (p != NULL && o->size == 0) {
            if (r != NULL)
                return OPS_FAIL(st, "realloc(%p, 0) gave %p, not NULL", (void *)p, r);
            b->p = NULL;
            b->n = 0;
            break;
        }
        if (expect(st, o, r, e, want, usable_of(need, avail), ENOMEM))
            return 1;
        if (r == NULL) { /* the old block must be intact: checked below */
            if (check_block(st, s))
                return 1;
            break;
        }
        size_t kept = b->n < o->size ? b->n : o->size; /* the old pattern, moved */
        size_t lost = pat_diff(r, b->tag, 0, kept);
        if (lost < kept)
            return OPS_FAIL(st, "realloc(%p, %zu) -> %p lost byte %zu", (void *)p, o->size, r, lost);
        if (b->p == NULL)
            b->tag = st->next_tag++;
        fill(st, s, r, kept);
        goto checked;
    }
    case OP_FREE:
    default:
        break;
    }
    if (r != NULL) {
        b->tag = st->next_tag++;
        fill(st, s, r, 0);
    }
checked:;
    const char *what = NULL;
    size_t bad = slz_heap_check(HEAP, &what);
    if (bad)
        return OPS_FAIL(st, "heap check after %s: %zu violations, first: %s", ops_kind_name[o->kind], bad,
                        what ? what : "?");
    if (++st->steps % OPS_SWEEP == 0)
        for (unsigned i = 0; i < OPS_SLOTS; i++)
            if (check_block(st, i))
                return 1;
    return 0;
}

/* ops_finish: check every block, free them all, and check that the heap is
 * one free chunk again. */
static int ops_finish(struct ops_state *st)
{
    for (unsigned i = 0; i < OPS_SLOTS; i++) {
        if (check_block(st, i))
            return 1;
        drop(st, i);
    }
    const char *what = NULL;
    if (slz_heap_check(HEAP, &what))
        return OPS_FAIL(st, "heap check at the end: %s", what ? what : "?");
    struct slz_heap_stats hs;
    slz_heap_get_stats(HEAP, &hs);
    if (hs.live_blocks != 0 || hs.in_use != 0 || hs.free_chunks != 1)
        return OPS_FAIL(st, "after freeing everything: %zu live blocks, %zu bytes in use, %zu free chunks",
                        hs.live_blocks, hs.in_use, hs.free_chunks);
    return 0;
}
#endif
