/*
 * slz_report.h - the report layer: what the shim (libslzmalloc.so) and the
 * tools (slz-replay) share, built from src/report/ into its own library
 * (build/libslzreport.a for the tools; compiled into libslzmalloc.so). It
 * stands on the core's public API alone (include/slz.h: a const slz_heap *,
 * its walker and its counters) and knows nothing of the shim: no threads,
 * no environment, no glibc.
 *
 *   out.c       the formatter: a fixed buffer written with write(2), no
 *               stdio, no malloc (safe inside the allocator)
 *   file.c      report files that never harm a file not our own
 *   heapstats.c the core's counters as text lines and as JSON
 *   table.c     a report as one table of fields, printed as text or JSON
 *   heapmap.c   an SVG picture of one heap
 *   addr.c      live blocks by address (trace ids), without malloc
 * and, header-only here, the one parser of sizes.
 */
#ifndef SLZ_REPORT_H
#define SLZ_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "slz.h"

/* ---- Sizes ------------------------------------------------------------- */
/* Header-only so that the shim (SLZ_HEAP_SIZE), slz-replay, the benchmarks
 * and the tests read a size the same way; it allocates and calls nothing
 * (the shim runs it before its heap exists). */
/* slz_parse_size: decimal digits, then an optional K, M or G (powers of
 * 1024, any case), then an optional B; nothing else. Returns the size, or 0
 * on a bad value (zero included); then, when why is not NULL, *why says what
 * is wrong in a phrase for a warning line (else *why is NULL). */
static inline size_t slz_parse_size(const char *s, const char **why)
{
    const char *dummy;
    size_t v = 0;
    unsigned shift = 0;
    int big = 0;
    if (why == NULL)
        why = &dummy;
    *why = NULL;
    if (s == NULL || *s < '0' || *s > '9') {
        *why = "not a number (digits, then K, M or G, e.g. 256M)";
        return 0;
    }
    for (; *s >= '0' && *s <= '9'; s++) {
        if (v > (SIZE_MAX - 9) / 10)
            big = 1;
        v = v * 10 + (size_t)(*s - '0');
    }
    if (*s == '.' || *s == ',') {
        *why = "not a whole number (write 1.5G as 1536M)";
        return 0;
    }
    switch (*s) {
    case 'k': case 'K': shift = 10; s++; break;
    case 'm': case 'M': shift = 20; s++; break;
    case 'g': case 'G': shift = 30; s++; break;
    }
    if (*s == 'b' || *s == 'B')
        s++;
    if (*s != '\0') {
        *why = "unknown suffix (use K, M or G, e.g. 256M)";
        return 0;
    }
    if (big || v > (SIZE_MAX >> shift)) {
        *why = "too large";
        return 0;
    }
    if (v == 0)
        *why = "zero (the heap needs at least one page)";
    return v << shift;
}

/* ---- The formatter (out.c) -------------------------------------------- */
/* say: write "slzmalloc: " and the pieces as one line to fd, one write(2). */
void say(int fd, const char *const *pieces, int n);

/* A fixed output buffer that the caller gives, written to fd with
 * write(2) when full and at out_flush: reports are formatted without stdio
 * and without malloc. With fd -1 it builds a string instead: what does not
 * fit is cut (failed is set), and out_str ends it with a NUL (OUT_STRING
 * keeps a byte for it). One left without a buffer (all zero, fd set later)
 * still works, a write(2) a character. */
struct out {
    int fd;       /* where the text goes (-1: a string in buf) */
    int failed;   /* a write failed, or the string was cut */
    size_t at;    /* bytes in buf */
    size_t cap;   /* bytes buf can take */
    char *buf;
};
#define OUT_FD(fd, buf) {(fd), 0, 0, sizeof(buf), (buf)}
#define OUT_STRING(buf) {-1, 0, 0, sizeof(buf) - 1, (buf)}
const char *out_str(struct out *o); /* the string built so far */
void out_flush(struct out *o);
void out_ch(struct out *o, char c);
void out_s(struct out *o, const char *s);
void out_u(struct out *o, uint64_t v, int width);
void out_i(struct out *o, int64_t v);
void out_hex(struct out *o, uint64_t v);
void out_pct(struct out *o, uint64_t part, uint64_t whole);
void out_bytes(struct out *o, uint64_t v);
void out_json_str(struct out *o, const char *s);
void out_xml(struct out *o, const char *s);
int out_path(char *dst, size_t cap, const char *path, const char *ext, uint64_t n, int digits);

void stats_core_text(struct out *o, const struct slz_heap_stats *h);
void stats_core_json(struct out *o, const struct slz_heap_stats *h);
/* out_key: "k": of a JSON object; out_field: "k":v, then a comma unless last. */
void out_key(struct out *o, const char *k);
void out_field(struct out *o, const char *k, uint64_t v, int last);

/* ---- Reports as tables (table.c) -------------------------------------- */
/* A report is one table of fields over a struct (offsets into it), walked
 * by two printers. fields_text: each field's text, then its value;
 * fields_json: "key":value for each field with a key, comma-separated
 * (the caller writes the braces around them). Numbers are 64 bits wide. */
enum field_kind {
    F_TEXT,   /* the text alone */
    F_U64,    /* a number at at */
    F_PCT,    /* at / of as a percentage with one decimal ("73.4") */
    F_STR,    /* a const char * at at */
    F_BOOL,   /* a uint64_t at at, true or false in JSON (nothing in text) */
    F_PLURAL, /* text only: the text, then "s" unless the number at at is 1 */
    F_UNLESS, /* text only: the text; when the number at at is 0, the next of fields are skipped */
};
struct field {
    const char *text; /* the text form's words before the value (NULL: not in text) */
    const char *key;  /* the JSON key (NULL: not in JSON) */
    unsigned char kind;
    unsigned short at, of;
};
#define FIELD(text, key, kind, type, m) {text, key, kind, offsetof(type, m), 0}
#define FIELD_PCT(text, key, type, part, whole) {text, key, F_PCT, offsetof(type, part), offsetof(type, whole)}
#define FIELD_TEXT(text) {text, NULL, F_TEXT, 0, 0}
#define FIELD_UNLESS(text, type, m, skip) {text, NULL, F_UNLESS, offsetof(type, m), skip}
#define FIELDS(table) (table), (sizeof(table) / sizeof((table)[0]))
void fields_text(struct out *o, const struct field *f, size_t n, const void *data);
void fields_json(struct out *o, const struct field *f, size_t n, const void *data);

/* ---- The core's counters (heapstats.c) -------------------------------- */
/* The lines "slzmalloc:   core: ..." of a statistics table, and the same
 * counters as one JSON object. */
void stats_core_text(struct out *o, const struct slz_heap_stats *h);
void stats_core_json(struct out *o, const struct slz_heap_stats *h);

/* ---- Heap maps (heapmap.c) -------------------------------------------- */
/* heapmap_write: an SVG picture of heap h (slz_heap_walk) to fd, one
 * box per chunk in address order, or cells that sum up address ranges when
 * the heap has too many chunks to draw. title: the picture's first line.
 * heapmap_file: the same into path (a temporary file renamed into place).
 * Both return 0, or -1 if the picture could not be written. */
int heapmap_write(int fd, const slz_heap *h, const char *title);
int heapmap_file(const char *path, const slz_heap *h, const char *title);

/* ---- Live blocks by address (addr.c) --------------------------------- */
/* A table from a block's address (never 0) to its trace id and size, with
 * its memory from mmap (no malloc). An empty table is all zero; addr_put
 * adds or replaces (0, or -1 without memory); addr_find: the slot of key or
 * NULL; addr_del empties a slot addr_find gave; addr_free gives it all back. */
struct addr_slot {
    uintptr_t key;
    uint64_t size;
    int64_t id;
};
struct addr_table {
    struct addr_slot *slot;
    size_t cap, count; /* cap: a power of two */
};
int addr_put(struct addr_table *t, uintptr_t key, int64_t id, uint64_t size);
struct addr_slot *addr_find(const struct addr_table *t, uintptr_t key);
void addr_del(struct addr_table *t, struct addr_slot *s);
void addr_free(struct addr_table *t);

/* ---- Report files (file.c) -------------------------------------------- */
/* Reports are never written through a symlink, nor into a file the
 * process did not create. file_create: a fresh file "<path>.<pid>[.<k>].tmp"
 * (O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600), its name in tmp: the fd, or -1.
 * file_claim: tmp renamed to path only if nothing is there: 0, or -1 (EEXIST
 * when path is taken). file_begin: a report for path in f->fd (-1 on
 * failure); with collect, it starts with what path held (a plain file of
 * ours) and the directory is locked until file_end. file_end: closes f->fd,
 * renames the report onto path when ok (else removes it): 0, or -1. */
struct file_report {
    int fd, lock;
    char tmp[4096];
};
int file_create(char *tmp, size_t cap, const char *path);
int file_claim(const char *tmp, const char *path);
int file_begin(struct file_report *f, const char *path, int collect);
int file_end(struct file_report *f, const char *path, int ok);
/* file_end_own: as file_end for a report begun without collect, but the
 * report takes path only if nothing is there, else "<stem>.<pid><ext>"
 * (a file of its own: one JSON document each). */
int file_end_own(struct file_report *f, const char *path, const char *ext, int ok);

#endif
