/*
 * stats.c - SLZ_STATS: what the allocator did, printed at exit.
 *
 * The numbers are data first (struct slz_shim_stats here, struct
 * slz_heap_stats in the core); the printer formats them into a fixed buffer
 * and writes it with one write(2). The report goes to a duplicate of stderr
 * taken at start-up, so it survives programs that close stderr before exit.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <unistd.h>

#include "shim.h"
#include "slz.h"

struct slz_shim_stats slz_shim_st;

const char *const slz_entry_name[E_COUNT] = {
    "malloc", "free", "calloc", "realloc", "reallocarray", "posix_memalign",
    "aligned_alloc", "memalign", "valloc", "pvalloc", "malloc_usable_size",
};
static const char *const why_name[W_COUNT] = {"no heap", "too big", "heap full", "alignment", "not ours"};

static int report_fd = -1;

void stats_setup(void)
{
    report_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
}

/* ---- A fixed buffer ---------------------------------------------------- */
struct out {
    char buf[8192];
    size_t at;
};

static void put(struct out *o, const char *s)
{
    while (*s && o->at < sizeof o->buf)
        o->buf[o->at++] = *s++;
}

static void put_u(struct out *o, uint64_t v, int width)
{
    char d[24];
    int n = 0;
    do {
        d[n++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    for (int i = n; i < width; i++)
        put(o, " ");
    while (n > 0 && o->at < sizeof o->buf)
        o->buf[o->at++] = d[--n];
}

static void put_col(struct out *o, const char *s, int width)
{
    int n = 0;
    for (const char *t = s; *t; t++)
        n++;
    put(o, s);
    for (; n < width; n++)
        put(o, " ");
}

static void emit(struct out *o)
{
    int fd = report_fd >= 0 ? report_fd : 2;
    if (slz_opt.stats_file)
        fd = open(slz_opt.stats_file, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
        return;
    for (size_t done = 0; done < o->at;) {
        ssize_t n = write(fd, o->buf + done, o->at - done);
        if (n <= 0)
            break;
        done += (size_t)n;
    }
    if (slz_opt.stats_file)
        close(fd);
}

void stats_report(void)
{
    static struct out o; /* static: no big stack frame at exit */
    struct slz_heap_stats h = {0};
    slz_heap_get_stats(&h);
    const struct slz_shim_stats *s = &slz_shim_st;
    uint64_t core = 0, glibc = 0;
    for (int i = 0; i < E_COUNT; i++) {
        core += s->core[i];
        glibc += s->glibc[i];
    }
    o.at = 0;
    put(&o, "slzmalloc: stats: ");
    put_u(&o, core, 0);
    put(&o, " calls served by the core, ");
    put_u(&o, glibc, 0);
    put(&o, " by glibc; heap ");
    put_u(&o, h.heap_size, 0);
    put(&o, " bytes, peak use ");
    put_u(&o, h.peak_in_use, 0);
    put(&o, " bytes\n");
    put(&o, "slzmalloc:   entry point           calls        core       glibc\n");
    for (int i = 0; i < E_COUNT; i++) {
        if (s->calls[i] == 0)
            continue;
        put(&o, "slzmalloc:   ");
        put_col(&o, slz_entry_name[i], 18);
        put_u(&o, s->calls[i], 10);
        put_u(&o, s->core[i], 12);
        put_u(&o, s->glibc[i], 12);
        put(&o, "\n");
    }
    put(&o, "slzmalloc:   glibc served because:");
    for (int i = 0; i < W_COUNT; i++) {
        put(&o, " ");
        put(&o, why_name[i]);
        put(&o, " ");
        put_u(&o, s->why[i], 0);
        put(&o, i + 1 < W_COUNT ? "," : "\n");
    }
    put(&o, "slzmalloc:   core: splits ");
    put_u(&o, h.splits, 0);
    put(&o, ", coalesces ");
    put_u(&o, h.coalesces, 0);
    put(&o, ", live blocks ");
    put_u(&o, h.live_blocks, 0);
    put(&o, ", free chunks ");
    put_u(&o, h.free_chunks, 0);
    put(&o, ", largest free ");
    put_u(&o, h.largest_free, 0);
    put(&o, " bytes\n");
    emit(&o);
}
