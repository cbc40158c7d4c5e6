/*
 * replay.c - replays malloc-lab traces through the slz core and through the
 * system allocator (or any allocator given with --with NAME=LIB, which is
 * LD_PRELOADed into a child), checking block contents, and prints per trace
 * utilization and throughput, then averages per trace set.
 *
 * Each (trace, allocator) pair runs in its own child process (this program
 * re-executed with --child), so every replay starts from a fresh heap and
 * its peak RSS can be measured alone.
 *
 * Per replay:
 *   1. a checked pass: every block is filled with a pattern of its own and
 *      the pattern is verified before free and realloc (and the kept prefix
 *      after realloc); misaligned blocks count as errors too; for the core,
 *      slz_heap_check runs at the end. Blocks above FULL_FILL bytes are
 *      filled only in their first and last HEAD_FILL bytes.
 *   2. the high-water mark: the core's struct slz_heap_stats.high_water; for
 *      the system allocator the growth of the process's peak RSS during the
 *      checked pass (VmHWM after minus VmRSS before, peak reset through
 *      /proc/self/clear_refs), which counts whole pages.
 *   3. timed passes: the same operations without filling or checking, on the
 *      warm heap left by the checked pass (everything freed), median of
 *      --reps runs. Both allocators are timed the same way.
 * Utilization = peak live requested payload / high-water mark.
 *
 * With --cache, a column slzcache: the core with its fast mode (SLZ_CACHE,
 * issue 17), and a table of its high-water mark against exact first fit's
 * (the slz column) per trace set.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <malloc.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#include "bench.h"
#include "rep.h"
#include "slz.h"

#ifndef FULL_FILL
#define FULL_FILL (1u << 20)   /* blocks up to this size are filled entirely */
#endif
#ifndef HEAD_FILL
#define HEAD_FILL (64u << 10)  /* bigger ones: this many bytes at each end */
#endif
#define MAX_ALLOCS 8

static const char *usage_text =
    "usage: replay [options] TRACE.rep...\n"
    "  --with NAME=LIB   also replay through the system path with LD_PRELOAD=LIB (repeatable)\n"
    "  --only LIST       allocators to run, comma separated (default: slz,sys and every --with)\n"
    "  --heap SIZE       core heap size (K/M/G); default per trace: 4 x peak payload + 64M, at most 4G\n"
    "  --reps N          timed passes per replay, the median is reported (default 5)\n"
    "  --quick           --reps 1\n"
    "  --cache           also the core with SLZ_CACHE (column slzcache), its footprint against slz's\n"
    "  --format F        auto (default), classic or 64\n";

/* ---- One replay (the child) ------------------------------------------- */

struct outcome {
    uint64_t fails;    /* allocations/reallocs that returned NULL */
    uint64_t errors;   /* content, alignment or heap-check errors */
};

enum which { USE_SLZ, USE_SYS };

/* How the system path measures its high-water mark. */
enum hw_method {
    HW_MALLINFO,  /* glibc: peak of mallinfo2() arena + hblkhd, sampled after every allocation */
    HW_RSS,       /* any allocator: peak RSS growth (kernel counters, about +-256 KiB) */
};
static enum hw_method hw_method;
static slz_heap *core; /* the core's heap in an slz or slzcache child */
static uint64_t hw_peak, hw_base;

static inline void *a_malloc(enum which w, size_t n)
{
    return w == USE_SLZ ? slz_malloc(core, n) : malloc(n);
}
static inline void *a_realloc(enum which w, void *p, size_t n)
{
    return w == USE_SLZ ? slz_realloc(core, p, n) : realloc(p, n);
}
static inline void a_free(enum which w, void *p)
{
    if (w == USE_SLZ)
        slz_free(core, p);
    else
        free(p);
}

/* pattern_word: the 8 bytes expected at offset o (a multiple of 8). */
static inline uint64_t pattern_word(uint64_t seed, uint64_t o)
{
    return seed ^ (o * 0x9E3779B97F4A7C15ULL);
}

/* Filled segments of a block of n bytes: [0, n) when small, else the head
 * and the tail (starting on a multiple of 8). */
static int segments(uint64_t n, uint64_t seg[2][2])
{
    if (n <= FULL_FILL) {
        seg[0][0] = 0, seg[0][1] = n;
        return 1;
    }
    seg[0][0] = 0, seg[0][1] = HEAD_FILL;
    seg[1][0] = (n - HEAD_FILL) & ~(uint64_t)7, seg[1][1] = n;
    return 2;
}

static void fill_range(unsigned char *p, uint64_t a, uint64_t b, uint64_t seed)
{
    for (; a + 8 <= b; a += 8) {
        uint64_t w = pattern_word(seed, a);
        memcpy(p + a, &w, 8);
    }
    if (a < b) {
        uint64_t w = pattern_word(seed, a);
        memcpy(p + a, &w, b - a);
    }
}

static int range_ok(const unsigned char *p, uint64_t a, uint64_t b, uint64_t seed)
{
    for (; a + 8 <= b; a += 8) {
        uint64_t w = pattern_word(seed, a), got;
        memcpy(&got, p + a, 8);
        if (got != w)
            return 0;
    }
    if (a < b) {
        uint64_t w = pattern_word(seed, a), got = 0;
        memcpy(&got, p + a, b - a);
        return memcmp(&got, &w, b - a) == 0;
    }
    return 1;
}

/* fill_block: writes the pattern of seed into block b. */
static void fill_block(const struct rep_block *b, uint64_t seed)
{
    uint64_t seg[2][2];
    int n = segments(b->size, seg);
    for (int i = 0; i < n; i++)
        fill_range(b->p, seg[i][0], seg[i][1], seed);
}

/* block_ok: the pattern of a block of old_size bytes, looked at below limit. */
static int block_ok(const unsigned char *p, uint64_t old_size, uint64_t limit, uint64_t seed)
{
    uint64_t seg[2][2];
    int n = segments(old_size, seg);
    for (int i = 0; i < n; i++) {
        uint64_t a = seg[i][0], e = seg[i][1] < limit ? seg[i][1] : limit;
        if (a < e && !range_ok(p, a, e, seed))
            return 0;
    }
    return 1;
}

/* sample_hw: after an allocation, the system heap's size by mallinfo2. */
static inline void sample_hw(enum which w)
{
    if (w == USE_SYS && hw_method == HW_MALLINFO) {
        struct mallinfo2 mi = mallinfo2();
        if (mi.arena + mi.hblkhd > hw_peak)
            hw_peak = mi.arena + mi.hblkhd;
    }
}

/* The replayer's calls (scripts/rep.h): the allocator w, and for the
 * checked pass the pattern of each block. */
struct replay_ctx {
    enum which w;
    struct outcome *o;
    uint64_t *seed; /* per id: the pattern of its block */
};

static void *cb_alloc(void *ctx, size_t n)
{
    struct replay_ctx *x = ctx;
    void *p = a_malloc(x->w, n);
    sample_hw(x->w);
    return p;
}

static void *cb_realloc(void *ctx, void *p, size_t n)
{
    struct replay_ctx *x = ctx;
    void *q = a_realloc(x->w, p, n);
    sample_hw(x->w);
    return q;
}

static void cb_free(void *ctx, void *p) { a_free(((struct replay_ctx *)ctx)->w, p); }

/* cb_check: a block about to be freed or reallocated still holds its pattern. */
static void cb_check(void *ctx, int32_t id, const struct rep_block *b, int kind)
{
    struct replay_ctx *x = ctx;
    (void)kind;
    if (!block_ok(b->p, b->size, b->size, x->seed[id]))
        x->o->errors++;
}

/* cb_placed: a block moved by realloc kept its pattern below the smaller
 * size; every new block is aligned (slz promises 16 for every block; other
 * allocators are held to what C asks, the largest power of two up to the
 * size, at most 16: jemalloc gives 8 for an 8-byte block), and gets a
 * pattern of its own. */
static void cb_placed(void *ctx, int32_t id, const struct rep_block *b, struct rep_block old, size_t i)
{
    struct replay_ctx *x = ctx;
    if (old.p != NULL && !block_ok(b->p, old.size, old.size < b->size ? old.size : b->size, x->seed[id]))
        x->o->errors++;
    uint64_t align = 16;
    if (x->w != USE_SLZ)
        while (align > 1 && align > b->size)
            align /= 2;
    if ((uintptr_t)b->p % align)
        x->o->errors++;
    x->seed[id] = (i + 1) * 0xD1B54A32D192ED03ULL;
    fill_block(b, x->seed[id]);
}

static const struct rep_calls checked = {cb_alloc, cb_realloc, cb_free, cb_check, cb_placed, NULL, NULL};
static const struct rep_calls timed = {cb_alloc, cb_realloc, cb_free, NULL, NULL, NULL, NULL};

/* replay: one pass of the trace through w (checked: filled and checked,
 * allocation failures counted in o). */
static void replay(enum which w, const struct rep_trace *t, struct rep_block *blk, uint64_t *seed, int check,
                   struct outcome *o)
{
    struct replay_ctx x = {w, o, seed};
    struct rep_tally tally = {0, 0, 0, 0};
    if (!check) {
        for (size_t i = 0; i < t->num_ops; i++)
            rep_step(&timed, &x, blk, &tally, &t->ops[i], i);
        return;
    }
    for (size_t i = 0; i < t->num_ops; i++)
        rep_step(&checked, &x, blk, &tally, &t->ops[i], i);
    o->fails += tally.failed;
}

static void free_all(enum which w, const struct rep_trace *t, struct rep_block *blk)
{
    for (size_t i = 0; i < t->num_ids; i++) {
        if (blk[i].p)
            a_free(w, blk[i].p);
        blk[i] = (struct rep_block){NULL, 0};
    }
}

/* proc_kib: a "Name:   123 kB" field of /proc/self/status, without stdio. */
static uint64_t proc_kib(const char *field)
{
    char buf[4096];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0)
        return 0;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    char *at = strstr(buf, field);
    return at ? strtoull(at + strlen(field) + 1, NULL, 10) : 0;
}

static void reset_peak_rss(void)
{
    int fd = open("/proc/self/clear_refs", O_WRONLY);
    if (fd >= 0) {
        if (write(fd, "5", 1) != 1) {
            /* older kernels: the peak then includes start-up, still an upper bound */
        }
        close(fd);
    }
}

static uint64_t default_heap(const struct rep_trace *t)
{
    uint64_t cap = 4ULL << 30, h = (64ULL << 20);
    if (t->peak_payload < (cap - h) / 4)
        h += 4 * t->peak_payload;
    else
        h = cap;
    return h;
}

/* run_child: one replay; prints "RESULT fails errors high_water ns". */
static int run_child(const char *alloc, const char *path, enum rep_format fmt, uint64_t heap, int reps)
{
    struct rep_trace t;
    char err[256];
    int cache = strcmp(alloc, "slzcache") == 0;
    enum which w = cache || strcmp(alloc, "slz") == 0 ? USE_SLZ : USE_SYS;
    hw_method = strcmp(alloc, "sys") == 0 ? HW_MALLINFO : HW_RSS;
    if (rep_load(path, fmt, &t, err, sizeof err)) {
        fprintf(stderr, "replay: %s\n", err);
        return 2;
    }
    /* the driver's own tables come from mmap, as the trace's do: the
     * allocator under test starts untouched */
    size_t ids = t.num_ids ? t.num_ids : 1;
    size_t tab = ids * (sizeof(struct rep_block) + sizeof(uint64_t)) + (size_t)reps * sizeof(uint64_t);
    void *mem = mmap(NULL, tab, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
    if (mem == MAP_FAILED) {
        fprintf(stderr, "replay: no memory\n");
        return 2;
    }
    uint64_t *ns = mem;
    uint64_t *seed = ns + reps;
    struct rep_block *blk = (struct rep_block *)(seed + ids);
    if (w == USE_SLZ && !(core = slz_heap_create_flags(heap ? heap : default_heap(&t), cache ? SLZ_CACHE : 0))) {
        fprintf(stderr, "replay: cannot map a core heap of %llu bytes\n",
                (unsigned long long)(heap ? heap : default_heap(&t)));
        return 2;
    }
    struct outcome o = {0, 0};
    fflush(stdout);
    reset_peak_rss();
    uint64_t rss0 = proc_kib("VmRSS:");
    if (w == USE_SYS && hw_method == HW_MALLINFO) {
        struct mallinfo2 mi = mallinfo2();
        hw_base = hw_peak = mi.arena + mi.hblkhd;
    }
    replay(w, &t, blk, seed, 1, &o);
    uint64_t hw;
    if (w == USE_SLZ) {
        struct slz_heap_stats st;
        const char *first = NULL;
        size_t bad = slz_heap_check(core, &first);
        if (bad) {
            fprintf(stderr, "replay: %s: slz_heap_check: %zu violations, first: %s\n", t.name, bad,
                    first ? first : "?");
            o.errors += bad;
        }
        slz_heap_get_stats(core, &st);
        hw = st.high_water;
    } else if (hw_method == HW_MALLINFO) {
        hw = hw_peak - hw_base;
    } else {
        uint64_t hwm = proc_kib("VmHWM:");
        hw = hwm > rss0 ? (hwm - rss0) * 1024 : 0;
    }
    free_all(w, &t, blk);
    for (int r = 0; r < reps; r++) {
        uint64_t t0 = now_ns();
        replay(w, &t, blk, seed, 0, &o);
        ns[r] = now_ns() - t0;
        free_all(w, &t, blk);
    }
    printf("RESULT %llu %llu %llu %llu\n", (unsigned long long)o.fails, (unsigned long long)o.errors,
           (unsigned long long)hw, (unsigned long long)median_u64(ns, (size_t)reps));
    fflush(stdout);
    return 0;
}

/* ---- The parent: children, tables and averages ------------------------ */

struct alloc {
    char name[32];
    const char *lib;   /* LD_PRELOAD for the child, or NULL */
    int is_slz;        /* 1: the core; 2: the core with SLZ_CACHE */
};

struct cell {
    int ok;            /* the child reported a result */
    uint64_t fails, errors, hw, ns;
};

/* spawn: runs this program as a child for one replay and parses its result. */
static struct cell spawn(const char *self, const struct alloc *a, const char *path, const char *fmt,
                         const char *heap, int reps)
{
    struct cell c = {0, 0, 0, 0, 0};
    int fd[2];
    char repsbuf[16];
    snprintf(repsbuf, sizeof repsbuf, "%d", reps);
    if (pipe(fd))
        return c;
    fflush(stdout);
    fflush(stderr);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(fd[1], 1);
        close(fd[0]);
        close(fd[1]);
        if (a->lib)
            setenv("LD_PRELOAD", a->lib, 1);
        execl(self, self, "--child", a->is_slz == 2 ? "slzcache" : a->is_slz ? "slz" : a->lib ? "pre" : "sys", path, fmt, heap, repsbuf, (char *)NULL);
        _exit(127);
    }
    close(fd[1]);
    char buf[512];
    size_t n = 0;
    ssize_t got;
    while (n < sizeof buf - 1 && (got = read(fd[0], buf + n, sizeof buf - 1 - n)) > 0)
        n += (size_t)got;
    buf[n] = '\0';
    close(fd[0]);
    int status = 0;
    if (pid < 0 || waitpid(pid, &status, 0) < 0)
        return c;
    char *line = strstr(buf, "RESULT ");
    unsigned long long f, e, h, s;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && line &&
        sscanf(line, "RESULT %llu %llu %llu %llu", &f, &e, &h, &s) == 4) {
        c.ok = 1, c.fails = f, c.errors = e, c.hw = h, c.ns = s;
    } else if (WIFSIGNALED(status)) {
        fprintf(stderr, "replay: %s under %s: killed by signal %d\n", path, a->name, WTERMSIG(status));
    } else {
        fprintf(stderr, "replay: %s under %s: no result (exit %d)\n", path, a->name,
                WIFEXITED(status) ? WEXITSTATUS(status) : -1);
    }
    return c;
}

/* The scored sets: classic traces except the 12-op short* checks, and the
 * 64-bit traces of nonzero weight (weighted by it). */
static int scored(const struct rep_trace *t)
{
    if (t->format == REP_CLASSIC)
        return strncmp(t->name, "short", 5) != 0;
    return t->weight > 0;
}

struct sum {
    double util_w, w;        /* weighted utilization */
    double ops_w, ns_w;      /* weighted ops and time, for throughput */
    int traces, incomplete;  /* counted traces, of which with failures or no result */
};

/* print_footprint: per trace set, the high-water mark of allocator b (the
 * core with its cache) over that of a (exact first fit) on the scored traces
 * both replayed without failure: geomean, and the highest with its trace. */
static void print_footprint(const struct rep_trace *tr, const struct cell *cells, int ntr, int nalloc, int a, int b)
{
    printf("\n# footprint: high-water mark of the core with SLZ_CACHE over exact first fit's (slzcache / slz),\n");
    printf("#   per trace; geomean and highest over the scored traces of each set (above 1: the cache costs memory)\n");
    printf("%-8s %6s %9s %9s  %s\n", "set", "traces", "geomean", "max", "max_trace");
    for (int set = 0; set < 2; set++) {
        double lg = 0, mx = 0;
        int n = 0, at = -1;
        for (int k = 0; k < ntr; k++) {
            const struct cell *x = &cells[k * nalloc + a], *y = &cells[k * nalloc + b];
            if (!tr[k].name[0] || !scored(&tr[k]) || (tr[k].format == REP_64) != set)
                continue;
            if (!x->ok || !y->ok || x->fails || y->fails || !x->hw || !y->hw)
                continue;
            double r = (double)y->hw / (double)x->hw;
            lg += log(r), n++;
            if (r > mx)
                mx = r, at = k;
        }
        if (n)
            printf("%-8s %6d %9.3f %9.3f  %s\n", set ? "64w" : "classic", n, exp(lg / n), mx, tr[at].name);
    }
}

int main(int argc, char **argv)
{
    struct alloc allocs[MAX_ALLOCS];
    int nalloc = 0, reps = 5, cache = 0;
    const char *only = NULL, *heap = "0", *fmtname = "auto";
    enum rep_format fmt = REP_AUTO;
    int i;

    if (argc == 7 && strcmp(argv[1], "--child") == 0) {
        const char *f = argv[4];
        fmt = strcmp(f, "classic") == 0 ? REP_CLASSIC : strcmp(f, "64") == 0 ? REP_64 : REP_AUTO;
        return run_child(argv[2], argv[3], fmt, slz_parse_size(argv[5], NULL), atoi(argv[6]) > 0 ? atoi(argv[6]) : 1);
    }

    const char *sysname = getenv("LD_PRELOAD") && *getenv("LD_PRELOAD") ? "sys" : "glibc";
    snprintf(allocs[0].name, sizeof allocs[0].name, "slz");
    allocs[0].lib = NULL, allocs[0].is_slz = 1;
    snprintf(allocs[1].name, sizeof allocs[1].name, "%s", sysname);
    allocs[1].lib = NULL, allocs[1].is_slz = 0;
    nalloc = 2;
    for (i = 1; i < argc && argv[i][0] == '-'; i++) {
        const char *o = argv[i];
        if (strcmp(o, "--quick") == 0) {
            reps = 1;
        } else if (strcmp(o, "--cache") == 0) {
            cache = 1;
        } else if (i + 1 < argc && strcmp(o, "--reps") == 0) {
            reps = atoi(argv[++i]);
            if (reps < 1)
                reps = 1;
        } else if (i + 1 < argc && strcmp(o, "--heap") == 0) {
            heap = argv[++i];
            if (!slz_parse_size(heap, NULL)) {
                fprintf(stderr, "replay: bad --heap %s\n", heap);
                return 2;
            }
        } else if (i + 1 < argc && strcmp(o, "--only") == 0) {
            only = argv[++i];
        } else if (i + 1 < argc && strcmp(o, "--format") == 0) {
            fmtname = argv[++i];
            fmt = strcmp(fmtname, "classic") == 0 ? REP_CLASSIC : strcmp(fmtname, "64") == 0 ? REP_64 : REP_AUTO;
        } else if (i + 1 < argc && strcmp(o, "--with") == 0) {
            char *spec = argv[++i], *eq = strchr(spec, '=');
            if (!eq || nalloc == MAX_ALLOCS || eq - spec >= 32) {
                fprintf(stderr, "replay: --with NAME=LIB (at most %d allocators)\n", MAX_ALLOCS);
                return 2;
            }
            if (access(eq + 1, R_OK)) {
                printf("# %.*s: %s not found, column skipped\n", (int)(eq - spec), spec, eq + 1);
                continue;
            }
            snprintf(allocs[nalloc].name, sizeof allocs[nalloc].name, "%.*s", (int)(eq - spec), spec);
            allocs[nalloc].lib = eq + 1, allocs[nalloc].is_slz = 0;
            nalloc++;
        } else {
            fputs(usage_text, stderr);
            return 2;
        }
    }
    if (i == argc || (cache && nalloc == MAX_ALLOCS)) {
        fputs(usage_text, stderr);
        return 2;
    }
    if (cache) { /* slzcache, next to slz */
        memmove(&allocs[2], &allocs[1], sizeof allocs[0] * (size_t)(nalloc - 1));
        snprintf(allocs[1].name, sizeof allocs[1].name, "slzcache");
        allocs[1].lib = NULL, allocs[1].is_slz = 2;
        nalloc++;
    }
    if (only) { /* keep the named allocators, in their order */
        int k = 0;
        for (int a = 0; a < nalloc; a++) {
            char pat[512];
            snprintf(pat, sizeof pat, ",%s,", allocs[a].name);
            char list[512];
            snprintf(list, sizeof list, ",%s,", only);
            if (strstr(list, pat) || (!allocs[a].is_slz && !allocs[a].lib && strstr(list, ",sys,")))
                allocs[k++] = allocs[a];
        }
        nalloc = k;
    }

    char self[4096];
    ssize_t sl = readlink("/proc/self/exe", self, sizeof self - 1);
    if (sl <= 0) {
        fprintf(stderr, "replay: cannot find /proc/self/exe\n");
        return 2;
    }
    self[sl] = '\0';

    int ntr = argc - i;
    struct rep_trace *tr = calloc((size_t)ntr, sizeof *tr);
    struct cell *cells = calloc((size_t)ntr * (size_t)nalloc, sizeof *cells);
    struct sum sums[2][MAX_ALLOCS];
    memset(sums, 0, sizeof sums);
    uint64_t total_errors = 0, bad_traces = 0;

    printf("# replay: utilization = peak live payload / high-water mark. slz: heap high_water;\n");
    printf("#   %s: peak growth of mallinfo2() arena+hblkhd; --with allocators: peak RSS growth of the\n", sysname);
    printf("#   replay process (kernel counters, whole pages, about +-256 KiB). Throughput: ops per\n");
    printf("#   second of a replay without fill/check on a warm heap, median of %d run(s).\n", reps);
    printf("%-20s %-7s %3s %7s %10s", "trace", "set", "w", "ops", "peak_KiB");
    for (int a = 0; a < nalloc; a++)
        printf(" %8.8s_util%% %8.8s_Mops", allocs[a].name, allocs[a].name);
    printf(" %6s %s\n", "errors", "fails");

    for (int k = 0; k < ntr; k++) {
        const char *path = argv[i + k];
        char err[256];
        if (rep_load(path, fmt, &tr[k], err, sizeof err)) {
            fprintf(stderr, "replay: %s\n", err);
            bad_traces++;
            continue;
        }
        struct rep_trace *t = &tr[k];
        rep_free(t); /* the children read it again; keep the header and totals */
        printf("%-20.20s %-7s %3llu %7zu %10.0f", t->name, t->format == REP_64 ? "64" : "classic",
               (unsigned long long)t->weight, t->num_ops, t->peak_payload / 1024.0);
        uint64_t errs = 0;
        char fails[512] = "";
        for (int a = 0; a < nalloc; a++) {
            struct cell *c = &cells[k * nalloc + a];
            *c = spawn(self, &allocs[a], path, fmtname, heap, reps);
            if (!c->ok) {
                printf(" %14s %13s", "CRASH", "CRASH");
                errs++;
                continue;
            }
            errs += c->errors;
            if (c->fails) {
                size_t l = strlen(fails);
                snprintf(fails + l, sizeof fails - l, "%s%s=%llu", l ? "," : "", allocs[a].name,
                         (unsigned long long)c->fails);
            }
            double util = c->hw ? 100.0 * (double)t->peak_payload / (double)c->hw : 0;
            double mops = c->ns ? (double)t->num_ops * 1e3 / (double)c->ns : 0;
            if (c->fails)
                printf(" %14s", "fail");
            else if (c->hw)
                printf(" %14.1f", util);
            else
                printf(" %14s", "n/a");
            printf(" %13.2f", mops);
        }
        total_errors += errs;
        printf(" %6llu %s\n", (unsigned long long)errs, fails[0] ? fails : "-");
        fflush(stdout);

        if (!scored(t))
            continue;
        int set = t->format == REP_64;
        double w = set ? (double)t->weight : 1.0;
        for (int a = 0; a < nalloc; a++) {
            struct cell *c = &cells[k * nalloc + a];
            struct sum *s = &sums[set][a];
            s->traces++;
            if (!c->ok || c->fails || !c->hw) {
                s->incomplete++;
                continue;
            }
            s->util_w += w * (double)t->peak_payload / (double)c->hw;
            s->w += w;
            s->ops_w += w * (double)t->num_ops;
            s->ns_w += w * (double)c->ns;
        }
    }

    printf("\n# averages: classic = the classic traces except short*; 64w = 64-bit traces of\n");
    printf("#   weight > 0, weighted; throughput = total ops / total time; vs = against %s\n", sysname);
    printf("%-8s %-10s %6s %10s %9s %9s %10s\n", "set", "allocator", "traces", "avg_util%", "Mops", "util_vs",
           "tput_vs");
    int ref_i = -1;
    for (int a = 0; a < nalloc; a++)
        if (!allocs[a].is_slz && !allocs[a].lib)
            ref_i = a;
    for (int set = 0; set < 2; set++) {
        struct sum *ref = ref_i >= 0 ? &sums[set][ref_i] : &sums[set][0];
        for (int a = 0; a < nalloc; a++) {
            struct sum *s = &sums[set][a];
            if (!s->traces)
                continue;
            double util = s->w ? 100.0 * s->util_w / s->w : 0;
            double mops = s->ns_w ? s->ops_w * 1e3 / s->ns_w : 0;
            double rutil = ref->w ? 100.0 * ref->util_w / ref->w : 0;
            double rmops = ref->ns_w ? ref->ops_w * 1e3 / ref->ns_w : 0;
            int has_ref = ref_i >= 0 && rmops > 0;
            printf("%-8s %-10s %6d %10.1f %9.2f", set ? "64w" : "classic", allocs[a].name, s->traces, util, mops);
            if (has_ref)
                printf(" %9.2f %10.2f", rutil > 0 ? util / rutil : 0, mops / rmops);
            else
                printf(" %9s %10s", "n/a", "n/a");
            if (s->incomplete)
                printf("  (%d trace(s) left out: failures or no result)", s->incomplete);
            printf("\n");
        }
    }
    int ia = -1, ib = -1;
    for (int a = 0; a < nalloc; a++)
        if (allocs[a].is_slz)
            *(allocs[a].is_slz == 1 ? &ia : &ib) = a;
    if (ia >= 0 && ib >= 0)
        print_footprint(tr, cells, ntr, nalloc, ia, ib);
    printf("\n# content errors: %llu; unreadable traces: %llu\n", (unsigned long long)total_errors,
           (unsigned long long)bad_traces);
    free(tr);
    free(cells);
    return total_errors || bad_traces ? 1 : 0;
}
