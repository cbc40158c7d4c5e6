/* calloc_dirty: make calloc() return memory that is not zero.
 *
 * Goal: a block returned by calloc() holds a non-zero byte (code relying
 * on calloc's zeroing then reads attacker data as its own fields).
 *
 *   calloc_dirty top     overflow the last block far into the free space
 *                        above it (the space the heap has never handed
 *                        out, which an allocator may assume still zero
 *                        from mmap; at most 2 KiB, and not past the
 *                        block's mapping), skipping the first 32 bytes after it
 *                        (a header and the first payload word, which a
 *                        careful allocator checks); then calloc(1, 1024)
 *   calloc_dirty freed   free a 1024-byte block between two live ones,
 *                        write into it after the free (again sparing its
 *                        first 16 bytes); then calloc(1, 1024), which first
 *                        fit puts back on it
 */
#include "attacks.h"

static void check_zero(const unsigned char *p, size_t n, const char *how)
{
    if (!p)
        not_reached("calloc returned NULL");
    for (size_t i = 0; i < n; i++)
        if (p[i])
            reached("%s: calloc(1, %zu) returned %p whose byte %zu is %#x", how, n, (const void *)p, i, p[i]);
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    if (IS(how, "top")) {
        char *a = opaque(malloc(100));
        char *end = a + malloc_usable_size(a);
        /* as far as 2 KiB, but not past the mapping (a guard page may follow) */
        int n = read_maps(), h = map_index(n, (uintptr_t)a);
        size_t len = 2048;
        if (h >= 0 && atk_maps[h].hi - (uintptr_t)(end + 32) < len)
            len = atk_maps[h].hi - (uintptr_t)(end + 32);
        memset(end + 32, 0xEE, len); /* the overflow from A */
        unsigned char *c = opaque(calloc(1, 1024));
        check_zero(c, 1024, "attacker bytes past the high-water mark");
        not_reached("calloc(1, 1024) returned %p, all zero (the written area was %p..%p)", (void *)c,
                    (void *)(end + 32), (void *)(end + 32 + len));
    } else if (IS(how, "freed")) {
        char *lo = opaque(malloc(100)), *b = opaque(malloc(1024)), *hi = opaque(malloc(100));
        free(b);
        memset((char *)opaque(b) + 16, 0xEE, 1024 - 16); /* use after free */
        unsigned char *c = opaque(calloc(1, 1024));
        check_zero(c, 1024, "attacker bytes in a freed block");
        opaque(lo), opaque(hi);
        not_reached("calloc(1, 1024) returned %p (the freed block was %p), all zero", (void *)c, (void *)b);
    }
    usage("calloc_dirty top | freed\n");
}
