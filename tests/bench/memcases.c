/*
 * memcases.c - the three memory cases of issue 8 (point 7), through whatever
 * malloc the process has (glibc, or the shim by LD_PRELOAD). Each prints one
 * row: NAME PEAK_KB AFTER_KB ERRORS, where PEAK_KB is the process's peak
 * resident set (VmHWM) and AFTER_KB its resident set (VmRSS) after the case
 * freed what it frees, both from /proc/self/status.
 *
 *   memcases calloc MB BLOCK ROUNDS   calloc on reused memory: each round
 *        mallocs MB megabytes in blocks of BLOCK bytes and writes one page in
 *        eight of them, frees them all, then callocs the same blocks again
 *        and again touches one page in eight (checking that it reads zero),
 *        and frees them. Memory that calloc need not zero stays untouched.
 *   memcases realloc MB STEP_MB        one block grown by realloc in steps of
 *        STEP_MB megabytes up to MB megabytes (every page written as it is
 *        added, all of them checked at the end)
 *   memcases pin COUNT SIZE EVERY      first the free small blocks of a
 *        program that has run a while (24 small blocks of 16..64 bytes
 *        allocated and freed); then COUNT blocks of SIZE bytes, written
 *        whole, with a small
 *        block allocated after every EVERY of them (and one after the last;
 *        EVERY 0: only that one); the big blocks are freed, the small ones
 *        stay: AFTER_KB is what the freed memory still holds
 *
 * ERRORS counts NULL returns and wrong contents; exit status 1 when nonzero.
 */
#define _GNU_SOURCE
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench.h"

#define PAGE 4096
static unsigned long errors;

/* ---- calloc on reused memory -------------------------------------------- */
static void case_calloc(size_t mb, size_t block, size_t rounds)
{
    size_t n = (mb << 20) / block;
    unsigned char **b = calloc(n, sizeof *b);
    if (!b) {
        errors++;
        return;
    }
    for (size_t r = 0; r < rounds; r++) {
        for (size_t i = 0; i < n; i++) {
            b[i] = malloc(block);
            if (!b[i]) {
                errors++;
                continue;
            }
            for (size_t o = 0; o < block; o += 8 * PAGE)
                b[i][o] = 0xA5;
            b[i][block - 1] = 0x5A;
        }
        for (size_t i = 0; i < n; i++)
            free(b[i]);
        for (size_t i = 0; i < n; i++) {
            b[i] = calloc(1, block);
            if (!b[i]) {
                errors++;
                continue;
            }
            for (size_t o = 0; o < block; o += 8 * PAGE) {
                if (b[i][o] != 0)
                    errors++;
                b[i][o] = 1;
            }
            if (b[i][block - 1] != 0)
                errors++;
        }
        for (size_t i = 0; i < n; i++)
            free(b[i]);
    }
    free(b);
}

/* ---- one block grown past the heap -------------------------------------- */
static void case_realloc(size_t mb, size_t step_mb)
{
    unsigned char *p = NULL;
    size_t have = 0, want = mb << 20, step = step_mb << 20;
    while (have < want) {
        size_t next = have + step < want ? have + step : want;
        unsigned char *q = realloc(p, next);
        if (!q) {
            errors++;
            break;
        }
        p = q;
        for (size_t o = have; o < next; o += PAGE)
            p[o] = (unsigned char)(o / PAGE * 7 + 1);
        have = next;
    }
    for (size_t o = 0; o < have; o += PAGE)
        if (p[o] != (unsigned char)(o / PAGE * 7 + 1)) {
            errors++;
            break;
        }
    free(p);
}

/* ---- freed blocks pinned by small ones ---------------------------------- */
#define PIN_EARLY 24
static long pinned_after;

/* pin_small: the small blocks' sizes, 16, 32, 48 and 64 bytes in turn */
static size_t pin_small(size_t i)
{
    return 16 + i % 4 * 16;
}

static void case_pin(size_t count, size_t size, size_t every)
{
    unsigned char **big = calloc(count, sizeof *big);
    /* (at least 1024 slots: bookkeeping of this program's own kept out of a
     * one-page slz heap, which the first big block is to find empty) */
    size_t nsmall = count / (every ? every : count) + 2;
    void **small = calloc(nsmall < 1024 ? 1024 : nsmall, sizeof *small);
    void *early[PIN_EARLY];
    size_t ns = 0;
    if (!big || !small) {
        errors++;
        free(big);
        free(small);
        return;
    }
    /* the free small blocks a program that has run a while has: a few
     * freed at start-up (glibc keeps them in its per-thread cache) */
    for (size_t i = 0; i < PIN_EARLY; i++)
        if (!(early[i] = malloc(pin_small(i))))
            errors++;
    for (size_t i = 0; i < PIN_EARLY; i++)
        free(early[i]);
    for (size_t i = 0; i < count; i++) {
        big[i] = malloc(size);
        if (!big[i]) {
            errors++;
            continue;
        }
        memset(big[i], (int)(i & 0xff), size);
        if ((every && (i + 1) % every == 0) || i + 1 == count) {
            small[ns] = malloc(pin_small(ns));
            if (!small[ns++])
                errors++;
        }
    }
    for (size_t i = 0; i < count; i++) {
        if (big[i] && (big[i][0] != (unsigned char)(i & 0xff) || big[i][size - 1] != (unsigned char)(i & 0xff)))
            errors++;
        free(big[i]);
    }
    pinned_after = status_kb("VmRSS:");
    for (size_t i = 0; i < ns; i++)
        free(small[i]);
    free(small);
    free(big);
}

static void usage(void)
{
    fprintf(stderr, "usage: memcases calloc MB BLOCK ROUNDS | realloc MB STEP_MB | pin COUNT SIZE EVERY\n");
    exit(2);
}

int main(int argc, char **argv)
{
    if (argc < 4)
        usage();
    size_t a = strtoull(argv[2], NULL, 10), b = strtoull(argv[3], NULL, 10);
    size_t c = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
    long after;
    if (strcmp(argv[1], "calloc") == 0 && argc == 5 && a && b >= 16 && c) {
        case_calloc(a, b, c);
        after = status_kb("VmRSS:");
    } else if (strcmp(argv[1], "realloc") == 0 && a && b) {
        case_realloc(a, b);
        after = status_kb("VmRSS:");
    } else if (strcmp(argv[1], "pin") == 0 && argc == 5 && a && b) {
        case_pin(a, b, c);
        after = pinned_after; /* with the big blocks freed, the small ones still live */
    } else {
        usage();
        return 2;
    }
    printf("%s %ld %ld %lu\n", argv[1], status_kb("VmHWM:"), after, errors);
    return errors ? 1 : 0;
}
