/*
 * rep.h - reading malloc-lab allocation traces (.rep files).
 *
 * The format, as the CS:APP malloc lab (Bryant and O'Hallaron) defined it:
 * four header lines of one integer each, then one operation a line:
 *   a ID SIZE   allocate SIZE bytes for block ID
 *   r ID SIZE   reallocate block ID to SIZE bytes (min(old, new) bytes survive)
 *   f ID        free block ID
 * An "a" or "r" line may end with a fourth number, the allocation site
 * (traces recorded with SLZ_SITES): kept in the op, ignored by replays.
 * Two header orders exist:
 *   classic (the CS:APP set):  suggested heap size, number of ids, number of ops, weight
 *   64-bit  (CMU 15-213 set): weight, number of ids, number of ops, peak live payload
 * and in the 64-bit form "f -1" (any negative id) means free(NULL). The shim
 * writes the 64-bit form (preload/trace.c, SLZ_TRACE); tests/bench/gen-traces.c
 * writes both.
 *
 * rep_load() reads a whole trace into memory and validates it (op letters,
 * ids in range, op count matching the header). Its memory comes from mmap,
 * never from malloc, so loading a trace leaves the allocator under test
 * untouched.
 * The reader knows nothing about allocators; replaying is the caller's job.
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

#endif /* REP_H */
