/* hook_drain_gap: the windows of a drain (src/pending.h) between its reads
 * of the pending words and the AND that clears the summary bits of the words
 * it found empty: level 1 (drain_words: a word of bits, pend[0], under a
 * summary bit of pend[1]) and level 2 (pending_drain: a word of pend[1]
 * under a bit of pend[2]). A free by another thread whose mark lands in
 * such a word after the read, and which read the summary bit above it as
 * still set (so did not set it), must still be taken: the drain reads those
 * words again after the AND. core_drain meets these windows by chance only;
 * this program is linked with the core built with a hook there
 * (SLZ_DRAIN_GAP=drain_gap, tests/tests.mk) and frees into each every time.
 * Level 1:
 *   a and b in one cell (pending word k), c in another cell under the same
 *   summary word; a freed by slz_free_deferred and drained: word k keeps its
 *   summary bit (a word found with bits does); c freed so, and drained: the
 *   drain finds word k empty and c's word not; at the hook, b is freed so.
 * Level 2: the same with c under another summary word (64 KiB and more
 *   above a, the same word of pend[2]): a's summary word i1 keeps its bit in
 *   pend[2]; the second drain finds word k empty, then i1 empty, and at the
 *   hook b is freed: its mark sets i1's bit k again, and reads i1's bit in
 *   pend[2] still set.
 * After that drain b must be free: nothing in use, and a malloc of a's and
 * b's span returns a's address. Without the second read, b stays pending
 * with no summary bit over it: never taken. Usage: hook_drain_gap */
#include <stdint.h>
#include <stdio.h>
#include "check.h"
#include "slz.h"

static void *b_block;
static int b_level, gaps;

/* drain_gap: the hook, called by the drain in its windows: b freed in the
 * one of level b_level, once */
void drain_gap(slz_heap *h, int level);
void drain_gap(slz_heap *h, int level)
{
    if (b_block == NULL || level != b_level)
        return;
    gaps++;
    void *b = b_block;
    b_block = NULL;
    slz_free_deferred(h, b);
}

/* one: the scenario of level (1 or 2), c placed gap bytes above b */
static void one(int level, size_t gap_bytes)
{
    slz_heap *h = slz_heap_create(1 << 20);
    CHECK("heap", h != NULL);
    if (h == NULL)
        return;
    gaps = 0;
    char *a = slz_malloc(h, 48), *b = slz_malloc(h, 48);
    void *gap = slz_malloc(h, gap_bytes); /* (c in another 1 KiB cell, or 64) */
    char *c = slz_malloc(h, 48);
    void *guard = slz_malloc(h, 48);
    CHECK("one cell for a and b", ((uintptr_t)a ^ (uintptr_t)b) < 1024 && b > a);
    if (level == 1)
        CHECK("c in another cell, under the same summary word", c - a >= 1024 && c - a < 64 * 1024);
    else
        CHECK("c under another summary word, the same word of pend[2]", c - a >= 64 * 1024 && c - a < 4096 * 1024);

    slz_free_deferred(h, a);
    slz_heap_collect(h); /* a taken; word k keeps its summary bit (and k's, i1's) */
    slz_free_deferred(h, c);
    b_block = b;
    b_level = level;
    slz_heap_collect(h); /* word k found empty (and i1), c taken, b freed at the hook */
    CHECK("the hook ran once", gaps == 1);
    slz_heap_collect(h); /* (any later drain) */

    struct slz_heap_stats st;
    slz_heap_get_stats(h, &st);
    CHECK("a, b and c given back: two blocks live", st.live_blocks == 2);
    CHECK("frees counted", st.frees == 3);
    slz_free(h, gap);
    slz_free(h, guard);
    slz_heap_get_stats(h, &st);
    CHECK("nothing in use", st.in_use == 0 && st.live_blocks == 0);
    void *ab = slz_malloc(h, (size_t)(b - a) + 48);
    CHECK("a and b one free chunk again: first fit takes a's address", ab == (void *)a);
    const char *why = NULL;
    CHECK("the heap checks clean", slz_heap_check(h, &why) == 0);
    slz_heap_destroy(h);
}

int main(void)
{
    one(1, 4096);
    one(2, 70 * 1024);
    return CHECK_DONE();
}
