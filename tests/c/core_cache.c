/* core_cache: the fast mode (SLZ_CACHE) against a model of it: random
 * malloc, calloc, realloc, free, aligned allocation and flushes on heaps
 * made with the flag, every address predicted from a heap walk plus the
 * model's stacks, every block's content checked, slz_heap_check() after
 * every step.
 *
 *   core_cache [OPS [SEED]]      defaults: 100000 operations, seed 1
 *
 * The model: a free of a block whose chunk is below 2 KiB (CACHE_CLASSES
 * granules or fewer) goes on the stack of its exact chunk size, one of a
 * coarse class's size (2 KiB .. 64 KiB: 2 KiB, then eight sizes evenly
 * spaced above each power of two up to the next) on that class's stack, if
 * that stack holds fewer than cdepth blocks and the cache's bytes stay
 * within its bound (1 MiB, at most a sixteenth of the arena), and the coarse
 * classes' within an eighth of the bytes of the chunks in use (cached ones
 * too, and the block itself); otherwise, and
 * for anything else, the free is a real one. malloc, calloc and memalign
 * with an alignment of 16 or less take the top of their size's stack (a
 * chunk size above 2 KiB rounded up to its class's, as the coarse classes
 * are, above 64 KiB too, where no stack holds it), else first fit
 * over the chunks the walk shows free (cached chunks are not free) for that
 * size, and for the size unrounded when no chunk fits that. realloc to a
 * size whose stack holds a block (not the block's own size) takes it, and
 * the old block is freed as a free frees it; else it is the core's (in
 * place, or first fit and a real free of the old place). Aligned requests
 * never take from the cache. Any request the heap refuses first empties the cache
 * (every cached chunk becomes free, merged with its free neighbours) and is
 * asked again. The walk must show as cached (used 2) exactly the model's
 * blocks, and the statistics its hits, misses and cached blocks, and as
 * live blocks (and as allocations less frees) what the slots hold.
 *
 * Heaps rotate: one page and 1 MiB and 16 MiB mapped by the core
 * (slz_heap_create_flags), 64 KiB of caller memory (slz_heap_create_in). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include "slz.h"

#define SLOTS 64
#define ROUND 50000
#define HDR 16
#define MIN_CHUNK 64
#define CLASSES 127 /* cached chunk sizes: up to this many granules */
#define DEPTH 2047 /* CACHE_DEPTH: the most; a heap's is cdepth (cache.c, cache_depth) */
#define COARSE_MAX 65536 /* the coarse classes' largest chunk */
#define ROWS (CLASSES + 1 + 8 * 5 + 1) /* exact sizes, then 2 KiB and 8 per doubling to 64 KiB */
#define CACHE_BYTES (1 << 20)
#define MAX_CHUNKS (4 * SLOTS + 8)

static slz_heap *H;
static char msg[512];
#define FAIL(...) (snprintf(msg, sizeof msg, __VA_ARGS__), 1)

#ifdef CORE_CACHE_FUZZ
/* (built as a libFuzzer target, tests/fuzz/fuzz.mk: every draw takes the
 * next 8 bytes of the input while it lasts, then goes on as splitmix64) */
static const uint8_t *fz;
static size_t fzn;
#endif
static uint64_t rnd(uint64_t *s)
{
#ifdef CORE_CACHE_FUZZ
    if (fzn) {
        uint64_t v = 0;
        size_t k = fzn < 8 ? fzn : 8;
        memcpy(&v, fz, k);
        fz += k, fzn -= k;
        return v;
    }
#endif
    uint64_t x = *s += 0x9e3779b97f4a7c15ull; /* splitmix64 */
    x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
    x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
    return x ^ (x >> 31);
}

/* ---- The walk ------------------------------------------------------------ */
struct chunk {
    char *at;
    size_t size;
    int used; /* 0 free, 1 live, 2 cached */
};
static struct chunk w[MAX_CHUNKS];
static size_t nw;
static int walk_add(void *c, size_t size, int used, void *arg)
{
    (void)arg;
    if (nw == MAX_CHUNKS)
        return 1;
    w[nw++] = (struct chunk){c, size, used};
    return 0;
}
static void walk(void)
{
    nw = 0;
    slz_heap_walk(H, walk_add, NULL);
}
/* flushed: the walk as it will be once the cache empties: cached chunks
 * free, merged with free neighbours. */
static void flushed(void)
{
    size_t o = 0;
    for (size_t i = 0; i < nw; i++) {
        struct chunk c = w[i];
        if (c.used == 2)
            c.used = 0;
        if (o && c.used == 0 && w[o - 1].used == 0)
            w[o - 1].size += c.size;
        else
            w[o++] = c;
    }
    nw = o;
}

/* ---- The model of the cache ---------------------------------------------- */
static char *stack[ROWS][DEPTH];
static int count[ROWS];
static size_t cbytes, cbound, cblocks, cdepth, ccoarse;
static uint64_t hits, misses;

static void model_flush(void)
{
    memset(count, 0, sizeof count);
    cbytes = cblocks = ccoarse = 0;
}
/* class_size: the chunk size the cache gives a chunk of size bytes: itself
 * up to 2 KiB, else rounded up to an eighth of the power of two below it
 * (above 64 KiB no stack holds it: row 0). */
static size_t class_size(size_t size)
{
    size_t pow = 2048;
    if (size <= pow)
        return size;
    while (pow * 2 < size)
        pow *= 2;
    return (size + pow / 8 - 1) / (pow / 8) * (pow / 8);
}
/* row: the stack of chunks of size bytes, counted from the exact sizes up;
 * 0 (never held) for no class's size. */
static size_t row(size_t size)
{
    size_t k = CLASSES + 1;
    if (size > COARSE_MAX || class_size(size) != size)
        return 0;
    if (size / 16 <= CLASSES)
        return size / 16;
    for (size_t b = 2048; b < size; b = class_size(b + 1))
        k++;
    return k;
}
/* in_use: the bytes of the chunks the walk shows in use, cached or not. */
static size_t in_use(void)
{
    size_t b = 0;
    for (size_t i = 0; i < nw; i++)
        b += w[i].used ? w[i].size : 0;
    return b;
}
/* model_free: chunk c (a live block) freed: 1 if the cache takes it. */
static int model_free(char *c, size_t size)
{
    size_t k = row(size), coarse = k > CLASSES ? size : 0;
    if (k == 0 || count[k] == (int)cdepth || cbytes + size > cbound || (coarse && ccoarse + coarse > in_use() / 8))
        return 0;
    ccoarse += coarse;
    stack[k][count[k]++] = c;
    cbytes += size;
    cblocks++;
    return 1;
}

/* ---- First fit ------------------------------------------------------------ */
static size_t need_of(size_t n)
{
    if (n > slz_max_request(H))
        return 0;
    size_t sz = (n + HDR + 15) & ~(size_t)15;
    return sz < MIN_CHUNK ? MIN_CHUNK : sz;
}
static char *spot_in(const struct chunk *k, size_t need, size_t align)
{
    uintptr_t start = (uintptr_t)k->at;
    uintptr_t mem = (start + HDR + align - 1) & ~(uintptr_t)(align - 1);
    if (mem - HDR != start && mem - HDR - start < MIN_CHUNK)
        mem = (start + HDR + MIN_CHUNK + align - 1) & ~(uintptr_t)(align - 1);
    if (mem - HDR - start + need > k->size)
        return NULL;
    return (char *)mem;
}
/* first_fit: the payload first fit gives over the walk's free chunks, and
 * the usable bytes of the block (the rest split off when it can stand). */
static char *first_fit(size_t need, size_t align, size_t *usable)
{
    for (size_t i = 0; i < nw; i++) {
        const struct chunk *k = &w[i];
        if (k->used || k->size < need)
            continue;
        char *m = align <= 16 ? k->at + HDR : spot_in(k, need, align);
        if (m) {
            size_t avail = (size_t)(k->at + k->size - (m - HDR));
            *usable = (avail - need >= MIN_CHUNK ? need : avail) - HDR;
            return m;
        }
    }
    return NULL;
}

/* ---- Predictions ------------------------------------------------------------
 * Each returns the expected block (NULL: refused), *usable its usable size,
 * and updates the model as the call will. */
static char *predict_malloc(size_t n, size_t *usable)
{
    size_t need = need_of(n), size = need ? class_size(need) : 0, k = row(size);
    if (size && count[k]) {
        hits++;
        cbytes -= size;
        ccoarse -= k > CLASSES ? size : 0;
        cblocks--;
        *usable = size - HDR;
        return stack[k][--count[k]] + HDR;
    }
    misses++;
    char *p = size ? first_fit(size, 0, usable) : NULL;
    if (p == NULL && cblocks) {
        model_flush();
        flushed();
        p = size ? first_fit(size, 0, usable) : NULL;
    }
    if (p == NULL && need && size != need)
        p = first_fit(need, 0, usable);
    return p;
}
static char *predict_aligned(size_t align, size_t n, size_t *usable)
{
    size_t need = need_of(n);
    int impossible = need == 0 || align > slz_heap_size(H);
    char *p = impossible ? NULL : first_fit(need, align, usable);
    if (p == NULL && cblocks) {
        model_flush();
        flushed();
        p = impossible ? NULL : first_fit(need, align, usable);
    }
    return p;
}
static size_t index_of(const char *p)
{
    for (size_t i = 0; i < nw; i++)
        if (w[i].at + HDR == p)
            return i;
    return SIZE_MAX;
}
/* realloc_at: where realloc(p, n) of the live block p lands: in place when
 * its chunk or its free successor is big enough, else first fit. */
static char *realloc_at(char *p, size_t need, size_t *usable)
{
    size_t i = index_of(p);
    size_t size = w[i].size;
    if (need <= size) {
        *usable = (size - need >= MIN_CHUNK ? need : size) - HDR;
        return p;
    }
    if (i + 1 < nw && w[i + 1].used == 0 && size + w[i + 1].size >= need) {
        size_t avail = size + w[i + 1].size;
        *usable = (avail - need >= MIN_CHUNK ? need : avail) - HDR;
        return p;
    }
    return first_fit(need, 0, usable);
}
static char *predict_realloc(char *p, size_t n, size_t *usable)
{
    size_t need = need_of(n), size = need ? class_size(need) : 0, k = row(size), old = w[index_of(p)].size;
    if (k && size != old && count[k]) { /* from the cache; p freed as a free frees it */
        char *q = stack[k][--count[k]];
        hits++;
        cbytes -= size;
        cblocks--;
        ccoarse -= k > CLASSES ? size : 0;
        model_free(p - HDR, old);
        *usable = size - HDR;
        return q + HDR;
    }
    char *q = need ? realloc_at(p, need, usable) : NULL;
    if (q == NULL && cblocks) {
        model_flush();
        flushed();
        q = need ? realloc_at(p, need, usable) : NULL;
    }
    return q;
}

/* ---- Blocks ------------------------------------------------------------------ */
struct slot {
    unsigned char *p;
    size_t n;
    uint8_t tag;
};
static struct slot s[SLOTS];
static uint8_t next_tag;
static unsigned char pat(uint8_t tag, size_t i) { return (unsigned char)(tag + i * 7 + (i >> 8)); }
static int intact(unsigned i)
{
    for (size_t j = 0; s[i].p && j < s[i].n; j++)
        if (s[i].p[j] != pat(s[i].tag, j))
            return FAIL("slot %u: byte %zu of %zu at %p changed", i, j, s[i].n, (void *)s[i].p);
    return 0;
}
static void fill(unsigned i, unsigned char *p, size_t from)
{
    s[i].p = p;
    s[i].n = slz_usable_size(H, p);
    for (size_t j = from; j < s[i].n; j++)
        p[j] = pat(s[i].tag, j);
}

/* drop: free slot i's block (the model first), by free or realloc(p, 0). */
static void drop_by(unsigned i, int by_realloc)
{
    if (s[i].p == NULL)
        return;
    walk();
    size_t k = index_of((char *)s[i].p);
    model_free(w[k].at, w[k].size);
    if (by_realloc)
        slz_realloc(H, s[i].p, 0);
    else
        slz_free(H, s[i].p);
    s[i].p = NULL;
}
static void drop(unsigned i) { drop_by(i, 0); }

static size_t size_of(uint64_t *r)
{
    uint64_t v = rnd(r);
    static const size_t few[] = {1, 24, 40, 100, 200, 500, 1000, 2000, 2016, 2017};
    switch (v % 32) {
    case 0: return v >> 60;                              /* 0..15 */
    case 1: case 2: case 3: case 4: case 5: case 6:
        return (v >> 8) % 2100;                          /* the exact stacks' sizes, and just above */
    case 7: case 8: return (v >> 8) % 70000;             /* the coarse classes', and just above */
    case 25: case 26: case 27: return (v >> 8) % (slz_heap_size(H) / 8 + 1);
    case 28: if ((v >> 40) % 8 == 0) return (v >> 8) % (slz_heap_size(H) + 1);
        __attribute__((fallthrough));
    case 29: if ((v >> 40) % 8 == 1) return slz_max_request(H) + (v >> 60); /* refused */
        __attribute__((fallthrough));
    case 30: case 31: return (v >> 8) % 64;
    default: return few[(v >> 8) % 10];                  /* a few sizes again and again */
    }
}

static int expect(const char *what, void *got, int e, void *want, size_t usable)
{
    if (got != want)
        return FAIL("%s gave %p, the model says %p", what, got, want);
    if (got == NULL && e != ENOMEM)
        return FAIL("%s failed with errno %d", what, e);
    if (got && slz_usable_size(H, got) != usable)
        return FAIL("%s: %p holds %zu bytes, the model says %zu", what, got, slz_usable_size(H, got), usable);
    return 0;
}

/* ---- One step ------------------------------------------------------------------ */
static int step(uint64_t *r)
{
    unsigned i = (unsigned)(rnd(r) % SLOTS), op = (unsigned)(rnd(r) % 400) / 20;
    op = op == 19 && rnd(r) % 8 ? 0 : op; /* a flush now and then */
    size_t n = size_of(r), usable = 0;
    char *want;
    void *got;
    if (intact(i))
        return 1;
    if (op < 7) { /* free, then malloc or calloc */
        drop(i);
        walk();
        int zero = op == 6;
        want = predict_malloc(n, &usable);
        errno = 0;
        got = zero ? slz_calloc(H, 1, n) : slz_malloc(H, n);
        if (expect(zero ? "calloc" : "malloc", got, errno, want, usable))
            return 1;
        for (size_t j = 0; zero && got && j < n; j++)
            if (((unsigned char *)got)[j])
                return FAIL("calloc(1, %zu) = %p: byte %zu is not zero", n, got, j);
        if (got) {
            s[i].tag = next_tag++;
            fill(i, got, 0);
        }
    } else if (op < 12) {
        drop(i);
    } else if (op < 16) { /* realloc: of NULL, to 0, or to n */
        if (s[i].p == NULL || op == 12) {
            drop(i);
            walk();
            want = predict_malloc(n, &usable);
            errno = 0;
            got = slz_realloc(H, NULL, n);
            if (expect("realloc(NULL)", got, errno, want, usable))
                return 1;
            if (got) {
                s[i].tag = next_tag++;
                fill(i, got, 0);
            }
        } else if (n == 0) {
            drop_by(i, 1);
        } else {
            walk();
            char *p = (char *)s[i].p;
            want = predict_realloc(p, n, &usable);
            errno = 0;
            got = slz_realloc(H, p, n);
            if (expect("realloc", got, errno, want, usable))
                return 1;
            if (got) {
                size_t kept = s[i].n < n ? s[i].n : n;
                s[i].n = kept;
                s[i].p = got;
                if (intact(i))
                    return 1;
                fill(i, got, kept);
            }
        }
    } else if (op < 19) { /* aligned */
        size_t align = (size_t)1 << (rnd(r) % 14);
        drop(i);
        walk();
        want = align <= 16 ? predict_malloc(n, &usable) : predict_aligned(align, n, &usable);
        errno = 0;
        got = slz_memalign(H, align, n);
        if (expect("memalign", got, errno, want, usable))
            return 1;
        if (got) {
            s[i].tag = next_tag++;
            fill(i, got, 0);
        }
    } else {
        slz_heap_flush(H);
        model_flush();
    }
    return 0;
}

/* agree: the walk shows the model's cached blocks, the statistics its
 * counters, and the heap checks clean. */
static int agree(void)
{
    const char *what = NULL;
    size_t bad = slz_heap_check(H, &what);
    if (bad)
        return FAIL("heap check: %zu violations, first: %s", bad, what ? what : "?");
    walk();
    size_t shown = 0;
    for (size_t i = 0; i < nw; i++) {
        if (w[i].used != 2)
            continue;
        shown++;
        size_t k = row(w[i].size);
        int found = 0;
        for (int j = 0; j < count[k]; j++)
            found |= stack[k][j] == w[i].at;
        if (!found)
            return FAIL("the walk shows %p (%zu bytes) cached; the model does not hold it", (void *)w[i].at,
                        w[i].size);
    }
    struct slz_heap_stats st;
    slz_heap_get_stats(H, &st);
    if (shown != cblocks || st.cached_blocks != cblocks || st.cached_bytes != cbytes)
        return FAIL("cached blocks: walk %zu, stats %zu (%zu bytes), model %zu (%zu bytes)", shown, st.cached_blocks,
                    st.cached_bytes, cblocks, cbytes);
    size_t live = 0;
    for (unsigned i = 0; i < SLOTS; i++)
        live += s[i].p != NULL;
    if (st.live_blocks != live || st.mallocs - st.frees != live)
        return FAIL("live blocks: stats %zu (%llu allocations, %llu frees), the slots hold %zu", st.live_blocks,
                    (unsigned long long)st.mallocs, (unsigned long long)st.frees, live);
    if (st.cache_hits != hits || st.cache_misses != misses)
        return FAIL("cache hits/misses: stats %llu/%llu, model %llu/%llu", (unsigned long long)st.cache_hits,
                    (unsigned long long)st.cache_misses, (unsigned long long)hits, (unsigned long long)misses);
    return 0;
}

static const struct {
    size_t size;
    int caller;
} heaps[] = {{4096, 0}, {64 * 1024, 1}, {1 << 20, 0}, {16 << 20, 0}};
#define NHEAPS (sizeof heaps / sizeof heaps[0])

/* one_round: a heap of heaps[h] made with SLZ_CACHE, steps random steps
 * checked against the model (from *r), then everything freed and flushed:
 * the heap one free chunk again. 0 when all agreed; else msg says what. */
static unsigned long long total_hits, total_misses;
static int one_round(unsigned h, unsigned long long steps, uint64_t *r, unsigned long long *done)
{
    static char mem[64 * 1024 + 4096] __attribute__((aligned(64)));
    size_t hs = heaps[h].size;
    H = heaps[h].caller ? slz_heap_create_in(mem, sizeof mem, SLZ_CACHE) : slz_heap_create_flags(hs, SLZ_CACHE);
    if (H == NULL)
        return FAIL("cannot make a heap of %zu bytes", hs);
    size_t sixteenth = slz_heap_size(H) / 16;
    cbound = sixteenth < CACHE_BYTES ? sixteenth : CACHE_BYTES;
    /* a stack of 64-byte chunks holds an eighth of the bound (that of
     * the arena in whole 1 KiB cells), 31 to 2047 blocks, 3 modulo 4 */
    size_t cells64 = (slz_heap_size(H) / 16 + 63) / 64 * 64;
    cdepth = ((cells64 < CACHE_BYTES ? cells64 : CACHE_BYTES) / 512) | 3;
    cdepth = cdepth < 31 ? 31 : cdepth > DEPTH ? DEPTH : cdepth;
    model_flush();
    hits = misses = 0;
    memset(s, 0, sizeof s);
    for (unsigned long long k = 0; k < steps; k++, ++*done)
        if (step(r) || agree())
            return 1;
    for (unsigned i = 0; i < SLOTS; i++)
        if (intact(i) || (drop(i), 0))
            break;
    slz_heap_flush(H);
    model_flush();
    struct slz_heap_stats st;
    slz_heap_get_stats(H, &st);
    if (*msg || agree() || st.live_blocks || st.free_chunks != 1) {
        if (!*msg)
            (void)FAIL("end of round: heap not one free chunk (%zu live blocks, %zu free chunks)", st.live_blocks,
                 st.free_chunks);
        return 1;
    }
    total_hits += hits;
    total_misses += misses;
    if (getenv("CORE_CACHE_VERBOSE"))
        printf("heap %zu: %llu hits %llu misses\n", hs, (unsigned long long)hits, (unsigned long long)misses);
    slz_heap_destroy(H);
    return 0;
}

#ifdef CORE_CACHE_FUZZ
/* the fuzzer's entry: the first byte picks the heap, the rest drives the
 * steps (8 bytes a draw, a step about four draws) */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
    if (len < 1)
        return 0;
    unsigned long long done = 0;
    uint64_t r = len;
    fz = data + 1, fzn = len - 1;
    if (one_round(data[0] % NHEAPS, fzn / 32 + 1, &r, &done)) {
        fprintf(stderr, "fuzz_cache: step %llu: %s\n", done, msg);
        abort();
    }
    return 0;
}
#else
int main(int argc, char **argv)
{
    unsigned long long nops = argc > 1 ? strtoull(argv[1], NULL, 0) : 100000;
    unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    uint64_t r = seed;
    unsigned long long done = 0;
    for (unsigned round = 0; done < nops; round++) {
        unsigned long long steps = nops - done < ROUND ? nops - done : ROUND;
        if (one_round(round % NHEAPS, steps, &r, &done)) {
            printf("core_cache: seed %llu, step %llu (round %u, heap %zu): %s\n", seed, done, round,
                   heaps[round % NHEAPS].size, msg);
            return 1;
        }
    }
    printf("core_cache: seed %llu: %llu operations, %llu cache hits, %llu misses, all predicted, 0 violations\n",
           seed, done, total_hits, total_misses);
    return 0;
}
#endif
