/*
 * watch.c - the glue between the shim and what lets a learner watch the
 * heap: statistics (stats.c), heap maps (src/report/heapmap.c), traces (trace.c).
 *
 * SIGUSR1 with SLZ_HEAPMAP set asks for a heap map while the program runs.
 * Walking the heap from a signal handler is not safe (the signal may arrive
 * in the middle of a malloc, with the heap half changed, and write(2) of a
 * big picture is not something to do while interrupting the program), so
 * the handler only sets a flag. The next allocator call that enters the
 * core sees the flag just after its core call (WATCH_POLL in the shim's
 * after()) and draws its own thread's heap then: consistent, and changed by
 * no other thread (their frees into it wait as pending bits). One thread
 * draws at a time (the pictures share one buffer); signals that arrive
 * before the drawing starts make one picture. Pictures are numbered: SLZ_HEAPMAP=m.svg
 * gives m.1.svg, m.2.svg, ... while running and m.svg at exit.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <sched.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "heaps.h"
#include "options.h"
#include "report_fd.h"
#include "sites.h"
#include "stats.h"
#include "trace.h"
#include "watch.h"

struct slz_watch_state slz_watch;
static uint64_t maps; /* pictures written on SIGUSR1 */

static void on_usr1(int sig)
{
    (void)sig;
    slz_watch.map_pending = 1;
}

void watch_setup(void)
{
    if (slz_opt.stats || slz_opt.heapmap || slz_opt.trace)
        report_setup(); /* before the trace file is opened */
    if (slz_opt.stats)
        stats_setup();
    if (slz_opt.sites)
        sites_setup(); /* after heaps_setup: the records follow the heaps' range */
    if (slz_opt.trace)
        trace_setup();
    if (slz_opt.heapmap) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = on_usr1;
        sa.sa_flags = SA_RESTART;
        sigemptyset(&sa.sa_mask);
        sigaction(SIGUSR1, &sa, NULL);
    }
}

/* title: "<program> (pid N), <when>" into buf. */
static const char *title(char *buf, size_t cap, const char *when, uint64_t n)
{
    struct out t = {-1, 0, 0, cap - 1, buf}; /* a string in buf */
    out_s(&t, "slzmalloc heap of ");
    out_s(&t, program_invocation_short_name);
    out_s(&t, " (pid ");
    out_u(&t, (uint64_t)getpid(), 0);
    out_s(&t, "), ");
    out_s(&t, when);
    if (n) {
        out_s(&t, " #");
        out_u(&t, n, 0);
    }
    return out_str(&t);
}

static void map(const char *path, const char *t)
{
    int saved = errno;
    if (heapmap_file(path, heaps_view(), t) != 0) {
        const char *e = strerrorname_np(errno); /* a constant string: no locale, no malloc */
        const char *p[] = {"heap map: cannot write ", path, " (", e ? e : "error", "); no heap map"};
        report_say(p, 5);
    }
    errno = saved;
}

/* drawing: a thread is writing a report (the heap map's and the
 * statistics' buffers are static): the acquire of the exchange orders the
 * drawing after the previous one's release. */
static int drawing;

/* watch_poll: the heap map asked for by SIGUSR1, of the calling thread's
 * heap, just after its core call. Another thread drawing: left pending for
 * a later call. */
void watch_poll(void)
{
    char path[4096], t[512];
    if (__atomic_exchange_n(&drawing, 1, __ATOMIC_ACQUIRE))
        return;
    slz_watch.map_pending = 0;
    if (slz_opt.heapmap != NULL) {
        maps++;
        if (out_path(path, sizeof path, slz_opt.heapmap, ".svg", maps, 0) == 0)
            map(path, title(t, sizeof t, "on SIGUSR1", maps));
    }
    __atomic_store_n(&drawing, 0, __ATOMIC_RELEASE);
}

/* watch_exit: the reports at exit (the shim's destructor), once any
 * picture under way is done; other threads may still be running: the
 * counters summed are a report, not an invariant. */
void watch_exit(void)
{
    char t[512];
    while (__atomic_exchange_n(&drawing, 1, __ATOMIC_ACQUIRE))
        sched_yield();
    if (slz_opt.stats)
        stats_report();
    if (slz_opt.heapmap)
        map(slz_opt.heapmap, title(t, sizeof t, "at exit", 0));
    __atomic_store_n(&drawing, 0, __ATOMIC_RELEASE);
}
