/*
 * os.c - every call the core makes to the operating system.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/membarrier.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "chunk.h"

/* os_map: fresh zeroed private memory, or NULL. */
void *os_map(size_t bytes)
{
    void *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    return p == MAP_FAILED ? NULL : p;
}

void os_unmap(void *p, size_t bytes) { munmap(p, bytes); }

/* os_release: the kernel may take back these whole pages; they read as zero
 * when touched again. errno is left as it was (free never changes it). */
void os_release(void *p, size_t bytes)
{
    int saved = errno;
    madvise(p, bytes, MADV_DONTNEED);
    errno = saved;
}

/* os_guard: no access at all to these pages from now on. 0 or -1. */
int os_guard(void *p, size_t bytes) { return mprotect(p, bytes, PROT_NONE); }

size_t os_page_size(void)
{
    long n = sysconf(_SC_PAGESIZE);
    return n > 0 ? (size_t)n : 4096;
}

/* os_random: 64 bits from the kernel; if that fails, from the clock and an
 * address (weaker, but the checks still catch accidents). */
uint64_t os_random(void)
{
    uint64_t x = 0;
    if (getrandom(&x, sizeof x, GRND_NONBLOCK) == (ssize_t)sizeof x && x != 0)
        return x;
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    x = ((uint64_t)ts.tv_nsec << 32) ^ (uint64_t)ts.tv_sec ^ (uint64_t)(uintptr_t)&x;
    return x | 1;
}

/* The process-wide barrier of a heap's first free by another thread
 * (index.c, pending_announce). os_membarrier_ready registers the process
 * for it, once (the first heap created asks; later calls read the answer):
 * nonzero when it works. os_membarrier: every thread of the process that
 * is running executes a full memory barrier before it returns (one that is
 * not running passed one when it was switched out). A fork child keeps the
 * registration (observed on Linux 6.x); should the command fail anyway, the
 * process registers again and retries once. errno is left as it was. */
static long membarrier_call(int cmd)
{
#ifdef SYS_membarrier
    return syscall(SYS_membarrier, cmd, 0, 0);
#else
    (void)cmd;
    return -1;
#endif
}

int os_membarrier_ready(void)
{
    static int state; /* 0: not asked yet; 1: works; -1: does not */
    int s = __atomic_load_n(&state, __ATOMIC_ACQUIRE);
    if (s == 0) {
        int saved = errno;
        s = membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED) == 0 ? 1 : -1;
        errno = saved;
        __atomic_store_n(&state, s, __ATOMIC_RELEASE);
    }
    return s > 0;
}

void os_membarrier(void)
{
    int saved = errno;
    if (membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED) != 0) {
        membarrier_call(MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED);
        membarrier_call(MEMBARRIER_CMD_PRIVATE_EXPEDITED);
    }
    errno = saved;
}

void os_write_err(const char *buf, size_t len)
{
    while (len > 0) {
        ssize_t n = write(2, buf, len);
        if (n <= 0)
            return;
        buf += n;
        len -= (size_t)n;
    }
}

_Noreturn void os_abort(void) { abort(); }

/* os_park: wait for another thread's abort, for ever. */
_Noreturn void os_park(void)
{
    for (;;)
        pause();
}
