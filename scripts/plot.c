/*
 * plot.c - memory over time as SVG; see plot.h.
 *
 * The picture: x is the operation (0 .. ops), y bytes (0 .. a round number
 * above the footprint), with grid lines at round values in binary units
 * (KiB, MiB). Four lines: bytes live (blue), the footprint (grey, dashed),
 * the free bytes below it (yellow) and the largest free chunk below it
 * (green); the gap between free bytes and the largest free chunk is the
 * external fragmentation. The peak of bytes live is marked and labelled.
 */
#define _GNU_SOURCE
#include "plot.h"

#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>

#include "outfile.h"

#define W 900 /* the picture's size in px */
#define H 280
#define LEFT 72 /* room for the y labels */
#define RIGHT 16
#define TOP 40 /* title and legend */
#define BOTTOM 34

void plot_add(struct plot *p, const struct plot_point *pt)
{
    if (p->n == p->cap) {
        p->cap = p->cap ? p->cap * 2 : 1024;
        struct plot_point *q = realloc(p->pt, p->cap * sizeof *q);
        if (!q) {
            fprintf(stderr, "slz-replay: out of memory\n");
            exit(2);
        }
        p->pt = q;
    }
    p->pt[p->n++] = *pt;
}

void plot_live(struct plot *p, uint64_t op, uint64_t live)
{
    if (live > p->peak) {
        p->peak = live;
        p->peak_op = op;
    }
}

void plot_release(struct plot *p)
{
    free(p->pt);
    p->pt = NULL;
    p->n = p->cap = 0;
}

/* units: n bytes as "64 KiB", "1.5 MiB" (one decimal unless whole) */
static const char *units(char *buf, size_t cap, uint64_t n)
{
    static const char *const u[] = {"B", "KiB", "MiB", "GiB", "TiB"};
    int i = 0;
    double v = (double)n;
    while (i < 4 && v >= 1024) {
        v /= 1024;
        i++;
    }
    if (v == (double)(uint64_t)v)
        snprintf(buf, cap, "%" PRIu64 " %s", (uint64_t)v, u[i]);
    else
        snprintf(buf, cap, "%.1f %s", v, u[i]);
    return buf;
}

/* a round step for about want ticks over 0..max: a power of two for
 * bytes (binary), else 1, 2 or 5 times a power of ten (operations) */
static uint64_t round_step(uint64_t max, int want, int binary)
{
    uint64_t raw = (max + (uint64_t)want - 1) / (uint64_t)want, unit = 1;
    if (binary) {
        while (unit < raw)
            unit *= 2;
        return unit;
    }
    for (;; unit *= 10)
        for (uint64_t m = 1; m <= 5; m += m == 1 ? 1 : 3)
            if (unit * m >= raw)
                return unit * m;
}

static double xat(const struct plot *p, uint64_t op)
{
    return LEFT + (double)(W - LEFT - RIGHT) * (double)op / (double)(p->ops ? p->ops : 1);
}

static double yat(uint64_t top, uint64_t v) { return TOP + (double)(H - TOP - BOTTOM) * (1.0 - (double)v / (double)top); }

static void axes(FILE *f, const struct plot *p, uint64_t top, uint64_t ystep)
{
    char b[32];
    for (uint64_t v = 0; v <= top; v += ystep) {
        double y = yat(top, v);
        fprintf(f, "<line class=\"grid\" x1=\"%d\" y1=\"%.1f\" x2=\"%d\" y2=\"%.1f\" stroke=\"#e4e4e4\"/>", LEFT, y,
                W - RIGHT, y);
        fprintf(f, "<text x=\"%d\" y=\"%.1f\" text-anchor=\"end\">%s</text>\n", LEFT - 6, y + 4, units(b, sizeof b, v));
    }
    uint64_t xstep = round_step(p->ops ? p->ops : 1, 6, 0);
    for (uint64_t o = 0; o <= p->ops; o += xstep)
        fprintf(f, "<text x=\"%.1f\" y=\"%d\" text-anchor=\"middle\">%" PRIu64 "</text>", xat(p, o), H - BOTTOM + 16,
                o);
    fprintf(f, "<text x=\"%d\" y=\"%d\" text-anchor=\"end\">operations</text>\n", W - RIGHT, H - 4);
}

/* xml: s with &, <, > and " escaped */
static void xml(FILE *f, const char *s)
{
    for (; *s; s++)
        if (*s == '&' || *s == '<' || *s == '>' || *s == '"')
            fprintf(f, "&#%d;", *s);
        else
            fputc(*s, f);
}

/* one line through the points: field is the point's value as an index
 * into its fields (all uint64_t, op first) */
static void line(FILE *f, const struct plot *p, uint64_t top, const char *id, const char *colour, const char *dash,
                 size_t field)
{
    fprintf(f, "<polyline id=\"%s\" fill=\"none\" stroke=\"%s\" stroke-width=\"1.5\"%s points=\"", id, colour, dash);
    for (size_t i = 0; i < p->n; i++) {
        const uint64_t *v = &p->pt[i].op;
        fprintf(f, "%s%.1f,%.1f", i ? " " : "", xat(p, p->pt[i].op), yat(top, v[field]));
    }
    fputs("\"/>\n", f);
}

static void legend(FILE *f)
{
    static const char *const item[][2] = {
        {"#3a6ea5", "bytes live"},
        {"#555555", "footprint (high water)"},
        {"#d9a400", "free bytes below it"},
        {"#2a9d8f", "largest free chunk below it"},
    };
    for (int i = 0; i < 4; i++) {
        int x = LEFT + 8 + i * 190;
        fprintf(f, "<rect x=\"%d\" y=\"24\" width=\"14\" height=\"4\" fill=\"%s\"/><text x=\"%d\" y=\"30\">%s</text>", x,
                item[i][0], x + 18, item[i][1]);
    }
    fputc('\n', f);
}

void plot_svg(FILE *f, const struct plot *p, int standalone)
{
    char b[32], c[32];
    uint64_t max = p->peak; /* the footprint at the end, at least the peak */
    if (p->n && p->pt[p->n - 1].hw > max)
        max = p->pt[p->n - 1].hw;
    uint64_t ystep = round_step(max ? max : 1, 4, 1);
    uint64_t top = (max / ystep + (max % ystep != 0 || !max)) * ystep;
    fprintf(f, "<svg%s id=\"plot\" width=\"%d\" height=\"%d\" viewBox=\"0 0 %d %d\" data-x0=\"%d\" data-x1=\"%d\" "
               "data-ops=\"%" PRIu64 "\" font-family=\"sans-serif\" font-size=\"11\">\n",
            standalone ? " xmlns=\"http://www.w3.org/2000/svg\"" : "", W, H, W, H, LEFT, W - RIGHT, p->ops);
    fputs("<title>memory over time: ", f);
    xml(f, p->name);
    fprintf(f, ", %" PRIu64 " operations, heap %s</title>\n", p->ops, units(b, sizeof b, p->heap));
    if (standalone)
        fprintf(f, "<rect width=\"%d\" height=\"%d\" fill=\"#fff\"/>\n", W, H);
    fprintf(f, "<text x=\"%d\" y=\"14\" font-size=\"13\">memory over time: ", LEFT);
    xml(f, p->name);
    fprintf(f, " (heap %s)</text>\n", units(b, sizeof b, p->heap));
    legend(f);
    axes(f, p, top, ystep);
    line(f, p, top, "plot-hw", "#555555", " stroke-dasharray=\"5 3\"", 2);
    line(f, p, top, "plot-free", "#d9a400", "", 3);
    line(f, p, top, "plot-largest", "#2a9d8f", "", 4);
    line(f, p, top, "plot-live", "#3a6ea5", "", 1);
    double x = xat(p, p->peak_op), y = yat(top, p->peak);
    int right = x > W / 2;
    fprintf(f, "<circle id=\"plot-peak\" data-bytes=\"%" PRIu64 "\" data-op=\"%" PRIu64 "\" cx=\"%.1f\" cy=\"%.1f\" r=\"3.5\" fill=\"#e4572e\"/>"
               "<text id=\"plot-peak-label\" x=\"%.1f\" y=\"%.1f\" text-anchor=\"%s\" stroke=\"#fff\" "
               "stroke-width=\"3\" paint-order=\"stroke\">peak %s live, after op %" PRIu64
               " (footprint %s)</text>\n",
            p->peak, p->peak_op, x, y, x + (right ? -6 : 6), y - 6 < TOP + 10 ? y + 14 : y - 6, right ? "end" : "start",
            units(b, sizeof b, p->peak), p->peak_op, units(c, sizeof c, max));
    fputs("</svg>\n", f);
}

int plot_file(const char *path, const struct plot *p)
{
    struct outfile o;
    FILE *f = outfile_open(&o, path);
    if (!f)
        return -1;
    fputs("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n", f);
    plot_svg(f, p, 1);
    return outfile_close(&o);
}
