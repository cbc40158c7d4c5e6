/*
 * memload.c - the memory cases of issue 21 (a large heap under real load),
 * through whatever malloc the process has (glibc, or the shim by
 * LD_PRELOAD). Each prints one row: NAME SECONDS PEAK_KB AFTER_KB ERRORS:
 * the time the measured part took, the process's peak resident set (VmHWM)
 * and its resident set (VmRSS) at the end, from /proc/self/status.
 *
 *   memload acb N          N entries of three 48-byte blocks a, b, c in a
 *        row, then each entry freed a, c, b (SECONDS: the frees' CPU time)
 *   memload exit T MB [B]  T threads each build MB megabytes of small blocks
 *        (or of B-byte blocks) and free them, three times, and exit, all at
 *        once;
 *        AFTER_KB once every thread is joined
 *   memload worker MB [B]  a worker thread builds MB megabytes of small
 *        (or B-byte) blocks and exits; main frees them all, then builds MB megabytes
 *        itself and frees them (PEAK_KB: what the two took at most)
 *
 * ERRORS counts NULL returns and wrong contents; exit status 1 when nonzero.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"

static unsigned long errors;

static double clock_s(clockid_t c)
{
    struct timespec t;
    clock_gettime(c, &t);
    return (double)t.tv_sec + (double)t.tv_nsec * 1e-9;
}
static double now(void) { return clock_s(CLOCK_MONOTONIC); }
/* cpu_now: the calling thread's CPU time, user and system (madvise counts):
 * what a loaded machine's other processes do not add to */
static double cpu_now(void) { return clock_s(CLOCK_THREAD_CPUTIME_ID); }

static void row(const char *name, double secs)
{
    printf("%s %.4f %ld %ld %lu\n", name, secs, status_kb("VmHWM:"), status_kb("VmRSS:"), errors);
}

/* ---- acb ---- */
static void acb(long n)
{
    char **b = malloc((size_t)n * 3 * sizeof *b);
    if (b == NULL) {
        errors++;
        return;
    }
    for (long i = 0; i < 3 * n; i++)
        if ((b[i] = malloc(48)) != NULL)
            memset(b[i], (int)i, 48);
        else
            errors++;
    double t = cpu_now();
    for (long i = 0; i < n; i++) {
        free(b[3 * i]);
        free(b[3 * i + 2]);
        free(b[3 * i + 1]);
    }
    t = cpu_now() - t;
    free(b);
    row("acb", t);
}

/* ---- small blocks: a list of MB megabytes of 24..255-byte blocks ---- */
struct node {
    struct node *next;
    size_t n;
};
static size_t block; /* 0: small blocks of 24..255 bytes */
static struct node *build(size_t mb)
{
    struct node *head = NULL;
    size_t total = 0, k = 0;
    while (total < mb << 20) {
        size_t n = block ? block : 24 + (k++ * 37) % 232;
        struct node *e = malloc(n);
        if (e == NULL) {
            __atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
            break;
        }
        memset(e, 0x5a, n);
        e->n = n;
        e->next = head;
        head = e;
        total += n;
    }
    return head;
}
static void drop(struct node *e)
{
    while (e) {
        struct node *next = e->next;
        if (((unsigned char *)e)[e->n - 1] != 0x5a)
            __atomic_add_fetch(&errors, 1, __ATOMIC_RELAXED);
        free(e);
        e = next;
    }
}

static size_t thread_mb;
static void *build_drop(void *arg)
{
    (void)arg;
    for (int round = 0; round < 3; round++)
        drop(build(thread_mb));
    return NULL;
}
static void *build_only(void *arg)
{
    (void)arg;
    return build(thread_mb);
}

static void exits(int threads, size_t mb)
{
    pthread_t t[256];
    thread_mb = mb;
    double s = now();
    threads = threads < 256 ? threads : 256;
    for (int i = 0; i < threads; i++)
        if (pthread_create(&t[i], NULL, build_drop, NULL) != 0)
            errors++, t[i] = 0;
    for (int i = 0; i < threads; i++)
        if (t[i])
            pthread_join(t[i], NULL);
    row("exit", now() - s);
}

static void worker(size_t mb)
{
    pthread_t t;
    void *list = NULL;
    thread_mb = mb;
    double s = now();
    if (pthread_create(&t, NULL, build_only, NULL) != 0 || pthread_join(t, &list) != 0)
        errors++;
    drop(list);
    drop(build(mb));
    row("worker", now() - s);
}

int main(int argc, char **argv)
{
    if (argc >= 3 && strcmp(argv[1], "acb") == 0)
        acb(atol(argv[2]));
    else if (argc >= 4 && strcmp(argv[1], "exit") == 0)
        block = argc > 4 ? (size_t)atol(argv[4]) : 0, exits(atoi(argv[2]), (size_t)atol(argv[3]));
    else if (argc >= 3 && strcmp(argv[1], "worker") == 0)
        block = argc > 3 ? (size_t)atol(argv[3]) : 0, worker((size_t)atol(argv[2]));
    else {
        fprintf(stderr, "usage: memload acb N | exit THREADS MB [BLOCK] | worker MB [BLOCK]\n");
        return 2;
    }
    return errors != 0;
}
