/*
 * html.c - the heap timeline of slz-replay: `--html out.html` replays a trace
 * through the slz core and writes one self-contained HTML page (no network,
 * nothing outside the file) that draws the heap's address space and lets you
 * step through the operations; `--dump-at K` prints the heap after K
 * operations as text (what the page's self-test is checked against).
 *
 * Every call into the core goes through scripts/html_core.c.
 *
 * What the page holds, and how a million operations stay responsive:
 *   - steps: the states the slider can show. A trace of at most max_steps
 *     operations (--steps, default 5000) gets one step per operation. A
 *     longer one is sampled: candidate steps are max_steps + 1 evenly spaced
 *     operations (after 0, n/S, 2n/S, ...), thinned where the heap has many
 *     chunks (after a step with C chunks, no candidate before C * n / VISITS
 *     more operations), so that the walks add up to about VISITS chunks
 *     whatever the trace; every operation within 100 of --around K is a
 *     step too, never thinned. The heap is walked only at steps (and just
 *     before a step's malloc), never at the operations in between.
 *   - each step stores its operation, the block it placed, and its change
 *     against the previous step (chunks removed by offset, chunks added);
 *     a full list of chunks (a keyframe, offsets left out since chunks tile
 *     the heap) is stored whenever the changes since the last keyframe
 *     outgrow KEY_RATIO times the heap's chunk count (at least KEY_MIN
 *     entries), so the page rebuilds any step from its keyframe with work
 *     about KEY_RATIO + 1 times the heap's chunk count, and keyframes take
 *     no more room than about 1 / KEY_RATIO of the changes.
 *   - for a step whose operation is a malloc: the free chunks below the one
 *     first fit took (the holes it passed over, at most HOLES_MAX of them
 *     stored, all counted) and the one it took, from a heap walk just before
 *     that malloc.
 * Chunks are [offset, size, used, id] tuples (offset from the heap's first
 * chunk; id the trace's block id, -1 for free chunks). The field list is in
 * the data ("fields"); a trace that carries call sites can add a "site" field
 * and a "sites" table, which the page then offers to colour by.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "html.h"
#include "html_core.h"
#include "outfile.h"
#include "plot.h"
#include "slz_report.h"

#define HOLES_MAX 400      /* passed-over holes stored per malloc step */
#define KEY_MIN 4096       /* changes always allowed between keyframes */
#define KEY_RATIO 4        /* changes allowed between keyframes, per chunk of the heap */
#define AROUND 100         /* --around K: every operation within K +- AROUND */
#define VISITS 20000000    /* chunks walked for the page, about, over the whole replay */

extern const char timeline_page[]; /* scripts/timeline.html, compiled in by scripts/scripts.mk */
#define MARKER "<!--SLZ-DATA-->\n" /* the line of the page where the data goes */

struct chunk {
    uint64_t off, size;
    int64_t id, site; /* site: the block's allocation site in the trace, -1 none */
    int used;
};

struct chunks {
    struct chunk *c;
    size_t n, cap;
};

struct tl {
    const struct rep_trace *t;
    struct rep_block *blk; /* per id: its block (the replayer's, rep.h) */
    struct rep_tally tally;
    struct addr_table ids; /* live blocks: payload pointer -> trace id (slz_report.h) */
    uintptr_t base;      /* address of the first chunk */
    uintptr_t hdr;       /* payload pointer - chunk address, learned at the first block */
    int hdr_known;
    uint64_t extent;     /* highest end of a used chunk at any step */
    struct chunks prev, cur, pre;
    FILE *out;
    struct outfile file;
    int fallback;        /* --fallback: what the heap cannot hold is glibc's, as under the shim */
    uint64_t glibc;      /* calls left to glibc (fallback) */
    struct plot plot;    /* memory over time (scripts/plot.c) */
    uint32_t *site;      /* per id: its allocation site, when the trace has sites (else NULL) */
};

static int sites; /* the trace carries allocation sites: chunks have a "site" field */

static void out_of_memory(void)
{
    fprintf(stderr, "slz-replay: out of memory\n");
    exit(2);
}

static void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        out_of_memory();
    return q;
}

/* id_of: the trace id of the block at payload address p, or -1 */
static int64_t id_of(const struct tl *tl, uintptr_t p)
{
    const struct addr_slot *s = addr_find(&tl->ids, p);
    return s ? s->id : -1;
}

/* ---- heap walks ---------------------------------------------------------- */

static void collect(uintptr_t addr, size_t size, int used, void *arg)
{
    struct chunks *s = arg;
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 1024;
        s->c = xrealloc(s->c, s->cap * sizeof *s->c);
    }
    s->c[s->n++] = (struct chunk){.off = addr, .size = size, .id = -1, .site = -1, .used = used};
}

/* walk: the heap now, offsets from the first chunk, used chunks named by
 * id when ids is set */
static void walk_ids(struct tl *tl, struct chunks *s, int ids)
{
    s->n = 0;
    hc_walk(collect, s);
    if (s->n && !tl->base)
        tl->base = (uintptr_t)s->c[0].off;
    for (size_t i = 0; i < s->n; i++) {
        struct chunk *c = &s->c[i];
        if (ids && c->used == 1 && tl->hdr_known) /* (a cached block, 2, is no live id) */
            c->id = id_of(tl, (uintptr_t)c->off + tl->hdr);
        if (c->id >= 0 && tl->site && tl->site[c->id])
            c->site = tl->site[c->id];
        c->off -= tl->base;
    }
}

static void walk(struct tl *tl, struct chunks *s) { walk_ids(tl, s, 1); }

/* the chunk of s holding offset off, or NULL */
static const struct chunk *holding(const struct chunks *s, uint64_t off)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->c[mid].off + s->c[mid].size <= off)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo < s->n && s->c[lo].off <= off ? &s->c[lo] : NULL;
}

/* learn: the distance from a chunk to its payload, from the first block */
static void learn_hdr(struct tl *tl, void *p)
{
    static struct chunks s;
    if (tl->hdr_known || !p)
        return;
    walk(tl, &s);
    const struct chunk *c = holding(&s, (uintptr_t)p - tl->base);
    if (c) {
        tl->hdr = (uintptr_t)p - (tl->base + c->off);
        tl->hdr_known = 1;
    }
    free(s.c);
    s = (struct chunks){0};
}

/* ---- replaying ----------------------------------------------------------- */

/* The replayer's calls (rep.h): the core through html_core.c; each block
 * placed is named by its id for the walks. */
static void *cb_alloc(void *ctx, size_t n) { return (void)ctx, hc_malloc(n); }
static void *cb_realloc(void *ctx, void *p, size_t n) { return (void)ctx, hc_realloc(p, n); }
static void cb_free(void *ctx, void *p) { (void)ctx, hc_free(p); }

static void forget(struct tl *tl, void *p)
{
    struct addr_slot *s = addr_find(&tl->ids, (uintptr_t)p);
    if (s)
        addr_del(&tl->ids, s);
}

static void cb_gone(void *ctx, int32_t id, void *p) { (void)id, forget(ctx, p); }

static void cb_placed(void *ctx, int32_t id, const struct rep_block *b, struct rep_block old, size_t i)
{
    struct tl *tl = ctx;
    if (old.p)
        forget(tl, old.p);
    learn_hdr(tl, b->p);
    if (addr_put(&tl->ids, (uintptr_t)b->p, id, b->size) != 0)
        out_of_memory();
    if (tl->site)
        tl->site[id] = tl->t->ops[i].site;
}

/* --fallback, as the shim does: a block the heap cannot hold is glibc's (a
 * realloc that no longer fits moves it there), and so are the calls on it
 * until it is freed (rep.h's away): each is counted, none reaches the heap. */
static void cb_away(void *ctx, int32_t id, const struct rep_op *o) { (void)id, (void)o, ((struct tl *)ctx)->glibc++; }

static const struct rep_calls calls = {cb_alloc, cb_realloc, cb_free, NULL, cb_placed, cb_gone, NULL};
static const struct rep_calls calls_fallback = {cb_alloc, cb_realloc, cb_free, NULL, cb_placed, cb_gone, cb_away};

/* run operation j (from 0); returns the block it placed (NULL if none) */
static void *run(struct tl *tl, size_t j)
{
    return rep_step(tl->fallback ? &calls_fallback : &calls, tl, tl->blk, &tl->tally, &tl->t->ops[j], j);
}

/* measure: the point of the memory plot after op operations, from the
 * heap s then: bytes live, the footprint, and the free chunks below it */
static void measure(struct tl *tl, const struct chunks *s, uint64_t op)
{
    struct plot_point pt = {.op = op};
    hc_usage(&pt.live, &pt.hw);
    for (size_t i = 0; i < s->n && s->c[i].off < pt.hw; i++) {
        const struct chunk *c = &s->c[i];
        uint64_t below = (c->off + c->size < pt.hw ? c->off + c->size : pt.hw) - c->off;
        if (!c->used && below > pt.largest)
            pt.largest = below;
    }
    pt.free = pt.hw > pt.live ? pt.hw - pt.live : 0;
    plot_add(&tl->plot, &pt);
}

static void put_json_str(FILE *f, const char *s);

/* site_names: the frames of each site number, from "<trace>.sites" ("N
 * frames" a line, written by the shim at exit), or NULL; names[N] or NULL */
static char **site_names(const char *trace_path, uint32_t max_site)
{
    char path[4096], *line = NULL;
    size_t cap = 0;
    snprintf(path, sizeof path, "%s.sites", trace_path);
    FILE *in = fopen(path, "r");
    if (!in)
        return NULL;
    char **names = calloc((size_t)max_site + 1, sizeof *names);
    if (!names)
        out_of_memory();
    ssize_t len;
    while ((len = getline(&line, &cap, in)) > 0) {
        char *rest;
        unsigned long n = strtoul(line, &rest, 10);
        line[len - 1] = line[len - 1] == '\n' ? '\0' : line[len - 1];
        if (n && n <= max_site && *rest == ' ' && !names[n] && !(names[n] = strdup(rest + 1)))
            out_of_memory();
    }
    free(line);
    fclose(in);
    return names;
}

/* "sites": the allocation sites the trace names, by number: their frames
 * when "<trace>.sites" has them, else "#N" (a number stands for one site) */
static void put_sites(FILE *f, const struct rep_trace *t, const char *trace_path)
{
    unsigned char *seen = calloc((size_t)t->max_site + 1, 1);
    char **names = site_names(trace_path, t->max_site);
    if (!seen)
        out_of_memory();
    for (size_t i = 0; i < t->num_ops; i++)
        seen[t->ops[i].site] = 1;
    fputs(",\"sites\":{", f);
    for (uint32_t s = 1, first = 1; s <= t->max_site; s++)
        if (seen[s]) {
            char num[16];
            snprintf(num, sizeof num, "#%" PRIu32, s);
            fprintf(f, "%s\"%" PRIu32 "\":", first ? "" : ",", s);
            put_json_str(f, names && names[s] ? names[s] : num);
            first = 0;
        }
    fputc('}', f);
    for (uint32_t s = 0; names && s <= t->max_site; s++)
        free(names[s]);
    free(names);
    free(seen);
}

/* the plot for the page: the SVG as a JSON string */
static void put_plot(FILE *f, const struct plot *p)
{
    char *svg = NULL;
    size_t len = 0;
    FILE *m = open_memstream(&svg, &len);
    if (!m)
        out_of_memory();
    plot_svg(m, p, 0);
    if (fclose(m) != 0)
        out_of_memory();
    fputs(",\"plot\":", f);
    put_json_str(f, svg);
    free(svg);
}

/* ---- writing ------------------------------------------------------------- */

/* a keyframe lists every chunk without its offset: they tile the heap */
static void put_key(FILE *f, const struct chunks *s)
{
    fputs(",\"key\":[", f);
    for (size_t i = 0; i < s->n; i++) {
        fprintf(f, "%s%" PRIu64 ",%d,%" PRId64, i ? "," : "", s->c[i].size, s->c[i].used, s->c[i].id);
        if (sites)
            fprintf(f, ",%" PRId64, s->c[i].site);
    }
    fputc(']', f);
}

static void put_chunk(FILE *f, const struct chunk *c, int *first)
{
    fprintf(f, "%s%" PRIu64 ",%" PRIu64 ",%d,%" PRId64, *first ? "" : ",", c->off, c->size, c->used, c->id);
    if (sites)
        fprintf(f, ",%" PRId64, c->site);
    *first = 0;
}

static int same_chunk(const struct chunk *a, const struct chunk *b)
{
    return a->off == b->off && a->size == b->size && a->used == b->used && a->id == b->id && a->site == b->site;
}

/* the change from prev to cur: "d" offsets removed, "a" chunks added; the
 * number of entries written */
static size_t put_delta(FILE *f, const struct chunks *prev, const struct chunks *cur)
{
    size_t i = 0, j = 0, n = 0;
    int first = 1;
    fputs(",\"d\":[", f);
    while (i < prev->n) {
        while (j < cur->n && cur->c[j].off < prev->c[i].off)
            j++;
        if (!(j < cur->n && same_chunk(&prev->c[i], &cur->c[j]))) {
            fprintf(f, "%s%" PRIu64, first ? "" : ",", prev->c[i].off);
            first = 0;
            n++;
        }
        i++;
    }
    fputs("],\"a\":[", f);
    first = 1;
    for (i = 0, j = 0; j < cur->n; j++) {
        while (i < prev->n && prev->c[i].off < cur->c[j].off)
            i++;
        if (!(i < prev->n && same_chunk(&prev->c[i], &cur->c[j]))) {
            put_chunk(f, &cur->c[j], &first);
            n++;
        }
    }
    fputc(']', f);
    return n;
}

static void put_json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char ch = (unsigned char)*s;
        if (ch == '"' || ch == '\\')
            fprintf(f, "\\%c", ch);
        else if (ch < 0x20 || ch == '<' || ch == '>' || ch == '&') /* never "</script>" */
            fprintf(f, "\\u%04x", ch);
        else
            fputc(ch, f);
    }
    fputc('"', f);
}

static void print_dump(struct tl *tl, uint64_t k)
{
    walk(tl, &tl->pre);
    printf("# slz-replay: heap after %" PRIu64 " of %zu operations of %s: %zu chunks, base 0x%" PRIxPTR "\n", k,
           tl->t->num_ops, tl->t->name, tl->pre.n, tl->base);
    printf("# offset size state id\n");
    for (size_t i = 0; i < tl->pre.n; i++) {
        const struct chunk *c = &tl->pre.c[i];
        printf("%" PRIu64 " %" PRIu64 " %s %" PRId64 "\n", c->off, c->size,
               c->used == 2 ? "cached" : c->used ? "used" : "free", c->id);
    }
    fflush(stdout);
}

static void swap(struct chunks *a, struct chunks *b)
{
    struct chunks t = *a;
    *a = *b;
    *b = t;
}

int html_replay(const struct rep_trace *t, const char *trace_path, const struct html_opts *o)
{
    static struct tl tl;
    size_t n = t->num_ops;
    tl.t = t;
    tl.blk = calloc(t->num_ids ? t->num_ids : 1, sizeof *tl.blk);
    tl.fallback = o->fallback;
    sites = t->max_site > 0;
    tl.site = sites ? calloc(t->num_ids ? t->num_ids : 1, sizeof *tl.site) : NULL;
    /* step[j]: the page shows the heap after j operations */
    unsigned char *step = calloc(n + 1, 1);
    if (!tl.blk || !step || (sites && !tl.site)) {
        fprintf(stderr, "slz-replay: no memory for %zu ids\n", t->num_ids);
        return 2;
    }
    size_t most = o->max_steps ? o->max_steps : 5000;
    if (n <= most)
        memset(step, 2, n + 1);
    else
        for (size_t i = 0; i <= most; i++)
            step[(size_t)((unsigned __int128)i * n / most)] = 1;
    if (o->around >= 0)
        for (long long j = o->around - AROUND; j <= o->around + AROUND; j++)
            if (j >= 0 && (uint64_t)j <= n)
                step[j] = 2; /* never thinned */

    if (hc_init(o->heap, o->cache) != 0) {
        fprintf(stderr, "slz-replay: cannot map a heap of %zu bytes\n", o->heap);
        return 2;
    }
    if (o->out) {
        tl.out = outfile_open(&tl.file, o->out);
        if (!tl.out) {
            fprintf(stderr, "slz-replay: cannot write %s: %s\n", o->out, strerror(errno));
            return 2;
        }
        setvbuf(tl.out, NULL, _IOFBF, 1 << 20);
    }
    FILE *f = tl.out;
    size_t steps = 0, keys = 0, since_key = 0, passed_total = 0;
    walk(&tl, &tl.prev);
    measure(&tl, &tl.prev, 0);
    if (o->dump_at == 0)
        print_dump(&tl, 0);
    if (f) {
        fwrite(timeline_page, 1, (size_t)(strstr(timeline_page, MARKER) - timeline_page), f);
        fputs("<script type=\"application/json\" id=\"slz-data\">\n{\"version\":1,\"steps\":[\n{\"o\":0", f);
        put_key(f, &tl.prev);
        fputc('}', f);
        steps = keys = 1;
    }
    int prev_fresh = 1; /* tl.prev is the heap after j - 1 operations */
    size_t next = 0;    /* no evenly spaced step before this operation */
    for (size_t j = 1; j <= n && (f || o->plot || (o->dump_at >= 0 && (uint64_t)o->dump_at >= j)); j++) {
        const struct rep_op *op = &t->ops[j - 1];
        int take = (f || o->plot) && step[j] && !(step[j] == 1 && j < next && j < n);
        int detail = f && take && op->kind == REP_ALLOC;
        struct chunks *before = &tl.prev;
        if (detail && !prev_fresh) {
            walk_ids(&tl, &tl.pre, 0); /* only its free chunks are used */
            before = &tl.pre;
        }
        uint64_t to_glibc = tl.glibc;
        void *p = run(&tl, j - 1);
        uint64_t live, hw;
        hc_usage(&live, &hw);
        plot_live(&tl.plot, j, live); /* the peak, at every operation */
        if (o->dump_at >= 0 && (uint64_t)o->dump_at == j)
            print_dump(&tl, j);
        prev_fresh = 0;
        if (!take)
            continue;
        walk(&tl, &tl.cur);
        measure(&tl, &tl.cur, j);
        if (!f) /* --plot alone */
            goto thin;
        fprintf(f, ",\n{\"o\":%zu,\"k\":\"%c\",\"i\":%" PRId32 ",\"n\":%" PRIu64, j, op->kind, op->id, op->size);
        if (tl.glibc != to_glibc)
            fputs(",\"g\":1", f);
        else if (op->kind != REP_FREE && !p && op->size)
            fputs(",\"x\":1", f);
        const struct chunk *placed = p ? holding(&tl.cur, (uintptr_t)p - tl.base) : NULL;
        if (placed)
            fprintf(f, ",\"p\":%" PRIu64, placed->off);
        if (detail && placed) {
            const struct chunk *took = holding(before, placed->off);
            size_t passed = 0;
            fputs(",\"h\":[", f);
            for (size_t i = 0; i < before->n && before->c[i].off < placed->off; i++) {
                const struct chunk *c = &before->c[i];
                if (c->used || c == took)
                    continue;
                if (passed < HOLES_MAX)
                    fprintf(f, "%s%" PRIu64 ",%" PRIu64, passed ? "," : "", c->off, c->size);
                passed++;
            }
            fprintf(f, "],\"hn\":%zu", passed);
            passed_total += passed;
            if (took)
                fprintf(f, ",\"t\":[%" PRIu64 ",%" PRIu64 "]", took->off, took->size);
        }
        for (size_t i = 0; i < tl.cur.n; i++)
            if (tl.cur.c[i].used && tl.cur.c[i].off + tl.cur.c[i].size > tl.extent)
                tl.extent = tl.cur.c[i].off + tl.cur.c[i].size;
        if (since_key > KEY_RATIO * (tl.cur.n > KEY_MIN ? tl.cur.n : KEY_MIN)) {
            put_key(f, &tl.cur);
            since_key = 0;
            keys++;
        } else
            since_key += put_delta(f, &tl.prev, &tl.cur);
        fputc('}', f);
        steps++;
    thin: /* the steps that follow, fewer where the heap has many chunks */
        next = j + (size_t)((unsigned __int128)tl.cur.n * n / VISITS);
        swap(&tl.prev, &tl.cur);
        prev_fresh = 1;
    }
    if (o->dump_at > 0 && (uint64_t)o->dump_at > n)
        fprintf(stderr, "slz-replay: --dump-at %lld: the trace has only %zu operations\n", o->dump_at, n);
    uint64_t heap_bytes = tl.prev.n ? tl.prev.c[tl.prev.n - 1].off + tl.prev.c[tl.prev.n - 1].size : 0;
    tl.plot.ops = n;
    tl.plot.heap = heap_bytes;
    tl.plot.name = t->name;
    if (o->plot && plot_file(o->plot, &tl.plot) != 0) {
        fprintf(stderr, "slz-replay: cannot write %s: %s\n", o->plot, strerror(errno));
        return 2;
    }
    if (o->plot && !o->quiet)
        fprintf(stderr, "slz-replay: memory over time in %s (peak %" PRIu64 " bytes live after op %" PRIu64 ")\n",
                o->plot, tl.plot.peak, tl.plot.peak_op);
    if (f) {
        fputs(sites ? "\n],\n\"fields\":[\"off\",\"size\",\"used\",\"id\",\"site\"]"
                    : "\n],\n\"fields\":[\"off\",\"size\",\"used\",\"id\"]", f);
        if (sites)
            put_sites(f, t, trace_path);
        fputs(",\"trace\":", f);
        put_json_str(f, t->name);
        fputs(",\"path\":", f);
        put_json_str(f, trace_path);
        put_plot(f, &tl.plot);
        fprintf(f,
                ",\"ops\":%zu,\"ids\":%zu,\"heap\":%" PRIu64 ",\"base\":\"%" PRIxPTR "\",\"hdr\":%" PRIuPTR
                ",\"extent\":%" PRIu64 ",\"keys\":%zu,\"sampled\":%s,\"holes_max\":%d,\"failed\":%" PRIu64
                ",\"glibc\":%" PRIu64 ",\"cache\":%s}\n",
                n, t->num_ids, heap_bytes, tl.base, tl.hdr, tl.extent, keys, steps < n + 1 ? "true" : "false", HOLES_MAX,
                tl.tally.failed, tl.glibc, o->cache ? "true" : "false");
        fputs("</script>\n", f);
        fputs(strstr(timeline_page, MARKER) + strlen(MARKER), f);
        if (outfile_close(&tl.file) != 0) {
            fprintf(stderr, "slz-replay: cannot write %s: %s\n", o->out, strerror(errno));
            return 2;
        }
        if (!o->quiet)
            fprintf(stderr,
                    "slz-replay: heap timeline of %zu operations in %s (%zu steps%s, %zu keyframes, %zu holes passed over)\n",
                    n, o->out, steps, steps < n + 1 ? ", sampled" : "", keys, passed_total);
    }
    if (tl.tally.failed)
        fprintf(stderr, "slz-replay: %" PRIu64 " allocations did not fit in the heap (no fallback here):"
                        " try a bigger --heap-size\n", tl.tally.failed);
    hc_release();
    free(tl.blk);
    free(tl.site);
    plot_release(&tl.plot);
    free(step);
    free(tl.prev.c);
    free(tl.cur.c);
    free(tl.pre.c);
    addr_free(&tl.ids);
    return tl.tally.failed || tl.tally.misused ? 1 : 0;
}
