/*
 * rep.c - reading malloc-lab allocation traces; see rep.h.
 */
#define _GNU_SOURCE
#include "rep.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

/* The reader takes its memory straight from mmap, never from malloc, so
 * that a replay measuring an allocator starts from that allocator's own
 * untouched state. A size word before each area remembers its length. */
static void *area_alloc(size_t bytes)
{
    size_t total = bytes + 16;
    void *p = mmap(NULL, total, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return NULL;
    *(size_t *)p = total;
    return (char *)p + 16;
}

static void area_free(void *q)
{
    if (q) {
        char *p = (char *)q - 16;
        munmap(p, *(size_t *)p);
    }
}

/* fail: formats a reason into err and returns -1. */
static int fail(char *err, size_t errlen, const char *fmt, ...)
{
    va_list ap;
    if (!err || !errlen)
        return -1;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
    return -1;
}

/* A cursor over the file's text. */
struct cur {
    const char *p, *end;
    size_t line;
};

/* skip_space: past blanks and newlines, counting lines. */
static void skip_space(struct cur *c)
{
    while (c->p < c->end && (*c->p == ' ' || *c->p == '\t' || *c->p == '\r' || *c->p == '\n')) {
        if (*c->p == '\n')
            c->line++;
        c->p++;
    }
}

/* read_num: an optionally negative decimal number; 0 on success. */
static int read_num(struct cur *c, int *neg, uint64_t *out)
{
    uint64_t v = 0;
    skip_space(c);
    *neg = 0;
    if (c->p < c->end && *c->p == '-') {
        *neg = 1;
        c->p++;
    }
    if (c->p >= c->end || *c->p < '0' || *c->p > '9')
        return -1;
    while (c->p < c->end && *c->p >= '0' && *c->p <= '9') {
        unsigned d = (unsigned)(*c->p++ - '0');
        if (v > (UINT64_MAX - d) / 10)
            return -1;
        v = v * 10 + d;
    }
    *out = v;
    return 0;
}

/* read_u: a number that must not be negative. */
static int read_u(struct cur *c, uint64_t *out)
{
    int neg;
    return read_num(c, &neg, out) || neg ? -1 : 0;
}

const char *rep_format_name(enum rep_format f)
{
    return f == REP_64 ? "64" : "classic";
}

uint64_t rep_peak_payload(const struct rep_op *ops, size_t num_ops, size_t num_ids)
{
    uint64_t *live = area_alloc((num_ids ? num_ids : 1) * sizeof *live);
    uint64_t cur = 0, peak = 0;
    if (!live)
        return UINT64_MAX;
    for (size_t i = 0; i < num_ops; i++) {
        const struct rep_op *o = &ops[i];
        if (o->id < 0)
            continue;
        if ((size_t)o->id >= num_ids) {
            area_free(live);
            return UINT64_MAX;
        }
        cur -= live[o->id];
        live[o->id] = o->kind == REP_FREE ? 0 : o->size;
        cur += live[o->id];
        if (cur > peak)
            peak = cur;
    }
    area_free(live);
    return peak;
}

/* map_file: the whole file, read-only (NULL and errno on failure). */
static char *map_file(const char *path, size_t *len)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    if (fstat(fd, &st) || !S_ISREG(st.st_mode)) {
        close(fd);
        errno = EINVAL;
        return NULL;
    }
    *len = (size_t)st.st_size;
    void *p = mmap(NULL, *len ? *len : 1, PROT_READ, MAP_PRIVATE, fd, 0);
    close(fd);
    return p == MAP_FAILED ? NULL : p;
}

int rep_load(const char *path, enum rep_format fmt, struct rep_trace *t, char *err, size_t errlen)
{
    size_t len = 0;
    uint64_t h[4];
    struct cur c;
    memset(t, 0, sizeof *t);

    const char *base = strrchr(path, '/');
    base = base ? base + 1 : path;
    snprintf(t->name, sizeof t->name, "%s", base);
    char *dot = strstr(t->name, ".rep");
    if (dot && dot[4] == '\0')
        *dot = '\0';

    char *text = map_file(path, &len);
    if (!text)
        return fail(err, errlen, "%s: cannot read: %s", path, strerror(errno));
    c.p = text;
    c.end = text + len;
    c.line = 1;
    for (int i = 0; i < 4; i++) {
        if (read_u(&c, &h[i])) {
            munmap(text, len ? len : 1);
            return fail(err, errlen, "%s:%zu: header value %d missing or not a number", path, c.line, i + 1);
        }
    }
    if (fmt == REP_AUTO)
        fmt = (h[0] <= 1 && h[3] > 1) ? REP_64 : REP_CLASSIC;
    t->format = fmt;
    if (fmt == REP_64) {
        t->weight = h[0];
        t->header_peak = h[3];
    } else {
        t->header_heap = h[0];
        t->weight = h[3];
    }
    t->num_ids = h[1];
    t->num_ops = h[2];
    if (t->num_ids > INT32_MAX || t->num_ops > (SIZE_MAX / 2) / sizeof *t->ops) {
        munmap(text, len ? len : 1);
        return fail(err, errlen, "%s: header asks for %zu ids and %zu ops: too many", path, t->num_ids, t->num_ops);
    }
    t->ops = area_alloc((t->num_ops ? t->num_ops : 1) * sizeof *t->ops);
    if (!t->ops) {
        munmap(text, len ? len : 1);
        return fail(err, errlen, "%s: no memory for %zu ops", path, t->num_ops);
    }

    size_t n = 0;
    for (;;) {
        skip_space(&c);
        if (c.p >= c.end)
            break;
        char k = *c.p++;
        int neg;
        uint64_t uid, size = 0;
        if (k != REP_ALLOC && k != REP_REALLOC && k != REP_FREE) {
            fail(err, errlen, "%s:%zu: unknown operation '%c'", path, c.line, k);
            goto bad;
        }
        if (read_num(&c, &neg, &uid)) {
            fail(err, errlen, "%s:%zu: bad id", path, c.line);
            goto bad;
        }
        if (k != REP_FREE && read_u(&c, &size)) {
            fail(err, errlen, "%s:%zu: bad size", path, c.line);
            goto bad;
        }
        uint64_t site = 0; /* an optional site number, on the same line */
        while (k != REP_FREE && c.p < c.end && (*c.p == ' ' || *c.p == '\t'))
            c.p++;
        if (k != REP_FREE && c.p < c.end && *c.p >= '0' && *c.p <= '9' && (read_u(&c, &site) || site > UINT32_MAX)) {
            fail(err, errlen, "%s:%zu: bad site", path, c.line);
            goto bad;
        }
        if (neg ? k != REP_FREE : uid >= t->num_ids) {
            fail(err, errlen, "%s:%zu: id %s%llu out of range (%zu ids)", path, c.line, neg ? "-" : "",
                 (unsigned long long)uid, t->num_ids);
            goto bad;
        }
        if (n == t->num_ops) {
            fail(err, errlen, "%s:%zu: more operations than the header's %zu", path, c.line, t->num_ops);
            goto bad;
        }
        t->ops[n].kind = (uint8_t)k;
        t->ops[n].id = neg ? -1 : (int32_t)uid;
        t->ops[n].size = size;
        t->ops[n].site = (uint32_t)site;
        if (site > t->max_site)
            t->max_site = (uint32_t)site;
        if (size > t->max_request)
            t->max_request = size;
        n++;
    }
    if (n != t->num_ops) {
        fail(err, errlen, "%s: %zu operations, header says %zu", path, n, t->num_ops);
        goto bad;
    }
    munmap(text, len ? len : 1);
    t->peak_payload = rep_peak_payload(t->ops, t->num_ops, t->num_ids);
    return 0;
bad:
    munmap(text, len ? len : 1);
    rep_free(t);
    return -1;
}

void rep_free(struct rep_trace *t)
{
    area_free(t->ops);
    t->ops = NULL;
}
