/* shim_exit_keep: the pages a thread's heap keeps when the thread exits
 * (preload/heaps.c, heaps_thread_exit). Run under the shim with a 1G heap
 * (tests/threads.bats); madvise is counted here (this definition is the one
 * the shim's calls reach), only in the range of the shim's heaps (16 TiB
 * up: a thread's stack, which glibc advises at its exit, is far above).
 * A thread "leaves" 2.5 MB of 4000-byte blocks with 4 in 5 freed: free
 * chunks of about 16 KB, too small for its frees to give pages back, about
 * 1 MB of free pages that a trim gives back.
 *  1. keep: one thread leaves them and exits: its exit gives no page back,
 *     and the next thread, which takes its heap and does the same, faults in
 *     fewer than 200 pages (about 380 when the exit gave them back);
 *  2. big: a thread leaves eight times as much (about 6.5 MB of free pages)
 *     and exits: its exit gives them back (a heap keeps at most 4 MB);
 *  3. bound: 16 threads leave them and exit together: the heaps keep at most
 *     8 MB in all, so their exits give back at least 16 times an eighth of
 *     what case 2's exit gave back, less 8 MB and 64 KiB a thread.
 * Prints the counts, then exits 0 only if all three hold. */
#define _GNU_SOURCE
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>

#define AREA ((uintptr_t)1 << 44) /* where the shim puts its heaps (heaps.c) */
static long calls, bytes;        /* madvise calls and bytes in the heaps' range */

int madvise(void *addr, size_t len, int advice)
{
    if ((uintptr_t)addr >= AREA && (uintptr_t)addr < 2 * AREA) {
        __atomic_add_fetch(&calls, 1, __ATOMIC_RELAXED);
        __atomic_add_fetch(&bytes, (long)len, __ATOMIC_RELAXED);
    }
    return (int)syscall(SYS_madvise, addr, len, advice);
}

enum { BLK = 4000, NBLK = 640, THREADS = 16 };
static int outside;          /* blocks not in the heaps' range */
static long done_calls;      /* calls when the worker had freed its blocks */
static long faults;          /* page faults of the second thread of case 1 */
static pthread_barrier_t together;

/* leave: NBLK blocks of BLK bytes written, 4 in 5 freed (free chunks of
 * about 16 KB: too small for a free to give their pages back, a trim gives
 * back two or three pages of each); the 5th stay live */
static void leave(int n)
{
    char *b[8 * NBLK];
    for (int i = 0; i < n; i++) {
        b[i] = malloc(BLK);
        if (b[i] == NULL || (uintptr_t)b[i] < AREA || (uintptr_t)b[i] >= 2 * AREA) {
            outside = 1;
            continue;
        }
        memset(b[i], 0x5a, BLK);
    }
    for (int i = 0; i < n; i++)
        if (i % 5)
            free(b[i]);
}
static void *keeper(void *arg)
{
    (void)arg;
    leave(NBLK);
    done_calls = __atomic_load_n(&calls, __ATOMIC_RELAXED);
    return NULL;
}
static void *second(void *arg)
{
    struct rusage a, b;
    (void)arg;
    getrusage(RUSAGE_THREAD, &a);
    leave(NBLK);
    getrusage(RUSAGE_THREAD, &b);
    faults = b.ru_minflt - a.ru_minflt;
    done_calls = __atomic_load_n(&calls, __ATOMIC_RELAXED);
    return NULL;
}
static void *big(void *arg)
{
    (void)arg;
    leave(8 * NBLK);
    done_calls = __atomic_load_n(&calls, __ATOMIC_RELAXED);
    return NULL;
}
static void *many(void *arg)
{
    (void)arg;
    leave(NBLK);
    pthread_barrier_wait(&together); /* left: main counts from here */
    pthread_barrier_wait(&together); /* counted: exit */
    return NULL;
}

static long run(void *(*fn)(void *))
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, NULL) != 0 || pthread_join(t, NULL) != 0)
        exit(2);
    return __atomic_load_n(&calls, __ATOMIC_RELAXED) - done_calls;
}

int main(void)
{
    free(malloc(16)); /* (the main thread's own heap first) */
    long keep_exit = run(keeper);
    long second_exit = run(second);
    long b0 = __atomic_load_n(&bytes, __ATOMIC_RELAXED), big_exit = run(big);
    long big_bytes = __atomic_load_n(&bytes, __ATOMIC_RELAXED) - b0;
    pthread_t t[THREADS];
    pthread_barrier_init(&together, NULL, THREADS + 1);
    for (int i = 0; i < THREADS; i++)
        if (pthread_create(&t[i], NULL, many, NULL) != 0)
            exit(2);
    pthread_barrier_wait(&together); /* all left theirs: their frees' calls come before */
    long before = __atomic_load_n(&bytes, __ATOMIC_RELAXED);
    pthread_barrier_wait(&together); /* (then they exit: no exit's calls before the count) */
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    long given = __atomic_load_n(&bytes, __ATOMIC_RELAXED) - before;
    long least = THREADS * (big_bytes / 8) - (8L << 20) - THREADS * (64L << 10);
    printf("keep: %ld madvise calls at the exit, %ld at the next one, which faulted in %ld pages; "
           "big: %ld calls (%ld KiB) at its exit; bound: %ld KiB given back at %d exits (at least %ld)\n",
           keep_exit, second_exit, faults, big_exit, big_bytes >> 10, given >> 10, THREADS, least >> 10);
    int ok = 1;
    if (outside)
        ok = 0, printf("FAIL the blocks are not in the shim's heaps (run under the shim, 1G heap)\n");
    if (keep_exit != 0 || faults >= 200)
        ok = 0, printf("FAIL keep: the exit gave back pages the next thread faulted in again\n");
    if (big_exit == 0 || big_bytes < (5L << 20))
        ok = 0, printf("FAIL big: a heap kept more than 4 MB of free pages for the next thread\n");
    if (given < least || least <= 0)
        ok = 0, printf("FAIL bound: the heaps of exited threads keep more than 8 MB\n");
    return ok ? 0 : 1;
}
