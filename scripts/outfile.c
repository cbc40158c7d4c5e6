/*
 * outfile.c - fresh files renamed into place; see outfile.h.
 */
#define _GNU_SOURCE
#include "outfile.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

FILE *outfile_open(struct outfile *o, const char *path)
{
    o->f = NULL;
    o->path = path;
    if (snprintf(o->tmp, sizeof o->tmp, "%s.XXXXXX", path) >= (int)sizeof o->tmp) {
        errno = ENAMETOOLONG;
        return NULL;
    }
    int fd = mkostemp(o->tmp, O_CLOEXEC);
    if (fd < 0)
        return NULL;
    fchmod(fd, 0600);
    o->f = fdopen(fd, "w");
    if (!o->f) {
        int e = errno;
        close(fd);
        unlink(o->tmp);
        errno = e;
    }
    return o->f;
}

int outfile_close(struct outfile *o)
{
    int bad = ferror(o->f);
    if (fclose(o->f) != 0 || bad || rename(o->tmp, o->path) != 0) {
        int e = errno ? errno : EIO;
        unlink(o->tmp);
        errno = e;
        return -1;
    }
    return 0;
}
