/* core_grow: a heap made with SLZ_GROWS uses its arena a part at a time:
 * only the first page at first, more after each slz_heap_grow, never more
 * than planned; the top (or a new top, when the arena ended in a block)
 * takes what is added, and the heap checks clean throughout. */
#include <stdint.h>
#include <sys/mman.h>
#include "check.h"
#include "slz.h"

#define PLANNED (1u << 20)

int main(void)
{
    size_t foot = slz_heap_footprint(PLANNED, SLZ_GUARDED);
    char *mem = mmap(NULL, foot, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK("mapped", mem != MAP_FAILED);
    slz_heap *h = slz_heap_create_in(mem, foot, SLZ_GUARDED | SLZ_ANON | SLZ_GROWS);
    CHECK("made", h != NULL);
    CHECK("one page usable at first", slz_heap_size(h) == 4096);
    void *p[64];
    int n = 0;
    while (n < 64 && (p[n] = slz_malloc(h, 1000)) != NULL)
        n++;
    CHECK("the first page fills", n == 4 && slz_heap_check(h, NULL) == 0);
    CHECK("no growth beyond the plan", slz_heap_grow(h, 2 * PLANNED) == -1);
    CHECK("no shrinking", slz_heap_grow(h, 0) == -1);
    CHECK("whole pages only", slz_heap_grow(h, 5000) == -1);
    CHECK("the arena ended in a block: grows", slz_heap_grow(h, 3 * 4096) == 0 && slz_heap_size(h) == 3 * 4096);
    while (n < 64 && (p[n] = slz_malloc(h, 1000)) != NULL)
        n++;
    CHECK("the new pages serve", n == 12 && slz_heap_check(h, NULL) == 0);
    slz_free(h, p[n - 1]); /* the top again */
    CHECK("the top grows", slz_heap_grow(h, PLANNED) == 0 && slz_heap_check(h, NULL) == 0);
    CHECK("a big block fits now", (p[n - 1] = slz_malloc(h, PLANNED / 2)) != NULL);
    CHECK("above the old arena", (char *)p[n - 1] > (char *)p[0] + 3 * 4096 - 2048);
    for (int i = 0; i < n; i++)
        slz_free(h, p[i]);
    struct slz_heap_stats st;
    slz_heap_get_stats(h, &st);
    CHECK("everything merged back", st.free_chunks == 1 && st.in_use == 0 && slz_heap_size(h) == PLANNED &&
                                         slz_heap_check(h, NULL) == 0);
    return CHECK_DONE();
}
