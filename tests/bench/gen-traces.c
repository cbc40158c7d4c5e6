/*
 * gen-traces.c - writes the benchmark's own malloc-lab traces, the same
 * every time (fixed seeds, a PRNG of our own), so that `make bench` replays
 * traces from a fresh clone without the CS:APP files.
 *
 *   gen-traces DIR      writes DIR/NAME.rep for every family below
 *
 * Format: the classic CS:APP header (suggested heap size, here the peak live
 * payload; number of ids; number of operations; weight 1), then "a ID SIZE",
 * "r ID SIZE", "f ID"; every block is freed by the end (balanced, like the
 * *-bal traces). See scripts/rep.h for the format.
 *
 * The families follow the kinds of trace in the classic set distributed with
 * the Malloc Lab of Bryant and O'Hallaron's "Computer Systems: A Programmer's
 * Perspective" (binary, coalescing, random, realloc and the traces recorded
 * from real programs) and, for short strings and growing arrays, the
 * synthetic traces of the 64-bit set used by CMU 15-213 (syn-string,
 * syn-array). They model the pattern of each kind, written from its
 * description (sizes and the order of operations); no trace file is copied
 * and no operation sequence is taken from one:
 *
 *   binary      small and large blocks alternate (64 and 448 bytes); the
 *               large ones are freed, then blocks a little larger (512) are
 *               asked for: the holes fit none of them (fragmentation)
 *   binary2     the same with 16 / 112 -> 128 bytes
 *   coalescing  two neighbours of 4095 bytes freed, then one block of their
 *               joint size (8190): served from the merged hole only if
 *               free chunks coalesce
 *   random      allocations of uniform random size (1 .. 32 KiB) and frees of
 *               random live blocks, in random order
 *   random2     the same with sizes skewed towards small ones
 *   realloc     one block grows by 128 bytes per step while a short-lived
 *               128-byte block is allocated and freed beside it each time
 *   realloc2    the same from 4092 bytes, growing by 5, neighbours of 16
 *   program     a compiler-like program (the shape of the recorded traces):
 *               phases that allocate small objects, some fixed-size buffers
 *               (1008, 2040, 4072 bytes) and a few large tables, then free
 *               most of them newest first; a tenth lives on to the end
 *   program2    the same with longer phases and another seed
 *   string      short strings (1 .. 100 bytes), appended to by realloc of a
 *               few bytes, freed at random
 *   array       dynamic arrays doubling their capacity by realloc, interleaved
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* ---- A trace under construction ----------------------------------------- */

#define MAXOPS 200000
#define MAXIDS 100000

static struct op {
    char k;
    int id;
    unsigned long size;
} ops[MAXOPS];
static int nops, nids;
static unsigned long sizes[MAXIDS], live_bytes, peak;
static int live[MAXIDS], nlive, where[MAXIDS]; /* live ids, and each one's place */

static void reset(void) { nops = nids = nlive = 0, live_bytes = peak = 0; }

static int alloc(unsigned long n)
{
    int id = nids++;
    ops[nops++] = (struct op){'a', id, n};
    sizes[id] = n;
    where[id] = nlive;
    live[nlive++] = id;
    live_bytes += n;
    peak = live_bytes > peak ? live_bytes : peak;
    return id;
}

static void resize(int id, unsigned long n)
{
    ops[nops++] = (struct op){'r', id, n};
    live_bytes += n - sizes[id];
    sizes[id] = n;
    peak = live_bytes > peak ? live_bytes : peak;
}

static void release(int id)
{
    ops[nops++] = (struct op){'f', id, 0};
    live_bytes -= sizes[id];
    int last = live[--nlive];
    live[where[id]] = last;
    where[last] = where[id];
    where[id] = -1;
}

static void release_all(void)
{
    while (nlive > 0)
        release(live[0]);
}

static int write_trace(const char *dir, const char *name)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s.rep", dir, name);
    FILE *f = fopen(path, "w");
    if (f == NULL) {
        fprintf(stderr, "gen-traces: %s: %s\n", path, strerror(errno));
        return -1;
    }
    fprintf(f, "%lu\n%d\n%d\n1\n", peak, nids, nops);
    for (int i = 0; i < nops; i++)
        if (ops[i].k == 'f')
            fprintf(f, "f %d\n", ops[i].id);
        else
            fprintf(f, "%c %d %lu\n", ops[i].k, ops[i].id, ops[i].size);
    return fclose(f) == 0 ? 0 : -1;
}

/* ---- A PRNG of our own (splitmix64): the same numbers everywhere ------- */

static uint64_t rng;
static uint64_t next(void)
{
    uint64_t z = (rng += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}
static unsigned long below(unsigned long n) { return (unsigned long)(next() % n); }
static double unit(void) { return (double)(next() >> 11) / 9007199254740992.0; }

/* ---- The families ------------------------------------------------------- */

static void binary(int pairs, unsigned long small, unsigned long large, unsigned long later)
{
    static int big[MAXIDS];
    for (int i = 0; i < pairs; i++) {
        alloc(small);
        big[i] = alloc(large);
    }
    for (int i = 0; i < pairs; i++)
        release(big[i]);
    for (int i = 0; i < pairs; i++)
        alloc(later);
    release_all();
}

static void coalescing(int rounds, unsigned long n)
{
    for (int i = 0; i < rounds; i++) {
        int a = alloc(n), b = alloc(n);
        release(a);
        release(b);
        release(alloc(2 * n));
    }
}

static void random_family(int allocs, unsigned long max, int skew)
{
    int made = 0;
    while (made < allocs || nlive > 0) {
        if (made < allocs && (nlive == 0 || unit() < 0.5)) {
            double u = unit();
            alloc(1 + (unsigned long)((skew ? u * u : u) * (double)(max - 1)));
            made++;
        } else {
            release(live[below((unsigned long)nlive)]);
        }
    }
}

static void realloc_family(int steps, unsigned long start, unsigned long grow, unsigned long small)
{
    int a = alloc(start), prev = -1;
    unsigned long n = start;
    for (int i = 0; i < steps; i++) {
        int s = alloc(small);
        if (prev >= 0)
            release(prev);
        resize(a, n += grow);
        prev = s;
    }
    release_all();
}

static unsigned long program_size(void)
{
    static const unsigned long buffers[] = {1008, 2040, 4072};
    double u = unit();
    if (u < 0.45)
        return 8 + below(93); /* small objects: nodes, names */
    if (u < 0.70)
        return 100 + below(900);
    if (u < 0.95)
        return buffers[below(3)];
    return 5000 + below(16600); /* a large table now and then */
}

static void program(int phases, int per_phase)
{
    static int mine[MAXIDS];
    for (int p = 0; p < phases; p++) {
        int n = per_phase / 2 + (int)below((unsigned long)per_phase);
        for (int i = 0; i < n; i++)
            mine[i] = alloc(program_size());
        for (int i = n - 1; i >= 0; i--) /* newest first; a tenth lives on */
            if (below(10) != 0)
                release(mine[i]);
    }
    release_all();
}

static void string_family(int steps)
{
    for (int i = 0; i < steps; i++) {
        double u = unit();
        if (nlive == 0 || u < 0.45)
            alloc(1 + below(100));
        else if (u < 0.75) {
            int id = live[below((unsigned long)nlive)];
            resize(id, sizes[id] + 1 + below(16));
        } else
            release(live[below((unsigned long)nlive)]);
    }
    release_all();
}

static void array_family(int arrays, unsigned long top)
{
    static int id[1000];
    static unsigned long cap[1000];
    int growing = arrays;
    for (int i = 0; i < arrays; i++) {
        cap[i] = (8 + 8 * below(3)) * (1 + below(4)); /* element size times a first capacity */
        id[i] = alloc(cap[i]);
    }
    while (growing > 0) {
        int i = (int)below((unsigned long)arrays);
        if (cap[i] == 0)
            continue;
        if (cap[i] * 2 > top) {
            release(id[i]);
            cap[i] = 0;
            growing--;
            continue;
        }
        resize(id[i], cap[i] *= 2);
        if (below(4) == 0) /* some scratch work in between */
            release(alloc(16 + below(240)));
    }
}

struct family {
    const char *name;
    void (*make)(void);
    uint64_t seed;
};
static void f_binary(void) { binary(2000, 64, 448, 512); }
static void f_binary2(void) { binary(4000, 16, 112, 128); }
static void f_coalescing(void) { coalescing(2400, 4095); }
static void f_random(void) { random_family(2400, 32768, 0); }
static void f_random2(void) { random_family(2400, 32768, 1); }
static void f_realloc(void) { realloc_family(4800, 512, 128, 128); }
static void f_realloc2(void) { realloc_family(4800, 4092, 5, 16); }
static void f_program(void) { program(60, 50); }
static void f_program2(void) { program(30, 200); }
static void f_string(void) { string_family(12000); }
static void f_array(void) { array_family(100, 256 << 10); }

static const struct family families[] = {
    {"binary", f_binary, 1},   {"binary2", f_binary2, 2},   {"coalescing", f_coalescing, 3},
    {"random", f_random, 4},   {"random2", f_random2, 5},   {"realloc", f_realloc, 6},
    {"realloc2", f_realloc2, 7}, {"program", f_program, 8}, {"program2", f_program2, 9},
    {"string", f_string, 10},  {"array", f_array, 11},
};

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: gen-traces DIR\n");
        return 2;
    }
    if (mkdir(argv[1], 0777) != 0 && errno != EEXIST) {
        fprintf(stderr, "gen-traces: %s: %s\n", argv[1], strerror(errno));
        return 1;
    }
    for (size_t i = 0; i < sizeof families / sizeof families[0]; i++) {
        reset();
        rng = families[i].seed;
        families[i].make();
        char name[64];
        snprintf(name, sizeof name, "gen-%s", families[i].name);
        if (write_trace(argv[1], name) != 0)
            return 1;
    }
    return 0;
}
