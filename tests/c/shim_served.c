/* shim_served: proof that the core, not glibc, served this program's blocks.
 * Run under the shim with SLZ_HEAP_SIZE set (say 64M). Every block from
 * malloc, calloc, realloc and the aligned entry points must (1) leave glibc's
 * count of bytes handed out unchanged, and (2) lie in one anonymous mapping,
 * not glibc's [heap], at least SLZ_HEAP_SIZE bytes long; a block too big for
 * the heap must lie elsewhere. Run without the shim, it fails. */
#define _GNU_SOURCE
#include "shim_probe.h"
#include "slz_report.h" /* slz_parse_size: SLZ_HEAP_SIZE read as the shim reads it */

enum { N = 5000 };
static void *blk[N];

int main(int argc, char **argv)
{
    (void)argc;
    probe_start(argv);
    size_t heap = slz_parse_size(getenv("SLZ_HEAP_SIZE"), NULL);
    CHECK("SLZ_HEAP_SIZE is set", heap > 0);
    char who_;
    int by_glibc = 0, outside = 0, nulls = 0;
    struct mapping first = {0}, m;
    for (int i = 0; i < N; i++) {
        size_t n = (size_t)(i * 37 % 3000);
        switch (i % 6) {
        case 0: WHO(blk[i], malloc(n)); break;
        case 1: WHO(blk[i], calloc(3, n)); break;
        case 2: WHO(blk[i], realloc(NULL, n)); break;
        case 3: WHO(blk[i], aligned_alloc(256, n)); break;
        case 4: WHO(blk[i], memalign(64, n)); break;
        default: WHO(blk[i], realloc(blk[i - 1], n + 500)); blk[i - 1] = NULL;
        }
        nulls += blk[i] == NULL;
        by_glibc += who_ == 'g';
        if (!map_of(blk[i], &m) || m.name[0] || m.hi - m.lo < heap)
            outside++;
        else if (first.lo == 0)
            first = m;
        else if (m.lo != first.lo)
            outside++;
    }
    printf("%d blocks; heap mapping %#lx-%#lx (%lu bytes)\n", N, (unsigned long)first.lo, (unsigned long)first.hi,
           (unsigned long)(first.hi - first.lo));
    CHECK("every allocation succeeded", nulls == 0);
    CHECK("glibc's byte count never moved: the core served every block", by_glibc == 0);
    CHECK("every block lies in one anonymous mapping of at least the heap's size", outside == 0);
    void *huge;
    WHO(huge, malloc(heap + (1u << 20)));
    CHECK("a block bigger than the heap is glibc's and lies outside that mapping",
          who_ == 'g' && huge && ((uintptr_t)huge < first.lo || (uintptr_t)huge >= first.hi));
    free(huge);
    for (int i = 0; i < N; i++)
        free(blk[i]);
    return CHECK_DONE();
}
