/*
 * plot.h - memory over time: the heap's bytes live, its footprint (the
 * high-water mark), the free bytes below it and the largest free chunk
 * below it, over a whole trace, drawn as SVG by slz-replay itself (no
 * plotting dependency): `--plot F.svg` alone, and on the timeline page.
 */
#ifndef PLOT_H
#define PLOT_H

#include <stdint.h>
#include <stdio.h>

struct plot_point {
    uint64_t op;      /* after this many operations */
    uint64_t live;    /* bytes of chunks in use (headers included) */
    uint64_t hw;      /* footprint: the highest chunk end ever used */
    uint64_t free;    /* bytes of free chunks below hw (hw - live) */
    uint64_t largest; /* the largest free chunk, counted below hw */
};

struct plot {
    struct plot_point *pt; /* in op order */
    size_t n, cap;
    uint64_t ops;          /* operations of the trace */
    uint64_t heap;         /* bytes of the heap */
    uint64_t peak, peak_op; /* the most bytes live, after op peak_op (every op, not only the points) */
    const char *name;      /* the trace's name */
};

/* Adds a point (op order). */
void plot_add(struct plot *p, const struct plot_point *pt);
/* Notes the bytes live after op (the peak is kept). */
void plot_live(struct plot *p, uint64_t op, uint64_t live);
/* The plot as one <svg> element; standalone adds the XML namespace and a
 * white background, for a file of its own. Its geometry is in data-*
 * attributes (data-x0, data-x1: the x of op 0 and of the last op; data-ops)
 * for the page's step marker and clicks. */
void plot_svg(FILE *f, const struct plot *p, int standalone);
/* Writes the standalone SVG to path (a fresh file, mode 0600, renamed into
 * place): 0, or -1 with errno set. */
int plot_file(const char *path, const struct plot *p);
void plot_release(struct plot *p);

#endif /* PLOT_H */
