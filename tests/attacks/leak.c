/* leak: read the allocator's secrets out of a freshly allocated block.
 *
 * Goal: a block that malloc() has just returned holds something the program
 * never wrote there: old chunk headers, free-list or index links, canaries,
 * keys, heap or libc addresses. An attacker who can read a fresh block (an
 * uninitialised-read bug) learns them and aims the next attack with them.
 *
 * The program writes one byte pattern (0xA5) into every byte of every block
 * it owns, before freeing it. Memory the heap never handed out reads as zero.
 * So every 8-byte word of a fresh block must be either all 0xA5 or zero;
 * anything else came from the allocator. The blocks are freed and taken
 * again so as to leave every kind of metadata behind: a freed chunk reused
 * whole, freed chunks merged and carved again (the swallowed headers lie
 * inside the new block), and chunks merged back into the free space at the
 * top of the heap. Only blocks in the mapping of the program's first block
 * are checked: under the shim with the default one-page heap, a block that
 * does not fit there comes from glibc, another heap.
 *   leak            (no arguments)
 */
#include "attacks.h"

#define PAT 0xA5A5A5A5A5A5A5A5ull

static uintptr_t lo_seen = UINTPTR_MAX, hi_seen;
static uintptr_t heap_lo, heap_hi; /* the mapping of the first block */

static const char *looks_like(uint64_t w)
{
    if (w + (1ull << 30) >= lo_seen && w <= hi_seen + (1ull << 30))
        return " (a heap address)";
    if ((w << 12) + (1ull << 30) >= lo_seen && (w << 12) <= hi_seen + (1ull << 30))
        return " (a heap address shifted right by 12 bits, as glibc's safe-linking stores an empty link)";
    uintptr_t libc = (uintptr_t)stdout;
    if (w + (1ull << 32) >= libc && w <= libc + (1ull << 32))
        return " (a libc address)";
    if ((w >> 40) == 0x7f || (w >> 40) == 0x55 || (w >> 40) == 0x56)
        return " (an address)";
    return "";
}

/* fresh: malloc(n), checked to hold only the pattern or zeros, then filled
 * with the pattern. */
static char *fresh(size_t n, const char *how)
{
    char *p = opaque(malloc(n));
    if (!p)
        not_reached("malloc(%zu) failed", n);
    if ((uintptr_t)p < heap_lo || (uintptr_t)p >= heap_hi) {
        memset(p, 0xA5, malloc_usable_size(p)); /* served by another heap: not the one under test */
        return p;
    }
    if ((uintptr_t)p < lo_seen)
        lo_seen = (uintptr_t)p;
    if ((uintptr_t)p + n > hi_seen)
        hi_seen = (uintptr_t)p + n;
    for (size_t i = 0; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, p + i, 8);
        if (w != 0 && w != PAT)
            reached("%s: the fresh block %p of %zu bytes holds 0x%016llx at offset %zu, which the program never "
                    "wrote%s",
                    how, (void *)p, n, (unsigned long long)w, i, looks_like(w));
    }
    memset(p, 0xA5, malloc_usable_size(p));
    return p;
}

int main(void)
{
    static const size_t sizes[] = {40, 104, 200, 56, 296, 72, 152, 88};
    enum { N = sizeof sizes / sizeof sizes[0] };
    char *a[N];
    char *first = opaque(malloc(16)); /* which heap is under test */
    int n = read_maps(), h = map_index(n, (uintptr_t)first);
    if (h < 0)
        not_reached("cannot aim: the first block %p is in no mapping", (void *)first);
    heap_lo = atk_maps[h].lo;
    heap_hi = atk_maps[h].hi;
    for (int i = 0; i < N; i++)
        a[i] = fresh(sizes[i], "first allocation");
    char *guard = fresh(40, "first allocation");

    /* holes: each freed chunk keeps whatever the allocator leaves in it */
    free(a[1]);
    free(a[3]);
    free(a[5]);
    a[1] = fresh(104, "a freed chunk reused whole");
    a[3] = fresh(56, "a freed chunk reused whole");
    a[5] = fresh(72, "a freed chunk reused whole");

    /* merges: 1, 2 and 3 become one free chunk, carved again */
    free(a[1]);
    free(a[3]);
    free(a[2]);
    char *m1 = fresh(300, "a merged free chunk carved");
    char *m2 = fresh(48, "the rest of a merged free chunk");
    char *m3 = fresh(24, "the rest of a merged free chunk");

    /* a chunk split, then its two halves merged back and reused */
    free(a[4]);
    char *s1 = fresh(100, "a split chunk");
    char *s2 = fresh(100, "the rest of a split chunk");
    free(s1);
    free(s2);
    char *s3 = fresh(296, "a chunk split and merged back");

    /* the top: the last blocks go back to the free space above them */
    free(guard);
    free(a[7]);
    free(a[6]);
    char *t = fresh(400, "free space at the top of the heap");

    /* many small blocks freed in a row, merged into one, then reused */
    char *small[16];
    for (int i = 0; i < 16; i++)
        small[i] = fresh(24, "first allocation");
    for (int i = 0; i < 16; i += 2)
        free(small[i]);
    for (int i = 1; i < 16; i += 2)
        free(small[i]);
    for (int i = 0; i < 16; i++)
        small[i] = fresh(40, "small freed blocks merged and reused");

    opaque(m1), opaque(m2), opaque(m3), opaque(s3), opaque(t), opaque(a[0]), opaque(a[5]);
    not_reached("every fresh block held only the program's own bytes or zeros");
}
