/*
 * html.h - the heap timeline page and the text heap dump of slz-replay
 * (scripts/html.c).
 */
#ifndef HTML_H
#define HTML_H

#include <stddef.h>

#include "rep.h"

struct html_opts {
    const char *out;      /* the page to write, or NULL */
    const char *plot;     /* memory over time as SVG (scripts/plot.c), or NULL */
    long long dump_at;    /* print the heap after this many operations; -1: never */
    long long around;     /* also a step for every operation near this one; -1: none */
    size_t max_steps;     /* evenly spaced steps of a long trace; 0: 5000 */
    size_t heap;          /* bytes of the heap */
    int quiet;
    int fallback;         /* what the heap cannot hold is glibc's, left out (the run under the shim) */
    int cache;            /* the fast mode's heap (SLZ_CACHE), grown as the shim grows it */
};

/* Replays t through the core (scripts/html_core.c) and writes what o asks.
 * Returns the exit status: 0, 1 when allocations failed or the trace
 * misused an id, 2 when the page or the heap could not be made. */
int html_replay(const struct rep_trace *t, const char *trace_path, const struct html_opts *o);

#endif /* HTML_H */
