/* core_release: a heap on anonymous memory gives back the pages of big free
 * chunks, the pages of their cells too, and stays whole: 32,000 blocks of
 * 4,000 bytes, one in 1,000 kept, the rest freed one by one; the resident
 * set must drop, every invariant must hold, the kept blocks keep their
 * bytes, and the space is handed out again (calloc'd blocks all zero).
 * Then slz_heap_trim: free chunks of 16 KB, too small for a free to give
 * back (under the step beyond the keep zone), give back their pages beyond
 * the first when the heap is trimmed, as many as slz_heap_trimmable counted
 * before (giving nothing back itself). Then issue 21's a, c, b pattern: the
 * pages of a free chunk that grows go back once each; then big blocks
 * replaced around a level keep their pages (churn), and so do blocks all
 * freed and allocated again in rounds (rounds); the top keeps 128 KiB
 * (top_keep); a trim brings the
 * keep zone back to its least for the next free (after_trim); a short
 * chunk carved into its given-back pages moves its record (carved_short);
 * a block freed between two chunks that gave their pages back gives back
 * its own, not those of the chunk whose record the merge drops (merged); a
 * short chunk drops the record of the chunk below it took in (stale_below);
 * a chunk carved into its given-back pages raises the keep zone when a
 * block above joins it (carved_then_joined). */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "check.h"
#include "slz.h"

/* madvise: counted, then done: defined here, it is the one the core's
 * os_release calls (os.c). */
static long advised;
static size_t advised_bytes;
int madvise(void *addr, size_t len, int advice)
{
    advised++;
    advised_bytes += len;
    return (int)syscall(SYS_madvise, addr, len, advice);
}

enum { N = 32000, SIZE = 4000, KEEP = 1000 };
static char *blk[N];

/* resident_mb: this process's resident set, from /proc/self/statm. */
static long resident_mb(void)
{
    long pages = 0, rss = 0;
    FILE *f = fopen("/proc/self/statm", "r");
    if (f) {
        if (fscanf(f, "%ld %ld", &pages, &rss) != 2)
            rss = 0;
        fclose(f);
    }
    return rss * sysconf(_SC_PAGESIZE) / (1 << 20);
}

/* trimmed: 20,000 blocks of 4,000 bytes, four of every five freed (free
 * chunks of 16 KB that keep their pages), then the heap trimmed. */
enum { TN = 20000 };
static char *tb[TN];
static void trimmed(void)
{
    slz_heap *h = slz_heap_create((size_t)128 << 20);
    CHECK("a 128 MiB heap", h != NULL);
    if (!h)
        return;
    for (int i = 0; i < TN; i++)
        if ((tb[i] = slz_malloc(h, SIZE)) != NULL)
            memset(tb[i], i % 5 ? 0x5a : 0x33, SIZE);
    for (int i = 0; i < TN; i++)
        if (i % 5)
            slz_free(h, tb[i]);
    long calls = advised, before = resident_mb();
    size_t n = slz_heap_trimmable(h);
    CHECK("slz_heap_trimmable gives nothing back", advised == calls && resident_mb() == before);
    slz_heap_trim(h);
    long after = resident_mb();
    printf("resident: %ld MB before slz_heap_trim, %ld MB after; slz_heap_trimmable said %zu MB, then %zu\n",
           before, after, n >> 20, slz_heap_trimmable(h));
    CHECK("the small free chunks' pages went back at the trim", before - after > 20);
    CHECK("slz_heap_trimmable counted them (within 1 MB), and none after the trim",
          (long)(n >> 20) >= before - after - 1 && (long)(n >> 20) <= before - after + 1 && slz_heap_trimmable(h) == 0);
    int kept_ok = 1;
    for (int i = 0; i < TN; i += 5)
        for (int j = 0; j < SIZE; j++)
            kept_ok &= tb[i][j] == 0x33;
    CHECK("trimmed: the blocks keep their bytes, the heap is whole", kept_ok && slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* acb: ACB entries of three 48-byte blocks a, b, c in a row, then each
 * entry freed a, c, b (every third free merges both ways), all into one
 * free chunk that grows: its pages go back as it grows, each once (not
 * again at every free, as in issue 21): at least one madvise call, at most
 * 3 per 1,000 frees (1.8 here, where the chunk grows to 38 MB; as the
 * chunk grows, a step of 1/256 of it, up to 256 KiB: 0.77 for 1M entries,
 * tests/bench/memload.sh; 31 if the record stayed behind in its old
 * words). */
enum { ACB = 200000 };
static char *acb_blk[3 * ACB];
static void acb(void)
{
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("a 64 MiB heap", h != NULL);
    if (!h)
        return;
    int got = 0;
    for (int i = 0; i < 3 * ACB; i++)
        if ((acb_blk[i] = slz_malloc(h, 48)) != NULL)
            got++, memset(acb_blk[i], i, 48);
    CHECK("a, c, b: every block", got == 3 * ACB);
    long before = advised;
    for (int i = 0; i < ACB; i++) {
        slz_free(h, acb_blk[3 * i]);
        slz_free(h, acb_blk[3 * i + 2]);
        slz_free(h, acb_blk[3 * i + 1]);
    }
    long calls = advised - before;
    printf("a, c, b: %ld madvise calls for %d frees\n", calls, 3 * ACB);
    CHECK("a, c, b: each page given back once", calls > 0 && calls * 1000 <= 3 * 3 * ACB);
    CHECK("a, c, b: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* carved_near: a chunk carved to end just below the pages its record says
 * went back (2 granules short: its rest begins inside the record's first
 * 64 bytes, not below them) has reused none of them: its keep zone must
 * not jump to the most (16 MiB, where the granules below the record's
 * start wrapped round as a negative count), which kept the next big free
 * from giving anything back. A 8 MiB block freed (its pages go back
 * beyond the first page), carved so, a 4000-byte block above it freed
 * (the rest is weighed), then a second 8 MiB block above freed: its pages
 * go back. */
static void carved_near(void)
{
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("a 64 MiB heap", h != NULL);
    if (!h)
        return;
    size_t big = (size_t)8 << 20, pg = (size_t)sysconf(_SC_PAGESIZE);
    char *a = slz_malloc(h, big), *b = slz_malloc(h, 4000), *z = slz_malloc(h, big), *g2 = slz_malloc(h, 48);
    CHECK("carved_near: the blocks", a && b && z && g2);
    if (!(a && b && z && g2))
        return;
    memset(a, 1, big);
    memset(z, 2, big);
    slz_free(h, a);
    uintptr_t ca = (uintptr_t)a - 16, x = (ca + 4096 + pg - 1) & ~(pg - 1);
    size_t need = (x - ca) / 16 - 2;
    char *c = slz_malloc(h, need * 16 - 16);
    CHECK("carved_near: the carve takes the freed block's place", c == a);
    slz_free(h, b);
    long before = advised;
    slz_free(h, z);
    printf("carved near: %ld madvise calls for the second 8 MiB free\n", advised - before);
    CHECK("carved_near: the keep zone stays small: the second block's pages go back", advised > before);
    CHECK("carved_near: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* churn: blocks of 4..24 MiB replaced at random around a level, as
 * malloc-large does (tests/bench/workloads.c, large): after the first
 * rounds the keep zone holds what the churn frees, so its pages stay
 * resident for the next carve (the zone was halved at every dip of the
 * level and held 16 MiB at most: 385 calls for the last 300 frees here;
 * 132 with 32 MiB but halved at every dip; 96 with 32 MiB at most, merged
 * chunks beyond it; 28 now, 64 MiB at most, and 38 so but halved at every
 * dip; deterministic). Then every block freed: the level
 * falls to nothing and the pages beyond the keep zone go back, the zone
 * halved as the level falls (7 MiB stay resident; 63 MiB never halved). */
enum { CN = 12, CSTEPS = 400 };
static void churn(void)
{
    slz_heap *h = slz_heap_create((size_t)1 << 30);
    CHECK("churn: a 1 GiB heap", h != NULL);
    if (!h)
        return;
    char *set[CN] = {0};
    uint64_t r = 0x9E3779B97F4A7C15ULL;
    long before = 0;
    for (int s = 0; s < CN + CSTEPS; s++) {
        r = r * 6364136223846793005ULL + 1442695040888963407ULL;
        int k = s < CN ? s : (int)((r >> 33) % CN);
        size_t n = ((size_t)4 << 20) + (size_t)(r >> 20) % ((size_t)20 << 20);
        if (s == CN + CSTEPS / 4)
            before = advised; /* (the first rounds teach the keep zone) */
        slz_free(h, set[k]);
        if ((set[k] = slz_malloc(h, n)) != NULL)
            for (size_t o = 0; o < n; o += 1 << 20)
                set[k][o] = 1;
    }
    long calls = advised - before;
    printf("churn: %ld madvise calls for the last %d frees\n", calls, 3 * CSTEPS / 4);
    CHECK("churn: the freed pages stay for the next blocks (at most 1 madvise call per 9 frees)", calls * 9 <= 3 * CSTEPS / 4);
    CHECK("churn: the heap is whole", slz_heap_check(h, NULL) == 0);
    before = advised;
    for (int k = 0; k < CN; k++)
        slz_free(h, set[k]);
    size_t held = slz_heap_trimmable(h);
    printf("churn: %ld madvise calls for the frees of all %d blocks, %zu MiB still resident\n", advised - before, CN, held >> 20);
    CHECK("churn: once the level falls, the pages go back", advised > before);
    CHECK("churn: the keep zone halves as the level falls (at most 16 MiB stay)", held <= (size_t)16 << 20);
    slz_heap_destroy(h);
}

/* rounds: glibc's bench-malloc-simple: N blocks of 1,000 bytes allocated,
 * then all freed in order, 200 rounds each for N 25, 100, 400 and 1,600.
 * Pages go back at the same low point of every round, and the level there
 * was the same each time: a keep zone that followed that level stayed a
 * page and every round of 25 blocks gave pages back (and faulted them in
 * again): 198 madvise calls after the first 2 rounds of each N. The peak
 * since pages last went back is what the program grew into: none now.
 * slz_heap_get_stats' peak stays the peak of all time, after a trim too. */
static void rounds(void)
{
    static const int counts[] = {25, 100, 400, 1600};
    static char *p[1600];
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("rounds: a 64 MiB heap", h != NULL);
    if (!h)
        return;
    long late = 0;
    for (int c = 0; c < 4; c++)
        for (int r = 0; r < 200; r++) {
            long before = advised;
            for (int i = 0; i < counts[c]; i++)
                if ((p[i] = slz_malloc(h, 1000)) != NULL)
                    memset(p[i], r, 1000);
            for (int i = 0; i < counts[c]; i++)
                slz_free(h, p[i]);
            late += r >= 2 ? advised - before : 0;
        }
    slz_heap_trim(h); /* (pages go back: the peak since starts again) */
    struct slz_heap_stats st;
    slz_heap_get_stats(h, &st);
    printf("rounds: %ld madvise calls after the first 2 rounds of each count; peak %zu bytes in use\n", late, st.peak_in_use);
    CHECK("rounds: after its first rounds a program that frees all and allocates it again gives nothing back", late == 0);
    CHECK("rounds: the peak in use is 1,600 blocks'", st.peak_in_use >= (size_t)1600 * 1000 && st.peak_in_use < (size_t)1600 * 1100);
    CHECK("rounds: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* top_keep: the top keeps at least 128 KiB before it gives back, as
 * glibc's trim threshold: a block of 100 KB freed into it gives nothing
 * back (with the keep zone of a page, its 24 pages beyond went back), one
 * of 300 KB does. */
static void top_keep(void)
{
    slz_heap *h = slz_heap_create((size_t)16 << 20);
    CHECK("top_keep: a 16 MiB heap", h != NULL);
    if (!h)
        return;
    long calls[2];
    for (int i = 0; i < 2; i++) {
        size_t n = i ? 300000 : 100000;
        char *b = slz_malloc(h, n);
        if (b)
            memset(b, 1, n);
        long before = advised;
        slz_free(h, b);
        calls[i] = advised - before;
    }
    printf("top_keep: %ld madvise calls for the free of 100 KB into the top, %ld for 300 KB\n", calls[0], calls[1]);
    CHECK("top_keep: 100 KB freed into the top stay", calls[0] == 0);
    CHECK("top_keep: 300 KB freed into the top go back beyond 128 KiB", calls[1] > 0);
    slz_heap_destroy(h);
}

/* trimmed_churn: blocks of 1..7 MiB replaced at random (each written
 * whole), then every other one freed and the heap trimmed: the resident set
 * comes down to the live blocks and a few MiB. Under a keep zone that holds
 * whole chunks, frees into a chunk carved into its given-back pages went
 * unweighed and its record went on claiming the carved pages as given back:
 * the trim left them resident (live + 16 MiB here; with glibc's malloc_trim
 * the same program keeps live + 1.5 MiB). */
static void trimmed_churn(void)
{
    slz_heap *h = slz_heap_create((size_t)512 << 20);
    CHECK("trimmed_churn: a 512 MiB heap", h != NULL);
    if (!h)
        return;
    char *set[20] = {0};
    size_t sz[20] = {0}, live = 0;
    uint64_t r = 88172645463325252ULL;
    long base = resident_mb();
    for (int s = 0; s < 520; s++) {
        r ^= r << 13, r ^= r >> 7, r ^= r << 17;
        int k = s < 20 ? s : (int)(r % 20);
        slz_free(h, set[k]);
        sz[k] = ((size_t)1 << 20) + (size_t)(r % ((size_t)6 << 20));
        if ((set[k] = slz_malloc(h, sz[k])) != NULL)
            memset(set[k], 1, sz[k]);
    }
    for (int k = 0; k < 20; k++)
        if (k % 2)
            slz_free(h, set[k]);
        else
            live += sz[k];
    long before = resident_mb();
    slz_heap_trim(h);
    long after = resident_mb();
    printf("trimmed_churn: live %zu MB, resident %ld MB more than before, %ld MB after the trim\n", live >> 20, before - base, after - base);
    CHECK("trimmed_churn: the trim leaves the live blocks and at most 8 MiB more", after - base <= (long)(live >> 20) + 8);
    CHECK("trimmed_churn: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* after_trim: a free chunk carved into its given-back pages raises the
 * keep zone (to 8 MiB here), a trim sets it back to its least: the next
 * free of a 1 MiB block gives its pages back (settle's first test, h->quiet,
 * follows the trim; with the 8 MiB zone it gave nothing back). */
static void after_trim(void)
{
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("after_trim: a 64 MiB heap", h != NULL);
    if (!h)
        return;
    size_t big = (size_t)8 << 20, mb = (size_t)1 << 20;
    char *b = slz_malloc(h, mb), *s0 = slz_malloc(h, 48), *a = slz_malloc(h, big), *s1 = slz_malloc(h, 48);
    CHECK("after_trim: the blocks", b && s0 && a && s1);
    if (!(b && s0 && a && s1))
        return;
    memset(b, 1, mb);
    memset(a, 2, big);
    slz_free(h, a);
    char *c = slz_malloc(h, big / 2);
    CHECK("after_trim: the carve takes the freed block's place", c == a);
    memset(c, 3, big / 2);
    slz_free(h, c);
    slz_heap_trim(h);
    long before = advised;
    slz_free(h, b);
    printf("after trim: %ld madvise calls for the free of a 1 MiB block\n", advised - before);
    CHECK("after_trim: the block's pages go back", advised > before);
    CHECK("after_trim: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* carved_short: a free chunk of 4 MiB (top: the whole arena of a heap of
 * 8 MiB, the top) gives its pages back, then is carved from its low end (c1,
 * then c2 of 12,000 bytes) up to 4,400 bytes short of its end; c2 freed
 * makes a chunk too short to give a page back, whose record must begin
 * above c2 now (record_carved, on settle's short way): else it claims c2's
 * touched pages as given back, and slz_heap_trimmable (then a trim) leaves
 * them resident. */
static void carved_short(int top)
{
    slz_heap *h = slz_heap_create((size_t)(top ? 8 : 64) << 20);
    CHECK("carved_short: a heap", h != NULL);
    if (!h)
        return;
    size_t big = top ? ((size_t)8 << 20) - 16 : (size_t)4 << 20, n1 = big + 16 - 16416 - 16;
    char *a = slz_malloc(h, big), *s1 = top ? a : slz_malloc(h, 48);
    CHECK("carved_short: the blocks", a && s1);
    if (!(a && s1))
        return;
    memset(a, 1, big);
    slz_free(h, a);
    char *c1 = slz_malloc(h, n1), *c2 = slz_malloc(h, 12000);
    CHECK("carved_short: the carves take the freed block's place", c1 == a && c2 == a + n1 + 16);
    if (!(c1 == a && c2 == a + n1 + 16))
        return;
    memset(c1, 2, n1);
    memset(c2, 3, 12000);
    size_t t0 = slz_heap_trimmable(h);
    slz_free(h, c2);
    size_t t1 = slz_heap_trimmable(h);
    printf("carved short%s: trimmable %zu bytes before the free of c2, %zu after\n", top ? " (the top)" : "", t0, t1);
    CHECK("carved_short: c2's pages beyond the keep zone are trimmable", t1 >= t0 + 4096);
    CHECK("carved_short: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* stale_below: a free chunk of 4 MiB (not the top, 2 KiB above a page
 * boundary: a pad below it) gives its pages back, its record kept in the
 * cell where it ends, where the 4,000-byte block b begins; it is carved
 * from its low end up to 12 KiB short of b, and b freed: the chunk this
 * makes is too short to give a page back, and the record of the chunk it
 * took in must go (records_near's test of the chunk below). The 12 KiB
 * carved again (e1, then e2 of 2 KiB just below b's place, then e3 in it),
 * written, e1 and e2 freed: a chunk that ends in b's cell once more, with
 * e2 above the record's end (so no test of settle's short way meets it); a
 * stale record there claims e1's written pages as given back, and
 * slz_heap_trimmable (then a trim) leaves them resident. */
static void stale_below(void)
{
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("stale_below: a 64 MiB heap", h != NULL);
    if (!h)
        return;
    size_t big = (size_t)4 << 20, rest = 12288, n1 = big - rest, n2 = 2048;
    char *p = slz_malloc(h, n2 - 16), *a = slz_malloc(h, big), *b = slz_malloc(h, 4000), *s = slz_malloc(h, 48);
    CHECK("stale_below: the blocks", p && a && b && s);
    if (!(p && a && b && s))
        return;
    memset(a, 1, big);
    memset(b, 2, 4000);
    slz_free(h, a);
    char *c1 = slz_malloc(h, n1);
    memset(c1, 3, n1);
    slz_free(h, b);
    char *e1 = slz_malloc(h, rest - n2 - 16), *e2 = slz_malloc(h, n2 - 16), *e3 = slz_malloc(h, 4000);
    CHECK("stale_below: the chunk carved, then carved again", c1 == a && e1 == a + n1 + 16 && e2 == b - n2 && e3 == b);
    if (!(c1 == a && e1 == a + n1 + 16 && e2 == b - n2 && e3 == b))
        return;
    memset(e1, 4, rest - n2 - 16);
    memset(e2, 5, n2 - 16);
    size_t t0 = slz_heap_trimmable(h);
    slz_free(h, e1);
    slz_free(h, e2);
    size_t t1 = slz_heap_trimmable(h);
    printf("stale below: trimmable %zu bytes before the frees of e1 and e2, %zu after\n", t0, t1);
    CHECK("stale_below: e1's pages beyond the keep zone are trimmable", t1 >= t0 + 4096);
    CHECK("stale_below: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* carved_then_joined: a free chunk of 8 MiB gives its pages back and is
 * carved 1 MiB into them (c) once 1 MiB of small blocks below were freed
 * (so the peak in use does not rise: adapt raises nothing later), then
 * the 4,000-byte block above it is freed and joins it across cells (settle
 * moves the record, moved_up, only for a chunk not carved into): the carve
 * raises the keep zone (to about 2 MiB, part_span), so an isolated 1 MiB
 * block freed next keeps its pages. */
enum { CJ = 16384 };
static char *cj[2 * CJ];
static void carved_then_joined(void)
{
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("carved_then_joined: a 64 MiB heap", h != NULL);
    if (!h)
        return;
    size_t big = (size_t)8 << 20, mb = (size_t)1 << 20;
    int got = 1;
    for (int i = 0; i < 2 * CJ; i++)
        got &= (cj[i] = slz_malloc(h, 48)) != NULL;
    char *a = slz_malloc(h, big), *b = slz_malloc(h, 4000), *g2 = slz_malloc(h, 48);
    char *x = slz_malloc(h, mb), *s = slz_malloc(h, 48);
    CHECK("carved_then_joined: the blocks", got && a && b && g2 && x && s);
    if (!(got && a && b && g2 && x && s))
        return;
    memset(a, 1, big);
    memset(b, 2, 4000);
    memset(x, 3, mb);
    slz_free(h, a);
    for (int i = 0; i < 2 * CJ; i += 2)
        slz_free(h, cj[i]);
    char *c = slz_malloc(h, mb);
    CHECK("carved_then_joined: the carve takes the freed block's place", c == a);
    if (c)
        memset(c, 4, mb);
    slz_free(h, b);
    size_t before = advised_bytes;
    slz_free(h, x);
    printf("carved then joined: %zu KiB given back for the free of a 1 MiB block\n", (advised_bytes - before) >> 10);
    CHECK("carved_then_joined: the keep zone rose: the 1 MiB block's pages stay", advised_bytes == before);
    CHECK("carved_then_joined: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

/* merged: blocks a, m, b of 1 MiB (s keeps b from the top); a and b freed
 * give their pages back; m freed joins them into one chunk that holds one
 * record (the longer: a's): m's pages go back, and b's, given back
 * already, not again (weigh's lost). */
static void merged(void)
{
    slz_heap *h = slz_heap_create((size_t)64 << 20);
    CHECK("merged: a 64 MiB heap", h != NULL);
    if (!h)
        return;
    size_t mb = (size_t)1 << 20;
    char *a = slz_malloc(h, mb), *m = slz_malloc(h, mb), *b = slz_malloc(h, mb), *s = slz_malloc(h, 48);
    CHECK("merged: the blocks", a && m && b && s);
    if (!(a && m && b && s))
        return;
    memset(a, 1, mb);
    memset(m, 2, mb);
    memset(b, 3, mb);
    size_t before = advised_bytes;
    slz_free(h, a);
    slz_free(h, b);
    size_t ab = advised_bytes - before;
    before = advised_bytes;
    slz_free(h, m);
    size_t mbytes = advised_bytes - before;
    printf("merged: %zu KiB given back for a and b, %zu KiB for m between them\n", ab >> 10, mbytes >> 10);
    CHECK("merged: a's and b's pages went back", ab > mb);
    CHECK("merged: m's pages go back, b's not again", mbytes > mb / 2 && mbytes < mb + mb / 4);
    CHECK("merged: the heap is whole", slz_heap_check(h, NULL) == 0);
    slz_heap_destroy(h);
}

int main(void)
{
    slz_heap *h = slz_heap_create((size_t)256 << 20);
    const char *what = NULL;
    CHECK("a 256 MiB heap", h != NULL);
    if (!h)
        return CHECK_DONE();
    for (int i = 0; i < N; i++)
        if ((blk[i] = slz_malloc(h, SIZE)) != NULL)
            memset(blk[i], i % KEEP ? 0x5a : 0x33, SIZE);
    long full = resident_mb();
    for (int i = 0; i < N; i++)
        if (i % KEEP) {
            slz_free(h, blk[i]);
            blk[i] = NULL;
        }
    long after = resident_mb();
    printf("resident: %ld MB with every block, %ld MB after the frees\n", full, after);
    CHECK("the freed blocks' pages went back", full - after > 100);
    CHECK("heap whole after the frees", slz_heap_check(h, &what) == 0);
    int kept_ok = 1;
    for (int i = 0; i < N; i += KEEP)
        for (int j = 0; j < SIZE; j++)
            kept_ok &= blk[i][j] == 0x33;
    CHECK("kept blocks keep their bytes", kept_ok);
    int zero = 1, got = 0;
    for (int i = 0; i < N; i++)
        if (i % KEEP) {
            blk[i] = i % 2 ? slz_calloc(h, 1, SIZE) : slz_malloc(h, SIZE);
            got += blk[i] != NULL;
            if (blk[i] && i % 2)
                zero &= all_zero(blk[i], SIZE);
        }
    CHECK("the space is handed out again", got == N - N / KEEP);
    CHECK("calloc over given-back pages is zero", zero);
    CHECK("heap whole after the reuse", slz_heap_check(h, &what) == 0);
    if (what)
        fprintf(stderr, "first violation: %s\n", what);
    slz_heap_destroy(h);
    trimmed();
    acb();
    carved_near();
    churn();
    rounds();
    top_keep();
    trimmed_churn();
    after_trim();
    carved_short(0);
    carved_short(1);
    merged();
    stale_below();
    carved_then_joined();
    return CHECK_DONE();
}
