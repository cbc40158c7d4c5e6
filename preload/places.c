/*
 * places.c - whether a place glibc hands a block out from is glibc's own
 * (places.h). The registry of glibc's blocks (registry.c) takes a block
 * glibc returns at a place where a block began before as glibc's (it was
 * checked then); a new place is checked here against how glibc 2.36 lays
 * out its memory (malloc/malloc.c, malloc/arena.c): its main heap on the
 * program break, its thread arenas' heaps, its chunks mapped on their own.
 * A poisoned free list (a thread-cache link rewritten after a free) makes
 * glibc return whatever address the attacker wrote: a thread's stack, a
 * mapping, a library's data, a global; none of them passes.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <linux/futex.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/uio.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "places.h"

static uintptr_t brk_lo; /* the program break before glibc's first block: its main heap starts there */
static int glibc_maps_small; /* glibc was told to map blocks of any size on their own */

/* find_mmap_threshold: whether the environment lowers glibc's mmap
 * threshold (MALLOC_MMAP_THRESHOLD_, glibc.malloc.mmap_threshold), so that
 * small blocks may be mapped on their own. glibc ignores both in
 * secure-execution mode, and so does this. */
static void find_mmap_threshold(void)
{
    const char *t = getenv("GLIBC_TUNABLES");
    glibc_maps_small = !getauxval(AT_SECURE) &&
                       (getenv("MALLOC_MMAP_THRESHOLD_") != NULL || (t != NULL && strstr(t, "mmap_threshold") != NULL));
}

/* probed_read: len bytes at a copied to out once each 4 KiB page they
 * touch has shown itself readable: a futex wait reads the page's first
 * word (EFAULT if it cannot) and, with a zero timeout, returns at once.
 * For where process_vm_readv is refused (qemu-user 7.2 lacks it; a seccomp
 * filter: tests/c/deny_vm_readv.c). Another thread unmapping the page
 * between the probe and the copy would make this fault: a crash, never a
 * wrong answer. 0, or -1 if a page is not readable. */
static int probed_read(uintptr_t a, void *out, size_t len)
{
    struct timespec zero = {0, 0};
    if (a + len < a)
        return -1;
    for (uintptr_t pg = a & ~(uintptr_t)4095; pg < a + len; pg += 4096)
        if (syscall(SYS_futex, (void *)pg, FUTEX_WAIT_PRIVATE, 0, &zero) != 0 && errno == EFAULT)
            return -1;
    memcpy(out, (const void *)a, len);
    return 0;
}

/* safe_words: n words at a, read without faulting (the kernel copies
 * them, or probed_read where it refuses to): 0, or -1 if any is not
 * readable. errno is left alone. */
static int safe_words(uintptr_t a, size_t *out, size_t n)
{
    size_t len = n * sizeof *out;
    struct iovec mine = {out, len}, theirs = {(void *)a, len};
    int saved = errno, r = 0;
    ssize_t got = process_vm_readv(getpid(), &mine, 1, &theirs, 1, 0);
    if (got != (ssize_t)len)
        r = got < 0 && errno != EFAULT ? probed_read(a, out, len) : -1;
    errno = saved;
    return r;
}

/* glibc's heaps beside its main one (malloc/arena.c): each thread arena
 * lives in heaps that glibc maps HEAP_MAX 64 MiB-aligned and reserves
 * whole, each beginning with a heap_info {ar_ptr, prev, size, ...}; an
 * arena's first heap holds the arena itself just after that. A heap found
 * so is remembered (one bit per 64 MiB), so each is read once (a heap glibc
 * deletes stays remembered: its range is then trusted as glibc's). */
#define HEAP_MAX ((uintptr_t)64 << 20)
static uint64_t glibc_heaps[((uintptr_t)1 << 47) / HEAP_MAX / 64];

/* in_arena_heap: a lies in one of glibc's thread-arena heaps. */
static int in_arena_heap(uintptr_t a)
{
    uintptr_t h = a & ~(HEAP_MAX - 1), i = h / HEAP_MAX;
    if (i / 64 >= sizeof glibc_heaps / sizeof glibc_heaps[0])
        return 0;
    if (__atomic_load_n(&glibc_heaps[i / 64], __ATOMIC_RELAXED) & (1ull << (i % 64)))
        return 1;
    size_t info[3], first[1]; /* ar_ptr, prev, size; the arena's own heap's ar_ptr */
    if (safe_words(h, info, 3) != 0 || a - h >= info[2] || safe_words(info[0] & ~(HEAP_MAX - 1), first, 1) != 0)
        return 0;
    if (first[0] != info[0] || info[0] - (info[0] & ~(HEAP_MAX - 1)) >= 4096)
        return 0;
    __atomic_fetch_or(&glibc_heaps[i / 64], 1ull << (i % 64), __ATOMIC_RELAXED);
    return 1;
}

/* places_glibc: p, a place where glibc returned no block before, served
 * for a request of n bytes (its alignment added), lies where glibc's
 * blocks can (a poisoned free list points anywhere): in its main heap (from
 * the program break at set-up to the break now), in one of its thread-arena
 * heaps (its chunk marked NON_MAIN_ARENA), or a chunk mapped on its own
 * (IS_MMAPPED, whose mapping starts and ends on pages, never for a request
 * small enough for glibc's free lists, 1,032 bytes and below, unless the
 * environment lowered glibc's mmap threshold; a program's own mallopt of
 * M_MMAP_THRESHOLD below that is not seen). Headers are read without
 * faulting. (A heap that glibc continues with mmap, the break or a new heap
 * refused, would be refused too: memory exhausted.) */
/* limited: the process runs under a finite RLIMIT_AS or RLIMIT_DATA. When
 * the break cannot grow (such a limit is the usual cause: glibc's
 * tst-malloc-thread-fail), glibc carries its main arena on in memory it
 * maps, outside the break: its chunks there carry neither IS_MMAPPED nor
 * NON_MAIN_ARENA; and an arena that cannot grow has glibc map a chunk of its
 * own even for a small request. Such places are accepted only under a
 * limit, where the break never moved since set-up (glibc could not use
 * it at all: qemu-user's emulated break, say) or where a mapping above the
 * break stops it (blocked), where they can be glibc's; otherwise they are
 * reported. */
static int limited(void)
{
    struct rlimit as, data;
    return (getrlimit(RLIMIT_AS, &as) == 0 && as.rlim_cur != RLIM_INFINITY) ||
           (getrlimit(RLIMIT_DATA, &data) == 0 && data.rlim_cur != RLIM_INFINITY);
}

/* mapped_above: a mapping of /proc/self/maps meets [lo, lo + room): read
 * with read(2) into a buffer on the stack, nothing allocated; 0 when the
 * file cannot be read. */
static int mapped_above(uintptr_t lo, uintptr_t room)
{
    char buf[4096];
    size_t have = 0;
    int fd = open("/proc/self/maps", O_RDONLY | O_CLOEXEC), found = 0;
    ssize_t got;
    while (fd >= 0 && !found && (got = read(fd, buf + have, sizeof buf - 1 - have)) > 0) {
        have += (size_t)got;
        buf[have] = 0;
        char *line = buf, *nl, *end;
        while (!found && (nl = memchr(line, '\n', (size_t)(buf + have - line))) != NULL) {
            uintptr_t from = strtoul(line, &end, 16), to = *end == '-' ? strtoul(end + 1, NULL, 16) : 0;
            found = from < lo + room && to > lo;
            line = nl + 1;
        }
        have = (size_t)(buf + have - line);
        memmove(buf, line, have);
        if (have == sizeof buf - 1)
            have = 0; /* (no line is that long) */
    }
    if (fd >= 0)
        close(fd);
    return found;
}

/* blocked: the program break brk cannot grow for a request of n bytes: a
 * mapping lies within what glibc would ask for (n, its 128 KiB pad and a
 * page) above it (a library or loader placed one there; valgrind's break
 * has a fixed size). glibc then carries its main arena on in memory it
 * maps, as under a limit (below). Found once per break: while the break
 * stays where it was found blocked, it is. errno is left alone. */
static int blocked(uintptr_t brk, size_t n)
{
    static uintptr_t blocked_at;
    if (brk == __atomic_load_n(&blocked_at, __ATOMIC_RELAXED))
        return 1;
    uintptr_t pg = (uintptr_t)sysconf(_SC_PAGESIZE), up = (brk + pg - 1) & ~(pg - 1);
    int saved = errno, r = mapped_above(up, ((uintptr_t)n + (128 << 10) + 2 * pg) & ~(pg - 1));
    errno = saved;
    if (r)
        __atomic_store_n(&blocked_at, brk, __ATOMIC_RELAXED);
    return r;
}

int places_glibc(const void *p, size_t n)
{
    uintptr_t a = (uintptr_t)p;
    size_t c[2]; /* the chunk header: prev_size (an mmapped chunk's offset), size|flags */
    static uintptr_t brk_seen; /* the break as last read; read again when p lies above it */
    if (a >= brk_lo && a < __atomic_load_n(&brk_seen, __ATOMIC_RELAXED))
        return 1; /* the main heap: above the program's image, far below the main stack */
    uintptr_t brk = (uintptr_t)sbrk(0);
    __atomic_store_n(&brk_seen, brk, __ATOMIC_RELAXED);
    if (a >= brk_lo && a < brk)
        return 1;
    if (safe_words(a - 16, c, 2) != 0)
        return 0;
    if (c[1] & 4) /* NON_MAIN_ARENA */
        return in_arena_heap(a);
    int lim = brk == brk_lo || limited() || blocked(brk, n); /* (a break that never moved: glibc's main arena never used it) */
    if (!(c[1] & 2) && lim)
        return 1; /* the main arena moved into mapped memory (below) */
    size_t size = c[1] & ~(size_t)7, page = (size_t)sysconf(_SC_PAGESIZE);
    return (c[1] & 2) && (n > 1032 || glibc_maps_small || lim) && ((a - 16 - c[0]) & (page - 1)) == 0 && ((c[0] + size) & (page - 1)) == 0;
}

void places_setup(void)
{
    brk_lo = (uintptr_t)sbrk(0);
    find_mmap_threshold();
}
