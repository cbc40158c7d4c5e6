/*
 * bench.h - small helpers shared by the benchmark programs (header only).
 */
#ifndef BENCH_H
#define BENCH_H

#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "slz_report.h" /* slz_parse_size: sizes read as SLZ_HEAP_SIZE is */

/* now_ns: a monotonic clock in nanoseconds. */
static inline uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* status_kb: the value of FIELD ("VmRSS:", "VmHWM:") in /proc/self/status,
 * in kB (-1 if it cannot be read); read with read(2) so that it allocates
 * nothing. */
static inline long status_kb(const char *field)
{
    char buf[8192];
    int fd = open("/proc/self/status", O_RDONLY);
    if (fd < 0)
        return -1;
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return -1;
    buf[n] = 0;
    char *p = strstr(buf, field);
    return p ? strtol(p + strlen(field), NULL, 10) : -1;
}

/* rng: xorshift64*, deterministic per seed. */
static inline uint64_t rng_next(uint64_t *s)
{
    uint64_t x = *s;
    x ^= x >> 12;
    x ^= x << 25;
    x ^= x >> 27;
    *s = x;
    return x * 0x2545F4914F6CDD1DULL;
}

/* cmp_u64: for qsort. */
static inline int cmp_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* median_u64: sorts v[0..n) and returns its median (n >= 1). */
static inline uint64_t median_u64(uint64_t *v, size_t n)
{
    qsort(v, n, sizeof *v, cmp_u64);
    return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

#endif /* BENCH_H */
