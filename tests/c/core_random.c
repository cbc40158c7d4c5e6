/* core_random: long random sequences of malloc, calloc, realloc, free and
 * aligned allocation on the core, each result compared with first fit over
 * a heap walk, every block's content checked, slz_heap_check(HEAP, ) after every
 * step (the checks are in ops.h, shared with the fuzzer in tests/fuzz/).
 *
 *   core_random [OPS [SEED [LINES]]]   defaults: 200000 operations, seed 1
 *
 * LINES 0 makes the index use its baseline line operations (SSE2 on
 * x86-64, plain C elsewhere) even where the CPU has AVX2 (src/lines.h), so
 * that both versions are tested on one machine; by default the core picks.
 *
 * The operations run in rounds of ROUND steps, each on a fresh heap: one page
 * and 1 MiB mapped by the core (freed big chunks give their pages back), and
 * 64 KiB and 1 MiB of caller memory; a round ends by freeing every block and
 * checking that the heap is one free chunk again. On a
 * failure it prints the seed, the step and what went wrong, and exits 1.
 *
 * The core asks the kernel for its secrets and treap priorities through
 * getrandom(); this program defines getrandom() itself (the executable's
 * definition wins over the C library's), fed from the seed, and the caller
 * memory starts on a 32 MiB boundary, so that a seed replays the very same
 * steps; only where mmap() puts a core-mapped heap varies from run to run,
 * which changes the outcome of alignments above a page there. */
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/types.h>
#include <time.h>
#include "ops.h"
#include "chunk.h"

static uint64_t kernel_rng;

ssize_t getrandom(void *buf, size_t len, unsigned flags)
{
    (void)flags;
    for (size_t i = 0; i < len; i++)
        ((unsigned char *)buf)[i] = (unsigned char)ops_rand(&kernel_rng);
    return (ssize_t)len;
}

#define ROUND 100000

#define BIG_ALIGN ((size_t)32 << 20) /* the largest alignment ops.h asks for */

static const struct {
    size_t size;
    int caller; /* on caller memory, not mapped by the core */
} heaps[] = {{4096, 0}, {64 * 1024, 1}, {1024 * 1024, 0}, {1024 * 1024, 1}};
#define NHEAPS (sizeof heaps / sizeof heaps[0])

int main(int argc, char **argv)
{
    unsigned long long nops = argc > 1 ? strtoull(argv[1], NULL, 0) : 200000;
    unsigned long long seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
    int baseline = argc > 3 && atoi(argv[3]) == 0;
    struct ops_src src = {NULL, 0, 0, seed};
    kernel_rng = ~seed;
    static struct ops_state st;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    unsigned long long done = 0, served = 0, failed = 0;
    char *region = mmap(NULL, 2 * BIG_ALIGN, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (region == MAP_FAILED) {
        printf("core_random: cannot map %zu bytes of caller memory\n", 2 * BIG_ALIGN);
        return 1;
    }
    char *mem = (char *)(((uintptr_t)region + BIG_ALIGN - 1) & ~(uintptr_t)(BIG_ALIGN - 1));
    for (unsigned round = 0; done < nops; round++) {
        size_t heap = heaps[round % NHEAPS].size;
        int r = heaps[round % NHEAPS].caller ? slz_heap_initialize_with(mem, heap) : slz_heap_initialize_size(heap);
        if (r != 0) {
            printf("core_random: cannot map a heap of %zu bytes\n", heap);
            return 1;
        }
        if (baseline)
            slz_default_heap()->lines &= ~1; /* (bit 0: the line version) */
        memset(&st, 0, sizeof st);
        st.next_tag = (uint8_t)seed;
        size_t max = slz_max_request(HEAP);
        for (unsigned long long i = 0; i < ROUND && done < nops; i++, done++) {
            struct ops_op o;
            ops_decode(&src, &o, max);
            if (ops_step(&st, &o)) {
                printf("core_random: seed %llu, step %llu (round %u, heap %zu): %s %u: %s\n", seed, done, round,
                       heap, ops_kind_name[o.kind], o.slot, st.msg);
                return 1;
            }
        }
        if (ops_finish(&st)) {
            printf("core_random: seed %llu, end of round %u (heap %zu): %s\n", seed, round, heap, st.msg);
            return 1;
        }
        served += st.served;
        failed += st.failed;
        slz_heap_release();
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    printf("core_random: seed %llu: %llu operations (%llu served, %llu failed as predicted), "
           "0 violations, %.1f s\n",
           seed, done, served, failed, secs);
    return 0;
}
