/*
 * slz-replay - replay a malloc-lab trace (.rep) through the slz core and
 * show what the heap did: statistics at the end, a heap map at the end, and
 * if asked a heap map every N operations, as numbered frames, so that a
 * trace can be watched as it unfolds.
 *
 *   slz-replay [options] trace.rep
 *
 * Traces recorded with SLZ_TRACE (slz-run --trace) and the CS:APP / 15-213
 * sets both replay. Every block is marked with a byte of its own (its first
 * and last 4 KiB) when it is allocated, and checked when it is reallocated
 * (the part that must survive) and freed: a block that changed, an allocation the heap could not serve,
 * or a broken heap invariant (with --check) counts as an error. Exit status:
 * 0 without errors, 1 with errors, 2 when the trace cannot be read.
 *
 * It links the core and the report layer (include/slz_report.h: the heap
 * map writer and the statistics printer that libslzmalloc.so uses too),
 * and the trace reader of the benchmarks (scripts/rep.c); nothing of the
 * shim.
 *
 * --html FILE (a heap timeline page) and --dump-at K (the heap after K
 * operations, as text) replay on their own, in scripts/html.c, whose every
 * call into the core is in scripts/html_core.c.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "html.h"
#include "html_core.h"
#include "rep.h"
#include "slz.h"
#include "slz_report.h"

static const char usage[] =
    "usage: slz-replay [options] trace.rep\n"
    "Replays a malloc-lab trace through the slz core allocator.\n"
    "  --heap-size N   heap of N bytes (K/M/G suffixes); default 4 x the trace's\n"
    "                  peak live payload + 1M, at most half the machine's memory\n"
    "  --map FILE.svg  write a heap map (SVG) at the end\n"
    "  --every N       with --map, also a map after every N operations:\n"
    "                  FILE.0001.svg, FILE.0002.svg, ...\n"
    "  --json          print the statistics as JSON instead of a table\n"
    "  --html FILE     write a heap timeline: one self-contained HTML page that\n"
    "                  steps through the trace over the heap's address space\n"
    "  --steps N       with --html, at most N evenly spaced steps for a longer\n"
    "                  trace (default 5000; shorter traces: every operation)\n"
    "  --around K      with --html, also every operation within 100 of K\n"
    "  --plot FILE.svg memory over time as SVG: bytes live, the footprint (high\n"
    "                  water), free bytes and the largest free chunk below it,\n"
    "                  the peak marked (also drawn on the --html page)\n"
    "  --fallback      with --html, --plot or --dump-at, as under the shim: an allocation the heap\n"
    "                  cannot hold goes to glibc (left out, counted), and so do\n"
    "                  the calls on its block (slz-run --html gives it)\n"
    "  --dump-at K     print the heap after K operations: offset size\n"
    "                  used|cached|free id, one chunk a line\n"
    "  --cache         the fast mode (SLZ_CACHE=1): a heap with the cache, grown\n"
    "                  as the shim grows it, so a run's trace replays at its addresses\n"
    "  --check         check every heap invariant after every operation\n"
    "  --format F      64 (weight, ids, ops, peak) or classic (heap, ids, ops,\n"
    "                  weight); default: guessed from the header\n"
    "  -q, --quiet     print nothing but errors\n"
    "  -h, --help      this text\n"
    "Exit status: 0 no errors, 1 errors (failed allocations, damaged blocks,\n"
    "heap check violations), 2 the trace or the options could not be used.\n";

/* the value an option takes, named, or NULL for a flag or no option */
static const char *needs_value(const char *a)
{
    static const char *const named[][2] = {
        {"--heap-size", "N"}, {"--map", "FILE.svg"}, {"--every", "N"},  {"--html", "FILE.html"},
        {"--steps", "N"},     {"--around", "K"},     {"--dump-at", "K"}, {"--format", "64 or classic"}, {"--plot", "FILE.svg"},
    };
    for (size_t i = 0; i < sizeof named / sizeof named[0]; i++)
        if (!strcmp(a, named[i][0]))
            return named[i][1];
    return NULL;
}

struct replay {
    struct rep_trace t;
    struct rep_block *blk; /* per id (the replayer's, scripts/rep.h) */
    struct rep_tally tally; /* failed, misused, live and peak payload */
    uint64_t done, damaged, violations;
    uint64_t count[3]; /* a, r, f */
    const char *first_violation;
};

static unsigned char fill_byte(int32_t id) { return (unsigned char)(id * 37 + 11) | 1; }

/* A block of size bytes gets its byte in its first and last MARK bytes
 * (all of it when small): enough to see a realloc that lost the contents or
 * a neighbour that wrote over it, without touching every page of a huge block. */
#define MARK 4096

static void fill(unsigned char *p, uint64_t size, int32_t id)
{
    if (size <= 2 * MARK)
        memset(p, fill_byte(id), size);
    else {
        memset(p, fill_byte(id), MARK);
        memset(p + size - MARK, fill_byte(id), MARK);
    }
}

static int same(const unsigned char *p, uint64_t from, uint64_t to, unsigned char b)
{
    for (uint64_t i = from; i < to; i++)
        if (p[i] != b)
            return 0;
    return 1;
}

/* intact: of a block filled when it had size bytes, the filled bytes below
 * keep still hold its byte. */
static int intact(const unsigned char *p, uint64_t size, uint64_t keep, int32_t id)
{
    unsigned char b = fill_byte(id);
    if (size <= 2 * MARK)
        return same(p, 0, keep < size ? keep : size, b);
    uint64_t tail = size - MARK;
    return same(p, 0, keep < MARK ? keep : MARK, b) && (keep <= tail || same(p, tail, keep < size ? keep : size, b));
}

/* The replayer's calls: the core's five functions of the original design
 * on the default heap, every block marked and checked; with --cache, the
 * calls of scripts/html_core.c on its heap in the fast mode. */
static int cached; /* --cache */
static void *cb_alloc(void *ctx, size_t n) { return (void)ctx, cached ? hc_malloc(n) : slz_Heap_Allocator_impl(n); }
static void *cb_realloc(void *ctx, void *p, size_t n)
{
    return (void)ctx, cached ? hc_realloc(p, n) : slz_Heap_reAllocator_impl(p, n);
}
static void cb_free(void *ctx, void *p) { (void)ctx, cached ? hc_free(p) : slz_Heap_deAllocator_impl(p); }
static slz_heap *the_heap(void) { return cached ? hc_heap() : slz_default_heap(); }

/* cb_check: a block about to be freed still holds its byte (one being
 * reallocated is checked where it lands). */
static void cb_check(void *ctx, int32_t id, const struct rep_block *b, int kind)
{
    struct replay *r = ctx;
    if (kind == REP_FREE && !intact(b->p, b->size, b->size, id))
        r->damaged++;
}

/* cb_placed: a block moved or resized kept what had to survive; every
 * placed block gets its byte. */
static void cb_placed(void *ctx, int32_t id, const struct rep_block *b, struct rep_block old, size_t i)
{
    struct replay *r = ctx;
    (void)i;
    if (old.p != NULL && !intact(b->p, old.size, old.size < b->size ? old.size : b->size, id))
        r->damaged++;
    fill(b->p, b->size, id);
}

static const struct rep_calls calls = {cb_alloc, cb_realloc, cb_free, cb_check, cb_placed, NULL, NULL};

static void step(struct replay *r, size_t i)
{
    const struct rep_op *o = &r->t.ops[i];
    r->count[o->kind == REP_ALLOC ? 0 : o->kind == REP_REALLOC ? 1 : 2]++;
    rep_step(&calls, r, r->blk, &r->tally, o, i);
}

static int map(const char *path, uint64_t frame, const struct replay *r)
{
    char name[4096], title[512];
    if (out_path(name, sizeof name, path, ".svg", frame, frame ? 4 : 0) != 0)
        return -1;
    snprintf(title, sizeof title, "slz-replay of %s: after %llu of %zu operations", r->t.name,
             (unsigned long long)r->done, r->t.num_ops);
    if (heapmap_file(name, the_heap(), title) != 0) {
        fprintf(stderr, "slz-replay: cannot write %s: %s\n", name, strerror(errno));
        return -1;
    }
    return 0;
}

/* errors_of: everything that makes the exit status 1 */
static uint64_t errors_of(const struct replay *r)
{
    return r->tally.failed + r->damaged + r->violations + r->tally.misused;
}

/* what the report shows of a replay, named once for its two forms */
struct summary {
    const char *trace, *format;
    uint64_t ops, ids, peak_payload, done, allocs, reallocs, frees, errors;
    uint64_t failed, damaged, misused, violations, peak, high_water;
};

#define N(text, key, m) FIELD(text, key, F_U64, struct summary, m)
/* a source line for each line of the text form */
static const struct field summary_fields[] = {
    FIELD("slz-replay: ", "trace", F_STR, struct summary, trace),
    FIELD(" (", "format", F_STR, struct summary, format), N(" trace format): ", "ops", ops),
    N(" ops over ", "ids", ids), N(" ids, peak live payload ", "peak_payload", peak_payload), FIELD_TEXT(" bytes\n"),

    N("slz-replay: replayed ", "replayed", done), N(" ops (", "allocs", allocs), N(" a, ", "reallocs", reallocs),
    N(" r, ", "frees", frees), N(" f), ", "errors", errors), N(" errors (", "failed", failed),
    N(" failed, ", "damaged", damaged), N(" damaged, ", "misused", misused),
    N(" not live, ", "check_violations", violations), FIELD_TEXT(" check violations)\n"),

    N(NULL, "peak_payload_replayed", peak),
    FIELD_PCT("slz-replay: utilization ", "utilization_pct", struct summary, peak, high_water),
    FIELD_TEXT("% (peak live payload replayed / heap high water)\n"),
};
#undef N

static void report(const struct replay *r, const char *path, int json)
{
    static char buf[32768];
    struct out o = OUT_FD(1, buf);
    struct slz_heap_stats h;
    slz_heap_get_stats(the_heap(), &h);
    struct summary s = {path, rep_format_name(r->t.format), r->t.num_ops, r->t.num_ids, r->t.peak_payload,
                        r->done, r->count[0], r->count[1], r->count[2],
                        errors_of(r), r->tally.failed, r->damaged, r->tally.misused, r->violations, r->tally.peak,
                        h.high_water};
    if (json) {
        out_ch(&o, '{');
        fields_json(&o, FIELDS(summary_fields), &s);
        out_s(&o, ",\"core\":");
        stats_core_json(&o, &h);
        out_s(&o, "}\n");
    } else {
        fields_text(&o, FIELDS(summary_fields), &s);
        stats_core_text(&o, &h);
    }
    out_flush(&o);
}

int main(int argc, char **argv)
{
    const char *path = NULL, *map_path = NULL;
    size_t heap = 0;
    uint64_t every = 0;
    int json = 0, check = 0, quiet = 0;
    enum rep_format fmt = REP_AUTO;
    struct html_opts html = {.dump_at = -1, .around = -1};
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            fputs(usage, stdout);
            return 0;
        } else if (!strcmp(a, "--json"))
            json = 1;
        else if (!strcmp(a, "--check"))
            check = 1;
        else if (!strcmp(a, "--fallback"))
            html.fallback = 1;
        else if (!strcmp(a, "--cache"))
            html.cache = cached = 1;
        else if (!strcmp(a, "-q") || !strcmp(a, "--quiet"))
            quiet = 1;
        else if (!strcmp(a, "--heap-size") && v) {
            if ((heap = slz_parse_size(v, NULL)) == 0) {
                fprintf(stderr, "slz-replay: --heap-size %s: not a size (e.g. 64K, 256M)\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--map") && v) {
            map_path = v;
            i++;
        } else if (!strcmp(a, "--every") && v) {
            char *end;
            every = strtoull(v, &end, 10);
            if (*end || every == 0) {
                fprintf(stderr, "slz-replay: --every %s: not a number above zero\n", v);
                return 2;
            }
            i++;
        } else if (!strcmp(a, "--html") && v) {
            html.out = v;
            i++;
        } else if (!strcmp(a, "--plot") && v) {
            html.plot = v;
            i++;
        } else if ((!strcmp(a, "--dump-at") || !strcmp(a, "--steps") || !strcmp(a, "--around")) && v) {
            char *end;
            unsigned long long k = strtoull(v, &end, 10);
            if (*end || !*v || *v == '-' || k > (1ull << 62) || (k == 0 && !strcmp(a, "--steps"))) {
                fprintf(stderr, "slz-replay: %s %s: not a number%s\n", a, v,
                        strcmp(a, "--steps") ? "" : " above zero");
                return 2;
            }
            if (!strcmp(a, "--dump-at"))
                html.dump_at = (long long)k;
            else if (!strcmp(a, "--steps"))
                html.max_steps = (size_t)k;
            else
                html.around = (long long)k;
            i++;
        } else if (!strcmp(a, "--format") && v) {
            fmt = !strcmp(v, "64") ? REP_64 : !strcmp(v, "classic") ? REP_CLASSIC : (enum rep_format)-1;
            if (fmt == (enum rep_format)-1) {
                fprintf(stderr, "slz-replay: --format %s: use 64 or classic\n", v);
                return 2;
            }
            i++;
        } else if (!v && needs_value(a)) {
            fprintf(stderr, "slz-replay: %s needs a value (%s)\n", a, needs_value(a));
            return 2;
        } else if (a[0] == '-' || path) {
            fprintf(stderr, "slz-replay: %s: unknown option or extra argument\n%s", a, usage);
            return 2;
        } else
            path = a;
    }
    if (!path) {
        fprintf(stderr, "slz-replay: no trace file given\n%s", usage);
        return 2;
    }
    if (every && !map_path) {
        fprintf(stderr, "slz-replay: --every needs --map FILE.svg\n");
        return 2;
    }

    int timeline = html.out || html.plot || html.dump_at >= 0;
    if (html.fallback && !timeline) {
        fprintf(stderr, "slz-replay: --fallback needs --html FILE, --plot FILE or --dump-at K\n");
        return 2;
    }
    if (timeline && (map_path || check || json)) {
        fprintf(stderr, "slz-replay: --html, --plot and --dump-at replay on their own: no --map, --check or --json with them\n");
        return 2;
    }
    if (!html.out && (html.max_steps || html.around >= 0)) {
        fprintf(stderr, "slz-replay: --steps and --around need --html FILE\n");
        return 2;
    }

    static struct replay r;
    char err[512];
    if (rep_load(path, fmt, &r.t, err, sizeof err) != 0) {
        fprintf(stderr, "slz-replay: %s\n", err);
        return 2;
    }
    if (heap == 0) {
        uint64_t want = r.t.peak_payload * 4 + (1u << 20);
        uint64_t most = (uint64_t)sysconf(_SC_PHYS_PAGES) * (uint64_t)sysconf(_SC_PAGESIZE) / 2;
        heap = want > most || want / 4 < r.t.peak_payload ? (size_t)most : (size_t)want;
    }
    if (timeline) { /* scripts/html.c, through scripts/html_core.c alone */
        html.heap = heap;
        html.quiet = quiet;
        int status = html_replay(&r.t, path, &html);
        rep_free(&r.t);
        return status;
    }
    if (cached ? hc_init(heap, 1) != 0 : slz_heap_initialize_size(heap) != 0) {
        fprintf(stderr, "slz-replay: cannot map a heap of %zu bytes\n", heap);
        return 2;
    }
    r.blk = calloc(r.t.num_ids ? r.t.num_ids : 1, sizeof *r.blk);
    if (!r.blk) {
        fprintf(stderr, "slz-replay: no memory for %zu ids\n", r.t.num_ids);
        return 2;
    }

    uint64_t frame = 0;
    for (size_t i = 0; i < r.t.num_ops; i++) {
        step(&r, i);
        r.done++;
        if (check) {
            const char *what = NULL;
            size_t bad = slz_heap_check(the_heap(), &what);
            if (bad && !r.violations)
                r.first_violation = what;
            r.violations += bad;
        }
        if (every && r.done % every == 0)
            map(map_path, ++frame, &r);
    }
    if (map_path)
        map(map_path, 0, &r);
    uint64_t errors = errors_of(&r);
    if (!quiet)
        report(&r, path, json);
    if (r.tally.failed)
        fprintf(stderr, "slz-replay: %llu allocations did not fit in the %zu-byte heap (no fallback here):"
                        " try a bigger --heap-size\n", (unsigned long long)r.tally.failed, slz_heap_size(the_heap()));
    if (r.first_violation)
        fprintf(stderr, "slz-replay: first heap check violation: %s\n", r.first_violation);
    if (errors && quiet)
        fprintf(stderr, "slz-replay: %s: %llu errors\n", path, (unsigned long long)errors);
    if (!quiet && map_path)
        fprintf(stderr, "slz-replay: heap map in %s%s\n", map_path,
                frame ? " (and numbered frames beside it)" : "");
    free(r.blk);
    rep_free(&r.t);
    return errors ? 1 : 0;
}
