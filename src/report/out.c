/*
 * out.c - the report layer's formatter: a fixed output buffer for reports
 * written from inside the allocator, no stdio, no malloc. Text goes into
 * the buffer; when it fills up (and at out_flush) it is written to its file
 * descriptor with write(2). Used by the statistics, the heap map, the trace
 * recorder, the call sites and slz-replay. Also the one-line messages (say).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <unistd.h>

#include "slz_report.h"

/* ---- Messages --------------------------------------------------------- */

/* say: "slzmalloc: " and the pieces as one line, one write(2) from a fixed
 * buffer (a longer line is cut). */
void say(int fd, const char *const *pieces, int n)
{
    char buf[512];
    size_t at = 0;
    const char *head = "slzmalloc: ";
    for (int i = -1; i < n; i++)
        for (const char *s = i < 0 ? head : pieces[i]; *s && at < sizeof buf - 1; s++)
            buf[at++] = *s;
    buf[at++] = '\n';
    ssize_t r = write(fd, buf, at);
    (void)r;
}

/* out_flush: write what the buffer holds. Keeps errno; gives up on errors
 * (a report that cannot be written must not disturb the program). */
void out_flush(struct out *o)
{
    int saved = errno;
    for (size_t done = 0; done < o->at && o->fd >= 0;) {
        ssize_t n = write(o->fd, o->buf + done, o->at - done);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0) {
            o->failed = 1;
            break;
        }
        done += (size_t)n;
    }
    o->at = 0;
    errno = saved;
}

void out_ch(struct out *o, char c)
{
    if (o->buf == NULL) { /* set up without a buffer (all zero): each character straight to fd */
        if (o->fd >= 0 && write(o->fd, &c, 1) != 1)
            o->failed = 1;
        return;
    }
    if (o->at == o->cap) {
        if (o->fd < 0) { /* a string: cut */
            o->failed = 1;
            return;
        }
        out_flush(o);
    }
    o->buf[o->at++] = c;
}

const char *out_str(struct out *o)
{
    o->buf[o->at] = '\0';
    return o->buf;
}

void out_s(struct out *o, const char *s)
{
    while (*s)
        out_ch(o, *s++);
}

/* out_u: v in decimal, right-aligned in width columns (0: no padding). */
void out_u(struct out *o, uint64_t v, int width)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = n; i < width; i++)
        out_ch(o, ' ');
    while (n > 0)
        out_ch(o, d[--n]);
}

void out_i(struct out *o, int64_t v)
{
    if (v < 0) {
        out_ch(o, '-');
        out_u(o, (uint64_t)0 - (uint64_t)v, 0);
    } else
        out_u(o, (uint64_t)v, 0);
}

/* out_hex: "0x" and v in lower-case hex. */
void out_hex(struct out *o, uint64_t v)
{
    char d[16];
    int n = 0;
    do
        d[n++] = "0123456789abcdef"[v & 15];
    while (v >>= 4);
    out_s(o, "0x");
    while (n > 0)
        out_ch(o, d[--n]);
}

/* out_pct: part/whole as a percentage with one decimal ("73.4"). */
void out_pct(struct out *o, uint64_t part, uint64_t whole)
{
    if (whole == 0) {
        out_s(o, "0.0");
        return;
    }
    unsigned __int128 t = (unsigned __int128)part * 1000 / whole;
    out_u(o, (uint64_t)(t / 10), 0);
    out_ch(o, '.');
    out_ch(o, (char)('0' + (int)(t % 10)));
}

/* out_bytes: a size for people: "512 B", "4.0 KiB", "1.5 MiB", "2.0 GiB". */
void out_bytes(struct out *o, uint64_t v)
{
    static const char *const unit[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    uint64_t scale = 1;
    while (u < 4 && v >= scale * 1024) {
        scale *= 1024;
        u++;
    }
    if (u == 0)
        out_u(o, v, 0);
    else {
        uint64_t tenths = (uint64_t)((unsigned __int128)v * 10 / scale);
        out_u(o, tenths / 10, 0);
        out_ch(o, '.');
        out_ch(o, (char)('0' + (int)(tenths % 10)));
    }
    out_ch(o, ' ');
    out_s(o, unit[u]);
}

/* out_json_str: s as a JSON string, quotes included. */
void out_json_str(struct out *o, const char *s)
{
    out_ch(o, '"');
    for (; s && *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\') {
            out_ch(o, '\\');
            out_ch(o, (char)c);
        } else if (c < 0x20) {
            out_s(o, "\\u00");
            out_ch(o, "0123456789abcdef"[c >> 4]);
            out_ch(o, "0123456789abcdef"[c & 15]);
        } else
            out_ch(o, (char)c);
    }
    out_ch(o, '"');
}

/* out_key: "k": (a JSON object's key); out_field: "k":v and a comma unless last. */
void out_key(struct out *o, const char *k)
{
    out_json_str(o, k);
    out_ch(o, ':');
}

void out_field(struct out *o, const char *k, uint64_t v, int last)
{
    out_key(o, k);
    out_u(o, v, 0);
    if (!last)
        out_ch(o, ',');
}

/* out_xml: s with the five XML special characters escaped. */
void out_xml(struct out *o, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': out_s(o, "&lt;"); break;
        case '>': out_s(o, "&gt;"); break;
        case '&': out_s(o, "&amp;"); break;
        case '"': out_s(o, "&quot;"); break;
        case '\'': out_s(o, "&apos;"); break;
        default:
            if ((unsigned char)*s >= 0x20 || *s == '\n' || *s == '\t')
                out_ch(o, *s);
        }
    }
}

/* out_path: a file name derived from path: with n > 0, ".<n>" (zero-padded
 * to digits columns) goes before the extension ext when path ends with it,
 * else at the end: ("map.svg", ".svg", 3, 1) -> "map.3.svg". */
int out_path(char *dst, size_t cap, const char *path, const char *ext, uint64_t n, int digits)
{
    size_t len = 0, elen = 0, at = 0;
    while (path[len])
        len++;
    while (ext[elen])
        elen++;
    size_t stem = len;
    if (len > elen) {
        size_t i = 0;
        while (i < elen && path[len - elen + i] == ext[i])
            i++;
        if (i == elen)
            stem = len - elen;
    }
    char d[24];
    int nd = 0;
    for (uint64_t v = n; v || nd < digits; v /= 10)
        d[nd++] = (char)('0' + v % 10);
    if (stem + 1 + (size_t)nd + (len - stem) + 1 > cap)
        return -1;
    for (size_t i = 0; i < stem; i++)
        dst[at++] = path[i];
    if (n > 0 || digits > 0) {
        dst[at++] = '.';
        while (nd > 0)
            dst[at++] = d[--nd];
    }
    for (size_t i = stem; i < len; i++)
        dst[at++] = path[i];
    dst[at] = '\0';
    return 0;
}
