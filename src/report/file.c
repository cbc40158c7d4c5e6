/*
 * file.c - how reports (statistics, heap maps, traces) are written, by the
 * shim and by slz-replay, without harming files that are not their own.
 *
 * A report is never written through a name that may already exist: it goes
 * into a fresh file created beside the final name with O_CREAT | O_EXCL |
 * O_NOFOLLOW (so no symlink is followed and nothing is truncated), mode
 * 0600 (reports hold heap addresses), and is then renamed onto the final
 * name. rename(2) replaces the directory entry, not what it pointed to: a
 * symlink planted at the final name is replaced, its target untouched, and
 * a file hard-linked there keeps its contents. A file the process did not
 * create is never opened for writing.
 *
 * The statistics file collects one report per process (a pipeline's
 * processes each add theirs): the new file starts with a copy of what the
 * final name held, if that is a plain file of our own with one link (read
 * with O_NOFOLLOW), and the processes take turns through flock(2) on the
 * directory, waited for a bounded time, so that no report is lost to a
 * neighbour's rename.
 *
 * Nothing here allocates: names are built in buffers the caller owns.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h> /* rename, renameat2 */
#include <sys/file.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "slz_report.h"

/* temp_name: "<path>.<pid>.tmp", or with try > 0 "<path>.<pid>.<try>.tmp";
 * -1 if it does not fit in cap bytes. */
static int temp_name(char *dst, size_t cap, const char *path, unsigned try)
{
    struct out o = {-1, 0, 0, cap - 1, dst}; /* a string in dst */
    out_s(&o, path);
    out_ch(&o, '.');
    out_u(&o, (uint64_t)getpid(), 0);
    if (try > 0) {
        out_ch(&o, '.');
        out_u(&o, try, 0);
    }
    out_s(&o, ".tmp");
    out_str(&o);
    return o.failed ? -1 : 0;
}

int file_create(char *tmp, size_t cap, const char *path)
{
    for (unsigned try = 0; try < 64; try++) {
        if (temp_name(tmp, cap, path, try) != 0) {
            errno = ENAMETOOLONG;
            return -1;
        }
        int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
        if (fd >= 0) {
            fchmod(fd, 0600); /* whatever the umask took away */
            return fd;
        }
        if (errno != EEXIST)
            return -1;
    }
    return -1; /* 64 names taken: someone is in the way */
}

int file_claim(const char *tmp, const char *path)
{
    if (renameat2(AT_FDCWD, tmp, AT_FDCWD, path, RENAME_NOREPLACE) == 0)
        return 0;
    if (errno != EINVAL && errno != ENOSYS) /* EEXIST among them */
        return -1;
    if (link(tmp, path) != 0) /* a file system without RENAME_NOREPLACE */
        return -1;
    unlink(tmp);
    return 0;
}

/* ---- Files that collect a report per process --------------------------- */

/* dir_lock: flock the directory of path, waiting at most about two seconds
 * (a stuck neighbour must not hang the program's exit); the directory fd to
 * give to dir_unlock, or -1 (then the report goes on unlocked). */
static int dir_lock(const char *path)
{
    char dir[4096] = ".";
    size_t end = 0; /* the directory part: up to the last '/' */
    for (size_t i = 0; path[i]; i++)
        if (path[i] == '/')
            end = i + 1;
    if (end >= sizeof dir)
        return -1;
    for (size_t i = 0; i < end; i++)
        dir[i] = path[i];
    if (end > 0)
        dir[end] = '\0';
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return -1;
    for (int i = 0; i < 2000; i++) {
        if (flock(fd, LOCK_EX | LOCK_NB) == 0)
            return fd;
        struct timespec ms = {0, 1000000};
        nanosleep(&ms, NULL);
    }
    close(fd);
    return -1;
}

static void dir_unlock(int fd)
{
    if (fd >= 0)
        close(fd); /* releases the flock */
}

/* carry: what path holds into fd, if it is a plain file of ours with one
 * link; anything else (a symlink, a fifo, a file of another user) is left
 * out. 0, or -1 if the copy failed halfway. */
static int carry(int fd, const char *path)
{
    int old = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (old < 0)
        return 0;
    struct stat st;
    int r = 0;
    if (fstat(old, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() && st.st_nlink == 1) {
        char buf[4096];
        ssize_t n;
        while (r == 0 && (n = read(old, buf, sizeof buf)) != 0) {
            if (n < 0 && errno == EINTR)
                continue;
            r = n < 0 || write(fd, buf, (size_t)n) != n ? -1 : 0;
        }
    }
    close(old);
    return r;
}

int file_begin(struct file_report *f, const char *path, int collect)
{
    f->lock = collect ? dir_lock(path) : -1;
    f->fd = file_create(f->tmp, sizeof f->tmp, path);
    if (f->fd >= 0 && collect && carry(f->fd, path) != 0) {
        close(f->fd);
        unlink(f->tmp);
        f->fd = -1;
    }
    if (f->fd < 0) {
        int e = errno;
        dir_unlock(f->lock);
        errno = e;
    }
    return f->fd;
}

/* settle: the end of a report whose fate is r (0: it took its name; -1:
 * it is removed), the directory unlocked; r, with errno kept */
static int settle(struct file_report *f, int r)
{
    if (r != 0) {
        int e = errno;
        unlink(f->tmp);
        errno = e;
    }
    dir_unlock(f->lock);
    f->fd = -1;
    return r;
}

int file_end(struct file_report *f, const char *path, int ok)
{
    return settle(f, close(f->fd) == 0 && ok && rename(f->tmp, path) == 0 ? 0 : -1);
}

/* ---- Files of one report each ------------------------------------------ */

int file_end_own(struct file_report *f, const char *path, const char *ext, int ok)
{
    char own[4096];
    int r = close(f->fd) == 0 && ok ? 0 : -1;
    if (r == 0 && file_claim(f->tmp, path) != 0) {
        r = errno == EEXIST && out_path(own, sizeof own, path, ext, (uint64_t)getpid(), 0) == 0 ? 0 : -1;
        if (r == 0)
            r = rename(f->tmp, own);
    }
    return settle(f, r);
}
