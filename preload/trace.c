/*
 * trace.c - SLZ_TRACE=out.rep: record every allocation call of a program.
 *
 * The record is a malloc-lab trace in the 64-bit format of the 15-213 set
 * (scripts/rep.h): four header lines (weight, number of
 * ids, number of operations, peak live payload), then one operation a line:
 *   a ID SIZE    malloc, calloc (count * size), the aligned entry points,
 *                realloc(NULL, n)
 *   r ID SIZE    realloc of a live block (moved or not)
 *   f ID         free, realloc(p, 0); "f -1" is free(NULL)
 * With SLZ_SITES on, an "a" or "r" line of a block the slz heaps hold ends
 * with a fourth number, the block's allocation site (sites.c's number:
 * equal numbers, same site), for the timeline's colour by call site.
 * Every block gets a new id when it is allocated. Calls that fail (NULL)
 * are not recorded: they change nothing. Blocks allocated before tracing
 * started are unknown: freeing one is not recorded, reallocating one is
 * recorded as a new allocation. Alignment is not part of the format.
 *
 * Nothing here uses the allocator being traced: the records go through a
 * fixed buffer written with write(2), and the table that maps a block's
 * address to its id and size (src/report/addr.c) lives in memory of its
 * own from mmap. The header is only known at the end, so the file starts
 * with a fixed-width header (an empty trace) that is rewritten with pwrite(2) after every
 * flush: the file is a complete trace of what was flushed, even if the
 * program later dies. The file is created under a fresh name of its own
 * (src/report/file.c: O_EXCL, O_NOFOLLOW, mode 0600) and takes its final name once it
 * holds that empty trace: SLZ_TRACE if nothing is there, else
 * <stem>.<pid>.rep; no existing file is ever opened. One lock orders the
 * records of all threads; a realloc holds it across the call (its record
 * must follow whatever freed or took the blocks before it): glibc's own
 * lock may be taken inside it, never the other way round.
 * A fork child stops tracing (its ops would interleave with the parent's);
 * a program it execs opens a file of its own.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h> /* rename */
#include <sys/mman.h>
#include <unistd.h>

#include "options.h"
#include "report_fd.h"
#include "sites.h"
#include "slz_report.h"
#include "trace.h"

static pthread_mutex_t tlock = PTHREAD_MUTEX_INITIALIZER;
static char tr_buf[32768];
static struct out tr = OUT_FD(-1, tr_buf);
static uint64_t ids, ops, live, peak;
static int closing; /* after exit: flush every record */
static const void *tr_block; /* the block an "a" or "r" record is about (its site) */
static char tr_name[4096];   /* the trace's final name */

#define HEADER_LINE 21 /* 20 columns and a newline per header value */

/* the live blocks: address -> (id, size) (src/report/addr.c, mmap'd) */
static struct addr_table blocks;

/* ---- Writing ----------------------------------------------------------- */

static void header(void)
{
    char h[4 * HEADER_LINE];
    uint64_t v[4] = {1, ids, ops, peak};
    for (int l = 0; l < 4; l++) {
        char *line = h + l * HEADER_LINE;
        int at = HEADER_LINE - 1;
        line[at] = '\n';
        uint64_t x = v[l];
        do {
            line[--at] = (char)('0' + x % 10);
            x /= 10;
        } while (x && at > 0);
        while (at > 0)
            line[--at] = ' ';
    }
    int saved = errno;
    ssize_t r = pwrite(tr.fd, h, sizeof h, 0);
    (void)r;
    errno = saved;
}

static void flush(void)
{
    out_flush(&tr);
    header();
}

static void stop(const char *why)
{
    flush();
    slz_watch.tracing = 0;
    const char *p[] = {"trace: ", why, "; the trace ends here"};
    report_say(p, 3);
}

/* record: one line "k id [size [site]]". Called with the trace lock held. */
static void record(char k, int64_t id, uint64_t size, int with_size)
{
    uint32_t site = with_size && slz_sites_on ? sites_of(tr_block) : 0;
    if (tr.at > tr.cap - 64)
        flush();
    out_ch(&tr, k);
    out_ch(&tr, ' ');
    out_i(&tr, id);
    if (with_size) {
        out_ch(&tr, ' ');
        out_u(&tr, size, 0);
    }
    if (site) { /* SLZ_SITES: the block's allocation site (sites.c's number) */
        out_ch(&tr, ' ');
        out_u(&tr, site, 0);
    }
    out_ch(&tr, '\n');
    ops++;
    if (live > peak)
        peak = live;
    if (closing)
        flush();
}

/* born: block p of n bytes gets a new id ("a"). Lock held. */
static void born(void *p, size_t n)
{
    struct addr_slot *s = addr_find(&blocks, (uintptr_t)p);
    if (s != NULL) { /* freed where we could not see it: close its record */
        live -= s->size;
        record('f', s->id, 0, 0);
        addr_del(&blocks, s);
    }
    if (addr_put(&blocks, (uintptr_t)p, (int64_t)ids, n) != 0) {
        stop("no memory for the table of live blocks");
        return;
    }
    live += n;
    tr_block = p;
    record('a', (int64_t)ids++, n, 1);
}

void trace_alloc(void *p, size_t n)
{
    pthread_mutex_lock(&tlock);
    if (slz_watch.tracing)
        born(p, n);
    pthread_mutex_unlock(&tlock);
}

void trace_free(void *p)
{
    pthread_mutex_lock(&tlock);
    if (slz_watch.tracing) {
        struct addr_slot *s = addr_find(&blocks, (uintptr_t)p);
        if (p == NULL)
            record('f', -1, 0, 0);
        else if (s != NULL) {
            live -= s->size;
            record('f', s->id, 0, 0);
            addr_del(&blocks, s);
        }
    }
    pthread_mutex_unlock(&tlock);
}

int trace_realloc_begin(void *p, size_t n)
{
    if (p == NULL || n == 0) /* malloc, or free (recorded by free itself) */
        return 0;
    pthread_mutex_lock(&tlock);
    return 1;
}

void trace_realloc_end(int span, void *p, size_t n, void *q)
{
    if (!span) {
        if (p == NULL && q != NULL)
            trace_alloc(q, n);
        return;
    }
    if (slz_watch.tracing && q != NULL) {
        struct addr_slot *s = addr_find(&blocks, (uintptr_t)p);
        if (s == NULL)
            born(q, n);
        else {
            int64_t id = s->id;
            live = live - s->size + n;
            addr_del(&blocks, s);
            struct addr_slot *t = addr_find(&blocks, (uintptr_t)q); /* only if q was freed unseen */
            if (t != NULL) {
                live -= t->size;
                record('f', t->id, 0, 0);
                addr_del(&blocks, t);
            }
            tr_block = q;
            if (addr_put(&blocks, (uintptr_t)q, id, n) != 0) /* room: one entry just went */
                stop("no memory for the table of live blocks");
            else
                record('r', id, n, 1);
        }
    }
    pthread_mutex_unlock(&tlock);
}

/* ---- Start, fork, exit ------------------------------------------------- */

/* high_fd: fd moved to 100 or above, out of the way of programs that
 * manage their low descriptors. */
static int high_fd(int fd)
{
    int high = fd >= 0 && fd < 100 ? fcntl(fd, F_DUPFD_CLOEXEC, 100) : -1;
    if (high < 0)
        return fd;
    close(fd);
    return high;
}

/* place: the new trace tmp takes its name: path if nothing is there, else
 * (taken by a parent process, a stale trace, a symlink) "<stem>.<pid>.rep",
 * which is this process's own: whatever is there is replaced, never
 * followed or written. 0, or -1. */
static int place(const char *tmp, const char *path)
{
    char mine[4096];
    if (file_claim(tmp, path) == 0)
        return out_path(tr_name, sizeof tr_name, path, "", 0, 0), 0;
    if (out_path(mine, sizeof mine, path, ".rep", (uint64_t)getpid(), 0) != 0 || rename(tmp, mine) != 0) {
        unlink(tmp);
        return -1;
    }
    return out_path(tr_name, sizeof tr_name, mine, "", 0, 0), 0;
}

/* open_trace: the trace file, written first under a fresh name of its own
 * (src/report/file.c) with a valid empty trace in it, then put in place: whoever reads
 * the final name finds a complete trace from the start. */
static int open_trace(const char *path)
{
    char tmp[4096];
    tr.fd = high_fd(file_create(tmp, sizeof tmp, path));
    if (tr.fd < 0)
        return -1;
    header(); /* an empty trace (no operation yet); records follow it */
    if (lseek(tr.fd, 4 * HEADER_LINE, SEEK_SET) < 0 || place(tmp, path) != 0) {
        close(tr.fd);
        tr.fd = -1;
        return -1;
    }
    return 0;
}

void trace_setup(void)
{
    int saved = errno;
    if (open_trace(slz_opt.trace) != 0) {
        const char *p[] = {"trace: cannot open ", slz_opt.trace, "; not tracing"};
        report_say(p, 3);
        errno = saved;
        return;
    }
    errno = saved;
    __atomic_store_n(&slz_watch.tracing, 1, __ATOMIC_RELEASE);
}

static void fork_prepare(void)
{
    pthread_mutex_lock(&tlock);
    if (slz_watch.tracing)
        flush();
}
static void fork_parent(void) { pthread_mutex_unlock(&tlock); }
static void fork_child(void)
{
    if (slz_watch.tracing) {
        slz_watch.tracing = 0;
        close(tr.fd);
        addr_free(&blocks);
    }
    pthread_mutex_init(&tlock, NULL);
}

void trace_atfork(void)
{
    if (slz_opt.trace) /* registered after the shim's: runs before its prepare */
        pthread_atfork(fork_prepare, fork_parent, fork_child);
}

/* write_sites: with SLZ_SITES, "<trace>.sites" names the site numbers of
 * the trace ("N frames" a line; sites.c), written at exit. */
static void write_sites(void)
{
    static char buf[8192];
    char path[4096 + 8];
    struct out name = OUT_STRING(path), o;
    struct file_report f;
    out_s(&name, tr_name);
    out_s(&name, ".sites");
    if (!slz_sites_on || !*tr_name || name.failed || file_begin(&f, out_str(&name), 0) < 0)
        return;
    o = (struct out)OUT_FD(f.fd, buf);
    sites_table(&o);
    out_flush(&o);
    file_end(&f, path, !o.failed);
}

void trace_exit(void)
{
    pthread_mutex_lock(&tlock);
    int tracing = slz_watch.tracing;
    if (tracing) {
        flush();
        closing = 1; /* what later destructors free is written at once */
    }
    pthread_mutex_unlock(&tlock);
    if (tracing)
        write_sites(); /* outside the lock: dladdr1 takes the loader's */
}
