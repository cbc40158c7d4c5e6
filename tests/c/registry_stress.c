/*
 * registry_stress.c - the registry of glibc's blocks (preload/registry.c)
 * through its API, from many threads at once; tests/registry.bats runs it
 * plain and under ThreadSanitizer (build/tsan/registry_stress).
 *
 *   words    THREADS threads own interleaved granules, so that every word
 *            of bits is shared by all of them: each adds, checks and drops
 *            its own over and over; any lost update of a neighbour's bit
 *            shows as a wrong state or a report
 *   race     each round one live block is dropped by two threads at once:
 *            exactly one of them is told "double free"
 *   leaves   each round the threads register blocks in a region no leaf
 *            covers yet, all at once (the leaf is made once, the losers'
 *            copies unmapped); every block is then live
 *   twice    a live block added again is reported as a poisoned list
 *   trim     (run first, while the process has one thread) 100,000 blocks
 *            over 256 MB added (4 MiB of the registry's pages), all but one
 *            dropped: registry_trim gives the pages back, the live one
 *            stays live
 * Addresses are never dereferenced: they are numbers to the registry.
 * Prints "ok <case>" and exits 0, or names the first failure and exits 1.
 */
#define _GNU_SOURCE
#include <pthread.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.c"

#define THREADS 4
#define ROUNDS 2000

/* The misuse reporter, for the test: counts the report and jumps back to
 * the thread's recovery point (the registry's state is whole when it
 * reports: its last change was one atomic instruction). */
static __thread jmp_buf *recover;
static __thread const char *reported;
_Noreturn void slz_misuse(const char *op, const char *what, const void *ptr)
{
    (void)op, (void)ptr;
    reported = what;
    if (recover == NULL) {
        fprintf(stderr, "unexpected report: %s(): %s (%p)\n", op, what, ptr);
        abort();
    }
    longjmp(*recover, 1);
}

static int fail(const char *why, uintptr_t p)
{
    fprintf(stderr, "FAIL: %s (%#lx)\n", why, (unsigned long)p);
    exit(1);
}

/* ---- words ---------------------------------------------------------------- */

#define BASE ((uintptr_t)0x7f0000000000)
#define PER 256 /* granules each thread owns */

static void *words_thread(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (int r = 0; r < ROUNDS; r++) {
        for (uintptr_t k = 0; k < PER; k++) {
            const void *p = (const void *)(BASE + ((k * THREADS + t) << 4));
            if (registry_add(p, "malloc") < 0)
                fail("add refused", (uintptr_t)p);
        }
        for (uintptr_t k = 0; k < PER; k++) {
            const void *p = (const void *)(BASE + ((k * THREADS + t) << 4));
            if (!registry_live(p))
                fail("a block just added is not live", (uintptr_t)p);
            registry_check(p, "malloc_usable_size");
            registry_drop(p, "free");
            if (registry_live(p))
                fail("a block just dropped is live", (uintptr_t)p);
        }
    }
    return NULL;
}

/* ---- race ----------------------------------------------------------------- */

static pthread_barrier_t bar;
static const void *contested;
static int reports[2];

static void *race_thread(void *arg)
{
    int me = (int)(uintptr_t)arg;
    jmp_buf jb;
    recover = &jb;
    for (int r = 0; r < ROUNDS; r++) {
        pthread_barrier_wait(&bar); /* main added the block */
        if (setjmp(jb) == 0)
            registry_drop(contested, "free");
        else if (strcmp(reported, "double free") != 0)
            fail(reported, (uintptr_t)contested);
        else
            reports[me]++;
        pthread_barrier_wait(&bar); /* both done */
    }
    recover = NULL;
    return NULL;
}

static void race(void)
{
    pthread_t t[2];
    pthread_barrier_init(&bar, NULL, 3);
    for (uintptr_t i = 0; i < 2; i++)
        pthread_create(&t[i], NULL, race_thread, (void *)i);
    for (int r = 0; r < ROUNDS; r++) {
        contested = (const void *)(BASE + ((uintptr_t)(r % 64) << 4));
        registry_add(contested, "malloc");
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
    }
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (reports[0] + reports[1] != ROUNDS)
        fail("two racing drops of one block: not exactly one report each round", (uintptr_t)(reports[0] + reports[1]));
}

/* ---- leaves --------------------------------------------------------------- */

static uintptr_t region;

static void *leaves_thread(void *arg)
{
    uintptr_t t = (uintptr_t)arg;
    for (int r = 0; r < 64; r++) {
        pthread_barrier_wait(&bar);
        uintptr_t p = __atomic_load_n(&region, __ATOMIC_RELAXED) + (t << 4);
        if (registry_add((const void *)p, "malloc") != 1) /* nothing began there before */
            fail("a block in a new region not taken as new", p);
        pthread_barrier_wait(&bar);
    }
    return NULL;
}

static void leaves(void)
{
    pthread_t t[THREADS];
    pthread_barrier_destroy(&bar);
    pthread_barrier_init(&bar, NULL, THREADS + 1);
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, leaves_thread, (void *)i);
    for (int r = 0; r < 64; r++) {
        __atomic_store_n(&region, (uintptr_t)0x100000000000 + ((uintptr_t)r << REG_REGION_SHIFT), __ATOMIC_RELAXED);
        pthread_barrier_wait(&bar);
        pthread_barrier_wait(&bar);
        for (uintptr_t i = 0; i < THREADS; i++)
            if (!registry_live((const void *)(region + (i << 4))))
                fail("a block added in a new region is not live", region + (i << 4));
    }
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
}

/* ---- twice ---------------------------------------------------------------- */

static void twice(void)
{
    const void *p = (const void *)(BASE + 0x10000);
    jmp_buf jb;
    recover = &jb;
    registry_add(p, "malloc");
    if (setjmp(jb) == 0) {
        registry_add(p, "malloc");
        fail("a live block added again was not reported", (uintptr_t)p);
    }
    if (strstr(reported, "still live") == NULL)
        fail(reported, (uintptr_t)p);
    if (setjmp(jb) == 0) {
        registry_drop((const void *)(BASE + 0x20000), "free");
        fail("a block never added was dropped", (uintptr_t)p);
    }
    if (strcmp(reported, "invalid pointer") != 0)
        fail(reported, (uintptr_t)p);
    recover = NULL;
}

/* resident_kb: this process's resident memory (VmRSS), KiB. */
static long resident_kb(void)
{
    char buf[4096];
    FILE *f = fopen("/proc/self/status", "r");
    long kb = -1;
    while (f && fgets(buf, sizeof buf, f))
        if (sscanf(buf, "VmRSS: %ld", &kb) == 1)
            break;
    if (f)
        fclose(f);
    return kb;
}

static void trim(void)
{
    uintptr_t base = (uintptr_t)0x200000000000, keep = base + (5000 << 12);
    long before = resident_kb();
    for (uintptr_t k = 0; k < 100000; k++)
        registry_add((const void *)(base + (k << 12)), "malloc");
    long full = resident_kb();
    for (uintptr_t k = 0; k < 100000; k++)
        if (base + (k << 12) != keep)
            registry_drop((const void *)(base + (k << 12)), "free");
    registry_trim();
    long after = resident_kb();
    if (!registry_live((const void *)keep))
        fail("the live block was lost by the trim", keep);
    if (registry_live((const void *)base))
        fail("a dropped block is live after the trim", base);
#ifndef __SANITIZE_THREAD__ /* (ThreadSanitizer's own mappings blur VmRSS) */
    if (full - before < 3000 || after - before > 512)
        fail("the registry's pages did not go back (KiB before, full, after)", (uintptr_t)((before << 40) | (full << 20) | after));
#else
    (void)before, (void)full, (void)after;
#endif
}

int main(void)
{
    pthread_t t[THREADS];
    trim();
    printf("ok trim\n");
    for (uintptr_t i = 0; i < THREADS; i++)
        pthread_create(&t[i], NULL, words_thread, (void *)i);
    for (int i = 0; i < THREADS; i++)
        pthread_join(t[i], NULL);
    printf("ok words\n");
    race();
    printf("ok race (%d and %d reports)\n", reports[0], reports[1]);
    leaves();
    printf("ok leaves\n");
    twice();
    printf("ok twice\n");
    return 0;
}
