/*
 * rep.h - reading malloc-lab allocation traces (.rep files).
 *
 * The format, as the CS:APP malloc lab (Bryant and O'Hallaron) defined it:
 * four header lines of one integer each, then one operation a line:
 *   a ID SIZE   allocate SIZE bytes for block ID
 *   r ID SIZE   reallocate block ID to SIZE bytes (min(old, new) bytes survive)
 *   f ID        free block ID
 * An "a" or "r" line may end with a fourth number, the allocation site
 * (traces recorded with SLZ_SITES): kept in the op (the timeline colours
 * blocks by it), ignored by the replayer.
 * Two header orders exist:
 *   classic (the CS:APP set):  suggested heap size, number of ids, number of ops, weight
 *   64-bit  (CMU 15-213 set): weight, number of ids, number of ops, peak live payload
 * and in the 64-bit form "f -1" (any negative id) means free(NULL). The shim
 * writes the 64-bit form (its SLZ_TRACE); tests/bench/gen-traces.c
 * writes both.
 *
 * rep_load() reads a whole trace into memory and validates it (op letters,
 * ids in range, op count matching the header). Its memory comes from mmap,
 * never from malloc, so loading a trace leaves the allocator under test
 * untouched.
 * The reader knows nothing about allocators. The replayer below (rep_step)
 * is the one walk of a trace that slz-replay, its heap timeline and the
 * benchmark share: it calls the caller's allocator and hooks.
 */
#ifndef REP_H
#define REP_H

#include <stddef.h>
#include <stdint.h>

enum rep_format {
    REP_AUTO = 0,   /* guess from the header (see rep_load) */
    REP_CLASSIC,    /* heap size, ids, ops, weight */
    REP_64,         /* weight, ids, ops, peak payload */
};

enum rep_kind {
    REP_ALLOC = 'a',
    REP_REALLOC = 'r',
    REP_FREE = 'f',
};

struct rep_op {
    uint8_t kind;   /* enum rep_kind */
    int32_t id;     /* 0 .. num_ids-1; -1 only in REP_FREE: free(NULL) */
    uint64_t size;  /* bytes asked for; 0 for REP_FREE */
    uint32_t site;  /* allocation site (an optional fourth number on a/r lines, SLZ_SITES); 0: none */
};

struct rep_trace {
    char name[128];          /* file name without directory and ".rep" */
    enum rep_format format;  /* the format actually used */
    uint64_t header_heap;    /* classic: suggested heap size (unused); 64: 0 */
    uint64_t header_peak;    /* 64: peak live payload from the header; classic: 0 */
    uint64_t weight;         /* scoring weight (0: a checking-only trace) */
    size_t num_ids;
    size_t num_ops;
    struct rep_op *ops;      /* num_ops operations */
    uint64_t peak_payload;   /* computed: highest sum of live requested bytes */
    uint64_t max_request;    /* computed: largest single size asked for */
    uint32_t max_site;       /* the highest site number on a line; 0: the trace has none */
};

/* Reads path into *t. fmt REP_AUTO guesses: a first header value of 0 or 1
 * with a fourth above 1 is the 64-bit set (weight first), anything else
 * classic. Returns 0, or -1 with a one-line reason in err (errlen bytes). */
int rep_load(const char *path, enum rep_format fmt, struct rep_trace *t, char *err, size_t errlen);

/* Frees the op array rep_load allocated (the header fields stay). */
void rep_free(struct rep_trace *t);

/* Peak live payload of ops as a replay would see it: an allocation adds its
 * size, a realloc replaces the block's size, a free removes it (by id).
 * rep_load stores it in t->peak_payload; exported for tools that build
 * their own op arrays. Returns UINT64_MAX if an id is out of range. */
uint64_t rep_peak_payload(const struct rep_op *ops, size_t num_ops, size_t num_ids);

/* "classic" or "64". */
const char *rep_format_name(enum rep_format f);

/* ---- The replayer ------------------------------------------------------ */

/* An id's block now: p NULL when it has none; then size is REP_FAILED
 * when its last allocation failed (its free is no misuse), REP_AWAY when
 * the fallback holds it (see away below). */
struct rep_block {
    void *p;
    uint64_t size;
};
#define REP_FAILED UINT64_MAX
#define REP_AWAY (UINT64_MAX - 1)

/* The allocator under replay and what the caller watches. alloc, realloc
 * and free are the allocator's (realloc(p, 0) frees p and gives NULL);
 * check (may be NULL): block b of id is about to be freed or reallocated
 * (kind says which: REP_FREE also for a live id allocated again);
 * placed (may be NULL): id's block is now b (old: where it was, p NULL if
 * nowhere), after op i; gone (may be NULL): id's block at p was freed.
 * away (may be NULL: none) is a fallback, as the shim's glibc: an
 * allocation the allocator refuses is the fallback's (a realloc's old block
 * is freed, as if moved there), and so is every call on that id until its
 * free; away is told each such call o, which counts neither as failed nor
 * as misuse and never reaches the allocator. */
struct rep_calls {
    void *(*alloc)(void *ctx, size_t n);
    void *(*realloc)(void *ctx, void *p, size_t n);
    void (*free)(void *ctx, void *p);
    void (*check)(void *ctx, int32_t id, const struct rep_block *b, int kind);
    void (*placed)(void *ctx, int32_t id, const struct rep_block *b, struct rep_block old, size_t i);
    void (*gone)(void *ctx, int32_t id, void *p);
    void (*away)(void *ctx, int32_t id, const struct rep_op *o);
};

/* What a replay saw: allocations the allocator refused; operations that
 * misused an id (allocating a live one, freeing one not live); the live
 * payload of the blocks actually allocated, and its peak. */
struct rep_tally {
    uint64_t failed, misused, live, peak;
};

/* rep_drop: id's block is gone (freed, or realloc'd to nothing). */
static inline void rep_drop(const struct rep_calls *c, void *ctx, struct rep_block *b, struct rep_tally *t,
                            int32_t id)
{
    if (c->gone)
        c->gone(ctx, id, b->p);
    t->live -= b->size;
    b->p = NULL;
    b->size = 0;
}

/* rep_place: id's block is now p, of size bytes. */
static inline void rep_place(const struct rep_calls *c, void *ctx, struct rep_block *b, struct rep_tally *t,
                             int32_t id, void *p, uint64_t size, size_t i)
{
    struct rep_block old = *b;
    t->live = t->live - (old.p ? old.size : 0) + size;
    *b = (struct rep_block){p, size};
    if (c->placed)
        c->placed(ctx, id, b, old, i);
    if (t->live > t->peak)
        t->peak = t->live;
}

/* rep_step: operation i of a trace (o), against blk (one rep_block per id,
 * all zero at first). Returns the block the operation placed, or NULL.
 * static inline: each caller's allocator and hooks are inlined into its
 * loop (the benchmark times it). */
static inline void *rep_step(const struct rep_calls *c, void *ctx, struct rep_block *blk, struct rep_tally *t,
                             const struct rep_op *o, size_t i)
{
    if (o->id < 0) { /* free(NULL) */
        c->free(ctx, NULL);
        return NULL;
    }
    struct rep_block *b = &blk[o->id];
    void *p;
    if (c->away && b->size == REP_AWAY && o->kind != REP_ALLOC) { /* a call on the fallback's block */
        c->away(ctx, o->id, o);
        b->size = o->kind == REP_REALLOC && o->size ? REP_AWAY : 0; /* realloc(p, 0) frees */
        return NULL;
    }
    switch (o->kind) {
    case REP_ALLOC:
        if (b->p != NULL) { /* id still live: a malformed trace */
            t->misused++;
            if (c->check)
                c->check(ctx, o->id, b, REP_FREE);
            c->free(ctx, b->p);
            rep_drop(c, ctx, b, t, o->id);
        }
        p = c->alloc(ctx, o->size);
        if (p == NULL) {
            if (c->away)
                c->away(ctx, o->id, o);
            else
                t->failed++;
            b->size = c->away ? REP_AWAY : REP_FAILED;
            return NULL;
        }
        break;
    case REP_REALLOC:
        if (b->p != NULL && c->check)
            c->check(ctx, o->id, b, REP_REALLOC);
        p = c->realloc(ctx, b->p, o->size);
        if (p == NULL) {
            if (o->size == 0 && b->p != NULL)
                rep_drop(c, ctx, b, t, o->id); /* realloc(p, 0) freed p */
            else if (o->size != 0 && c->away) { /* moved to the fallback */
                if (b->p != NULL) {
                    c->free(ctx, b->p);
                    rep_drop(c, ctx, b, t, o->id);
                }
                c->away(ctx, o->id, o);
                b->size = REP_AWAY;
            } else if (o->size != 0)
                t->failed++; /* the old block stays as it was */
            return NULL;
        }
        break;
    default: /* REP_FREE */
        if (b->p == NULL) { /* not live: its allocation failed, or a malformed trace */
            t->misused += b->size != REP_FAILED;
            b->size = 0;
            return NULL;
        }
        if (c->check)
            c->check(ctx, o->id, b, REP_FREE);
        c->free(ctx, b->p);
        rep_drop(c, ctx, b, t, o->id);
        return NULL;
    }
    rep_place(c, ctx, b, t, o->id, p, o->size, i);
    return p;
}

#endif /* REP_H */
