/* shim_probe.h - helpers for programs run under the shim (LD_PRELOAD).
 *
 * Who served a block? The shim exports only the malloc family, so these
 * programs ask glibc itself: mallinfo2() (not interposed by the shim) counts
 * the bytes glibc's allocator has handed out. A block that left that count
 * unchanged came from the slz core; one that moved it came from glibc. With
 * glibc's per-thread cache a glibc block can be reused without moving the
 * count, so probe_start() re-executes the program once with the cache
 * turned off (GLIBC_TUNABLES=glibc.malloc.tcache_count=0).
 *
 * Where is a block? map_of() finds the /proc/self/maps line that holds it. */
#ifndef SLZ_TEST_SHIM_PROBE_H
#define SLZ_TEST_SHIM_PROBE_H
#define _GNU_SOURCE
#include <fcntl.h>
#include <malloc.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "check.h"

#define PROBE_FN __attribute__((unused)) static

/* probe_start: make sure glibc's tcache is off (re-exec once if needed). */
PROBE_FN void probe_start(char **argv)
{
    const char *t = getenv("GLIBC_TUNABLES");
    if (t && strstr(t, "glibc.malloc.tcache_count=0"))
        return;
    setenv("GLIBC_TUNABLES", "glibc.malloc.tcache_count=0", 1);
    execv("/proc/self/exe", argv);
    perror("execv");
    exit(99);
}

/* glibc_bytes: bytes glibc's allocator has handed out (arenas and mmaps). */
PROBE_FN size_t glibc_bytes(void)
{
    struct mallinfo2 mi = mallinfo2();
    return mi.uordblks + mi.hblkhd;
}

/* KEEP: the compiler may not drop or move an allocation whose result it
 * thinks unused. */
#define KEEP(p) __asm__ volatile("" : : "r"(p) : "memory")

/* who: 'c' when the allocation in expr left glibc's count alone (the core
 * served it), 'g' when glibc's count moved. */
#define WHO(var, expr)                                                                             \
    do {                                                                                           \
        size_t who_before_ = glibc_bytes();                                                        \
        var = (expr);                                                                              \
        KEEP(var);                                                                                 \
        who_ = glibc_bytes() == who_before_ ? 'c' : 'g';                                           \
    } while (0)

/* map_of: the mapping that holds p: its range and its name ("" for an
 * anonymous mapping). Returns 0 if p is not mapped. No allocation. */
struct mapping {
    uintptr_t lo, hi;
    char name[256];
};
PROBE_FN int map_of(const void *p, struct mapping *m)
{
    static char buf[1 << 20];
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return 0;
    size_t len = 0;
    ssize_t r;
    while (len < sizeof buf - 1 && (r = read(fd, buf + len, sizeof buf - 1 - len)) > 0)
        len += (size_t)r;
    close(fd);
    buf[len] = 0;
    for (char *line = buf; *line;) {
        char *end = strchr(line, '\n');
        if (end)
            *end = 0;
        unsigned long lo, hi;
        int name_at = 0;
        if (sscanf(line, "%lx-%lx %*s %*s %*s %*s %n", &lo, &hi, &name_at) >= 2 && (uintptr_t)p >= lo &&
            (uintptr_t)p < hi) {
            m->lo = lo;
            m->hi = hi;
            snprintf(m->name, sizeof m->name, "%s", name_at ? line + name_at : "");
            return 1;
        }
        if (!end)
            break;
        line = end + 1;
    }
    return 0;
}

/* patterns */
PROBE_FN void pfill(void *p, size_t n, unsigned seed)
{
    unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        b[i] = (unsigned char)(seed * 167 + i * 13 + (i >> 9));
}
PROBE_FN int pfilled(const void *p, size_t n, unsigned seed)
{
    const unsigned char *b = p;
    for (size_t i = 0; i < n; i++)
        if (b[i] != (unsigned char)(seed * 167 + i * 13 + (i >> 9)))
            return 0;
    return 1;
}
#endif
