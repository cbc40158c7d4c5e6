/*
 * stats.c - SLZ_STATS: what the allocator did, reported at exit.
 *
 * The numbers are data first (struct slz_shim_stats here, struct
 * slz_heap_stats in the core); the printers format them into a fixed buffer
 * (struct out, src/report/out.c) written with write(2). SLZ_STATS=1 prints a table,
 * SLZ_STATS=json (or a SLZ_STATS_FILE named *.json) one JSON object on one
 * line. The report goes to
 * SLZ_STATS_FILE (every process of a pipeline adds its own: src/report/file.c writes a
 * fresh file that starts with what the file held and renames it into place)
 * or to the report fd (report_fd.c), a duplicate of stderr taken at start-up, so that it
 * survives programs that close stderr before they exit; without that copy
 * nothing is printed. A fork child counts its calls from the fork on; the
 * core's counters describe the heap it inherited, parent's history included.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>

#include "shim.h"
#include "slz.h"

struct slz_count_state slz_count;
void (*stats_leaks_text)(struct out *o);
void (*stats_leaks_json)(struct out *o);

static const char *const entry_name[E_COUNT] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
    "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size",
};
static const char *const why_name[W_COUNT] = {"no heap", "too big", "heap full", "alignment", "not ours"};
static const char *const why_key[W_COUNT] = {"no_heap", "too_big", "heap_full", "alignment", "not_ours"};

static int forked; /* this process is a fork child: call counts since the fork */

void stats_setup(void) { slz_count.on = 1; }

void stats_fork_child(void)
{
    memset(&slz_count.st, 0, sizeof slz_count.st);
    forked = 1;
}

static void put_col(struct out *o, const char *s, int width)
{
    int n = 0;
    for (const char *t = s; *t; t++)
        n++;
    out_s(o, s);
    for (; n < width; n++)
        out_ch(o, ' ');
}

/* ---- The shim's report ------------------------------------------------- */

static void report_text(struct out *o, const struct slz_heap_stats *h, uint64_t core, uint64_t glibc)
{
    const struct slz_shim_stats *s = &slz_count.st;
    /* the first line's format is fixed: tests and tools parse it */
    out_s(o, "slzmalloc: stats: ");
    out_u(o, core, 0);
    out_s(o, " calls served by the core, ");
    out_u(o, glibc, 0);
    out_s(o, " by glibc; heap ");
    out_u(o, h->heap_size, 0);
    out_s(o, " bytes, peak use ");
    out_u(o, h->peak_in_use, 0);
    out_s(o, " bytes\n");
    out_s(o, "slzmalloc:   entry point           calls        core       glibc\n");
    for (int i = 0; i < E_COUNT; i++) {
        if (s->calls[i] == 0)
            continue;
        out_s(o, "slzmalloc:   ");
        put_col(o, entry_name[i], 18);
        out_u(o, s->calls[i], 10);
        out_u(o, s->core[i], 12);
        out_u(o, s->glibc[i], 12);
        out_s(o, "\n");
    }
    out_s(o, "slzmalloc:   glibc served because:");
    for (int i = 0; i < W_COUNT; i++) {
        out_s(o, " ");
        out_s(o, why_name[i]);
        out_s(o, " ");
        out_u(o, s->why[i], 0);
        out_s(o, i + 1 < W_COUNT ? "," : "\n");
    }
    if (forked)
        out_s(o, "slzmalloc:   (a fork child: calls counted since the fork; the core's counters below "
                 "include the parent's use of the heap before it)\n");
    stats_core_text(o, h);
    if (stats_leaks_text)
        stats_leaks_text(o); /* what is still allocated, by allocation site */
}

static void report_json(struct out *o, const struct slz_heap_stats *h, uint64_t core, uint64_t glibc)
{
    const struct slz_shim_stats *s = &slz_count.st;
    out_ch(o, '{');
    out_key(o, "program");
    out_json_str(o, program_invocation_name);
    out_ch(o, ',');
    out_field(o, "pid", (uint64_t)getpid(), 0);
    out_key(o, "calls_since_fork");
    out_s(o, forked ? "true," : "false,");
    out_field(o, "served_by_core", core, 0);
    out_field(o, "served_by_glibc", glibc, 0);
    out_key(o, "entry_points");
    out_ch(o, '{');
    for (int i = 0; i < E_COUNT; i++) {
        out_key(o, entry_name[i]);
        out_ch(o, '{');
        out_field(o, "calls", s->calls[i], 0);
        out_field(o, "core", s->core[i], 0);
        out_field(o, "glibc", s->glibc[i], 1);
        out_s(o, i + 1 < E_COUNT ? "}," : "}},");
    }
    out_key(o, "glibc_because");
    out_ch(o, '{');
    for (int i = 0; i < W_COUNT; i++)
        out_field(o, why_key[i], s->why[i], i + 1 == W_COUNT);
    out_s(o, "},");
    out_key(o, "core");
    stats_core_json(o, h);
    if (stats_leaks_json) {
        out_ch(o, ',');
        stats_leaks_json(o); /* what is still allocated, by allocation site */
    }
    out_s(o, "}\n");
}

static int ends_with(const char *s, const char *end)
{
    size_t n = s ? strlen(s) : 0, m = strlen(end);
    return n >= m && !strcmp(s + n - m, end);
}

/* file_trouble: one line on the report fd: the stats file could not be
 * opened or written (what), and errno's name. Keeps errno. */
static void file_trouble(const char *what)
{
    const char *e = strerrorname_np(errno); /* a constant string: no locale, no malloc */
    const char *p[] = {"stats: cannot ", what, " SLZ_STATS_FILE=", slz_opt.stats_file, " (",
                       e ? e : "error", "); no statistics"};
    report_say(p, 7);
}

/* open_file: the report for SLZ_STATS_FILE, in a fresh file that starts
 * with what the file held (file.c): its fd, or -1 (said so). */
static int open_file(struct file_report *rf)
{
    int saved = errno, fd = file_begin(rf, slz_opt.stats_file, 1);
    if (fd < 0)
        file_trouble("open");
    errno = saved;
    return fd;
}

static void close_file(struct file_report *rf, int failed)
{
    int saved = errno;
    if (file_end(rf, slz_opt.stats_file, !failed) != 0)
        file_trouble("write");
    errno = saved;
}

void stats_report(void)
{
    static struct out o; /* static: no big stack frames at exit */
    static struct file_report file;
    struct slz_heap_stats h = {0};
    heaps_stats(&h);
    uint64_t core = 0, glibc = 0;
    for (int i = 0; i < E_COUNT; i++) {
        core += slz_count.st.core[i];
        glibc += slz_count.st.glibc[i];
    }
    o.at = 0;
    o.failed = 0;
    o.fd = slz_opt.stats_file ? open_file(&file) : report_fd();
    if (o.fd < 0)
        return;
    if (slz_opt.stats == 2 || ends_with(slz_opt.stats_file, ".json"))
        report_json(&o, &h, core, glibc);
    else
        report_text(&o, &h, core, glibc);
    out_flush(&o);
    if (slz_opt.stats_file)
        close_file(&file, o.failed);
}
