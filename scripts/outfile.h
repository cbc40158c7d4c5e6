/*
 * outfile.h - the files slz-replay writes (the timeline page, the memory
 * plot): as slz-run --help promises, each is written under a fresh name
 * beside its own (mkstemp: O_CREAT | O_EXCL, mode 0600 whatever the umask),
 * then renamed onto it, so a symlink planted there is replaced, never
 * followed, and a reader never sees half a file.
 */
#ifndef OUTFILE_H
#define OUTFILE_H

#include <stdio.h>

struct outfile {
    FILE *f;
    char tmp[4096];
    const char *path;
};

/* Opens a fresh file for path: o->f, or NULL with errno set. */
FILE *outfile_open(struct outfile *o, const char *path);
/* Closes it and renames it onto its path (removed if anything failed):
 * 0, or -1 with errno set. */
int outfile_close(struct outfile *o);

#endif /* OUTFILE_H */
