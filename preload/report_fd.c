/*
 * report_fd.c - where the shim's reports go: a copy of stderr taken at
 * start-up (the formatter itself is the report layer's, src/report/out.c).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report_fd.h"
#include "slz_report.h"

/* Everything the shim prints at exit or while the program runs (statistics,
 * heap-map and trace warnings) goes to one place: a copy of stderr taken at
 * start-up, out of the way of the program's own descriptors (>= 100,
 * close-on-exec). There is no fallback to fd 2: by exit it may be a file
 * the program opened itself. The program may also close the copy (daemons,
 * closefrom) and get its number back for a file of its own, so the copy's
 * identity is kept and checked with fstat before every use. */
static int rep_fd = -1, rep_tried;
static struct stat rep_id;

void report_setup(void)
{
    if (rep_tried)
        return;
    rep_tried = 1;
    int saved = errno;
    rep_fd = fcntl(2, F_DUPFD_CLOEXEC, 100);
    if (rep_fd >= 0 && fstat(rep_fd, &rep_id) != 0) {
        close(rep_fd);
        rep_fd = -1;
    }
    errno = saved;
}

int report_fd(void)
{
    struct stat now;
    int saved = errno;
    int same = rep_fd >= 0 && fstat(rep_fd, &now) == 0 && now.st_dev == rep_id.st_dev &&
               now.st_ino == rep_id.st_ino && now.st_mode == rep_id.st_mode &&
               now.st_rdev == rep_id.st_rdev;
    errno = saved;
    return same ? rep_fd : -1;
}

void report_say(const char *const *pieces, int n)
{
    int fd = report_fd();
    if (fd >= 0)
        say(fd, pieces, n);
}

