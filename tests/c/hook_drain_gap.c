/* hook_drain_gap: the window of a drain (src/pending.h, drain_words)
 * between its reads of the pending words and the AND that clears the
 * summary bits of the words it found empty. A free by another thread whose
 * OR lands in such a word after the read, and which read the word's summary
 * bit as still set (so did not set it), must still be taken: the drain
 * reads those words again after the AND. core_drain meets that window by
 * chance only; this program is linked with the core built with a hook there
 * (SLZ_DRAIN_GAP=drain_gap, tests/tests.mk) and frees into it every time:
 *   a and b in one cell (pending word k), c in another cell under the same
 *   summary word; a freed by slz_free_deferred and drained: word k keeps its
 *   summary bit (a word found with bits does); c freed so, and drained: the
 *   drain finds word k empty and c's word not; at the hook, b is freed so.
 * After that drain b must be free: nothing in use, and a malloc of a's and
 * b's span returns a's address. Without the second read, b stays pending
 * with no summary bit over it: never taken. Usage: hook_drain_gap */
#include <stdint.h>
#include <stdio.h>
#include "check.h"
#include "slz.h"

static void *b_block;
static int gaps;

/* drain_gap: the hook, called by the drain in its window: b freed there once */
void drain_gap(slz_heap *h);
void drain_gap(slz_heap *h)
{
    if (b_block == NULL)
        return;
    gaps++;
    void *b = b_block;
    b_block = NULL;
    slz_free_deferred(h, b);
}

int main(void)
{
    slz_heap *h = slz_heap_create(1 << 20);
    CHECK("heap", h != NULL);
    if (h == NULL)
        return CHECK_DONE();
    char *a = slz_malloc(h, 48), *b = slz_malloc(h, 48);
    void *gap = slz_malloc(h, 4096); /* (c in another 1 KiB cell) */
    void *c = slz_malloc(h, 48), *guard = slz_malloc(h, 48);
    CHECK("one cell for a and b", ((uintptr_t)a ^ (uintptr_t)b) < 1024 && b > a);
    CHECK("c in another cell, under the same summary word",
          ((uintptr_t)c - (uintptr_t)a) >= 1024 && ((uintptr_t)c - (uintptr_t)a) < 64 * 1024);

    slz_free_deferred(h, a);
    slz_heap_collect(h); /* a taken; word k keeps its summary bit */
    slz_free_deferred(h, c);
    b_block = b;
    slz_heap_collect(h); /* word k found empty, c taken, b freed at the hook */
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
    return CHECK_DONE();
}
