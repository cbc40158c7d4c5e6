/* core_grow: a heap made with SLZ_GROWS uses its arena a part at a time:
 * only the first page at first, more after each slz_heap_grow, never more
 * than planned; the top (or a new top, when the arena ended in a block)
 * takes what is added, and the heap checks clean throughout. A heap's
 * arena is the largest whose footprint fits the memory it is given. */
#include <stdint.h>
#include <sys/mman.h>
#include "check.h"
#include "slz.h"

#define PLANNED (1u << 20)

/* largest_arena: on the footprint of an arena and some bytes more, a heap
 * plans that arena, or one a step (page, or granule) larger when the bytes
 * more make room for it, never one whose footprint does not fit. */
static void largest_arena(void)
{
    const unsigned flags[] = {SLZ_GUARDED | SLZ_ANON | SLZ_GROWS, SLZ_GUARDED | SLZ_ANON | SLZ_GROWS | SLZ_CACHE, 0};
    const size_t arenas[] = {(size_t)1 << 20, (size_t)1 << 30, ((size_t)1 << 30) + 12345 * 4096, (size_t)3 << 26};
    const size_t more[] = {0, 4096, 7 * 4096};
    int bad = 0, n = 0;
    for (int f = 0; f < 3; f++)
        for (int a = 0; a < 4; a++)
            for (int m = 0; m < 3; m++) {
                size_t step = (flags[f] & SLZ_GUARDED) ? 4096 : 16, arena = flags[f] ? arenas[a] : arenas[a] >> 4;
                size_t bytes = slz_heap_footprint(arena, flags[f]) + more[m] + (step == 16 ? 3 * m : 0);
                char *mem = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
                slz_heap *h = mem == MAP_FAILED ? NULL : slz_heap_create_in(mem, bytes, flags[f]);
                struct slz_heap_stats st = {0};
                if (h)
                    slz_heap_get_stats(h, &st);
                n++;
                if (h == NULL || st.heap_size < arena || slz_heap_footprint(st.heap_size, flags[f]) > bytes ||
                    slz_heap_footprint(st.heap_size + step, flags[f]) <= bytes) {
                    if (bad++ == 0)
                        fprintf(stderr, "largest_arena: flags %u, %zu bytes: arena %zu (planned from %zu)\n", flags[f],
                                bytes, (size_t)st.heap_size, arena);
                }
                if (h)
                    slz_heap_destroy(h);
                if (mem != MAP_FAILED)
                    munmap(mem, bytes);
            }
    CHECK("the arena is the largest whose footprint fits", bad == 0 && n == 36);
}

int main(void)
{
    largest_arena();
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
