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

#include "heaps.h"
#include "options.h"
#include "report_fd.h"
#include "stats.h"
#include "slz.h"

struct slz_count_state slz_count;
void (*stats_leaks)(struct out *o, int json);

static const char *const entry_name[E_COUNT] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
    "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size",
};
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

/* the report's first figures; its first line's format is fixed: tests and
 * tools parse it */
struct head {
    const char *program;
    uint64_t pid, forked, core, glibc, heap_size, peak;
};
#define H(text, key, kind, m) FIELD(text, key, kind, struct head, m)
static const struct field head_fields[] = {
    H(NULL, "program", F_STR, program), H(NULL, "pid", F_U64, pid), H(NULL, "calls_since_fork", F_BOOL, forked),
    H("slzmalloc: stats: ", "served_by_core", F_U64, core),
    H(" calls served by the core, ", "served_by_glibc", F_U64, glibc),
    H(" by glibc; heap ", NULL, F_U64, heap_size), H(" bytes, peak use ", NULL, F_U64, peak), FIELD_TEXT(" bytes\n"),
};
#undef H

/* why glibc served */
#define W(text, key, i) FIELD(text, key, F_U64, struct slz_shim_stats, why[i])
static const struct field why_fields[] = {
    W("slzmalloc:   glibc served because: no heap ", "no_heap", W_NO_HEAP), W(", too big ", "too_big", W_TOO_BIG),
    W(", heap full ", "heap_full", W_FULL), W(", alignment ", "alignment", W_ALIGN),
    W(", not ours ", "not_ours", W_NOT_OURS), FIELD_TEXT("\n"),
};
#undef W
_Static_assert(W_COUNT == 5, "a field for each reason");

static void entries_text(struct out *o, const struct slz_shim_stats *s)
{
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
}

static void entries_json(struct out *o, const struct slz_shim_stats *s)
{
    out_ch(o, '{');
    for (int i = 0; i < E_COUNT; i++) {
        out_key(o, entry_name[i]);
        out_ch(o, '{');
        out_field(o, "calls", s->calls[i], 0);
        out_field(o, "core", s->core[i], 0);
        out_field(o, "glibc", s->glibc[i], 1);
        out_s(o, i + 1 < E_COUNT ? "}," : "}");
    }
    out_ch(o, '}');
}

static void report_text(struct out *o, const struct slz_heap_stats *h, const struct head *hd)
{
    fields_text(o, FIELDS(head_fields), hd);
    entries_text(o, &slz_count.st);
    fields_text(o, FIELDS(why_fields), &slz_count.st);
    if (forked)
        out_s(o, "slzmalloc:   (a fork child: calls counted since the fork; the core's counters below "
                 "include the parent's use of the heap before it)\n");
    stats_core_text(o, h);
    if (stats_leaks)
        stats_leaks(o, 0); /* what is still allocated, by allocation site */
}

static void report_json(struct out *o, const struct slz_heap_stats *h, const struct head *hd)
{
    out_ch(o, '{');
    fields_json(o, FIELDS(head_fields), hd);
    out_s(o, ",\"entry_points\":");
    entries_json(o, &slz_count.st);
    out_s(o, ",\"glibc_because\":{");
    fields_json(o, FIELDS(why_fields), &slz_count.st);
    out_s(o, "},\"core\":");
    stats_core_json(o, h);
    if (stats_leaks) {
        out_ch(o, ',');
        stats_leaks(o, 1); /* what is still allocated, by allocation site */
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
 * with what the file held (src/report/file.c): its fd, or -1 (said so). */
static int open_file(struct file_report *rf)
{
    int saved = errno, fd = file_begin(rf, slz_opt.stats_file, !ends_with(slz_opt.stats_file, ".json"));
    if (fd < 0)
        file_trouble("open");
    errno = saved;
    return fd;
}

static void close_file(struct file_report *rf, int failed)
{
    int saved = errno;
    int one = ends_with(slz_opt.stats_file, ".json"); /* one document a file; .jsonl collects lines */
    if ((one ? file_end_own(rf, slz_opt.stats_file, ".json", !failed) : file_end(rf, slz_opt.stats_file, !failed)) != 0)
        file_trouble("write");
    errno = saved;
}

void stats_report(void)
{
    static char buf[32768]; /* static: no big stack frames at exit */
    static struct file_report file;
    struct out o = OUT_FD(-1, buf);
    struct slz_heap_stats h = {0};
    heaps_stats(&h);
    struct head hd = {program_invocation_name, (uint64_t)getpid(), (uint64_t)forked, 0, 0, h.heap_size,
                      h.peak_in_use};
    for (int i = 0; i < E_COUNT; i++) {
        hd.core += slz_count.st.core[i];
        hd.glibc += slz_count.st.glibc[i];
    }
    o.fd = slz_opt.stats_file ? open_file(&file) : report_fd();
    if (o.fd < 0)
        return;
    if (slz_opt.stats == 2 || ends_with(slz_opt.stats_file, ".json") || ends_with(slz_opt.stats_file, ".jsonl"))
        report_json(&o, &h, &hd);
    else
        report_text(&o, &h, &hd);
    out_flush(&o);
    if (slz_opt.stats_file)
        close_file(&file, o.failed);
}
