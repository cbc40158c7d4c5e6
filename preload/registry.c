/*
 * registry.c - the live blocks glibc serves, out of band (registry.h).
 *
 * Two bits per 16-byte granule of the address space, kept apart from
 * glibc's memory: "live" (a block glibc returned begins here and the
 * program has not given it back) and "was a block" (one did once: set with
 * live, never cleared, so that giving a block back twice reads "double
 * free", and any other pointer "invalid pointer"). A granule's two bits sit
 * side by side in a 64-bit word, so adding or dropping a block is one
 * atomic OR or AND on one word, whose old value says whether the block was
 * live: no lock, no probe, no table to grow.
 *
 *   top[p >> 30]  ->  leaf: 2 bits for each granule of that 1 GiB region
 *                     (16 MiB of address space, MAP_NORESERVE: only the
 *                     pages that cover blocks are ever touched, 1/64 of
 *                     the memory they cover)
 *
 * top covers the 47-bit user address space (128 K entries, 1 MiB of bss,
 * touched where glibc has blocks). A leaf is mapped by the first block in
 * its region; the memory costs 1/64 of what glibc's blocks span.
 *
 * Ordering. A leaf is published with a compare-and-swap that releases it
 * into top (a thread that lost the race unmaps its own leaf and uses the
 * winner's); readers load top with acquire. The bits of one granule change
 * only by atomic read-modify-writes of their word, so they have one
 * modification order that every add, drop and check of that block reads
 * consistently (relaxed suffices: the registry orders nothing else). The
 * shim drops a block before it calls glibc's free or realloc on it, and
 * adds one after glibc's malloc (or realloc) returned it. glibc's arena
 * locks order a free of a block before any malloc that returns that block
 * in another thread (a thread cache returns only its own thread's frees;
 * an mmapped chunk is ordered by the kernel's munmap and mmap), so the drop
 * of p happens before the next add of p and comes first in the word's
 * modification order: the live bit is set exactly while the program holds
 * the block, and an add that finds it set is a real misuse (glibc handed
 * the block out twice: a poisoned free list), never a race. Two threads
 * freeing one block at once: one AND finds it live, the other does not and
 * reports. tests/c/registry_stress.c runs threads through this API, also
 * under ThreadSanitizer. With no lock, a fork or a signal handler can
 * interrupt nothing half-done.
 *
 * Memory. The pages of a leaf cost 1/64 of the address range glibc's
 * blocks covered, and "was a block" bits keep them. When glibc trims (the
 * shim asks it to once the bytes it holds fell to half), registry_trim
 * gives back every page of the registry that holds no live bit, losing the
 * traces there (a double free of such a block reads "invalid pointer").
 * Only while the process has a single thread: a page found empty could
 * otherwise take a bit from another thread between the look and the
 * madvise, and lose it.
 */
#define _GNU_SOURCE
#include <stddef.h>
#include <stdint.h>
#include <sys/mman.h>
#include <sys/single_threaded.h>
#include <unistd.h>

#include "registry.h"

uint64_t *registry_top[REG_TOP_N];
/* The leaves made, in order (for registry_trim: few, one a GiB of address
 * space glibc used); a leaf past the list's end is never trimmed. */
#define MADE_MAX 1024
static uint64_t *made[MADE_MAX];
static unsigned n_made;

/* registry_leaf: the leaf of p's region, mapped now unless another thread
 * did it first. */
uint64_t *__attribute__((noinline)) registry_leaf(uintptr_t p)
{
    size_t i = p >> REG_REGION_SHIFT, bytes = REG_LEAF_WORDS * sizeof(uint64_t);
    uint64_t *m = mmap(NULL, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (m == MAP_FAILED)
        return NULL;
    uint64_t *was = NULL;
    if (!__atomic_compare_exchange_n(&registry_top[i], &was, m, 0, __ATOMIC_RELEASE, __ATOMIC_ACQUIRE)) {
        munmap(m, bytes);
        return was;
    }
    unsigned k = __atomic_fetch_add(&n_made, 1, __ATOMIC_RELAXED);
    if (k < MADE_MAX)
        __atomic_store_n(&made[k], m, __ATOMIC_RELEASE);
    return m;
}

/* registry_not_live: p (its live word w, NULL if none, and bit) is no
 * live block: a double free if a block began there once. */
_Noreturn void registry_not_live(const uint64_t *w, uint64_t bit, const char *op, const void *p)
{
    int was = w != NULL && (__atomic_load_n(w + 1, __ATOMIC_RELAXED) & bit);
    slz_misuse(op, was ? "double free" : "invalid pointer", p);
}

_Noreturn void registry_twice(const char *op, const void *p)
{
    slz_misuse(op, "glibc returned a block that is still live (corrupted free list?)", p);
}

/* trim_leaf: leaf's resident pages (mincore) with no live bit given back. */
static void trim_leaf(uint64_t *leaf)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE), words = page / sizeof *leaf, pages = REG_LEAF_WORDS / words;
    unsigned char in_core[4096];
    if (pages > sizeof in_core || mincore(leaf, REG_LEAF_WORDS * sizeof *leaf, in_core) != 0)
        return;
    for (size_t i = 0; i < pages; i++) {
        if (!(in_core[i] & 1))
            continue;
        uint64_t any = 0, *w = leaf + i * words;
        for (size_t k = 0; k < words; k += 2) /* live words; the "was" words beside them */
            any |= w[k];
        if (!any)
            madvise(w, page, MADV_DONTNEED);
    }
}

void registry_trim(void)
{
    if (!__libc_single_threaded)
        return;
    unsigned n = __atomic_load_n(&n_made, __ATOMIC_RELAXED);
    for (unsigned k = 0; k < n && k < MADE_MAX; k++) {
        uint64_t *leaf = __atomic_load_n(&made[k], __ATOMIC_ACQUIRE);
        if (leaf != NULL)
            trim_leaf(leaf);
    }
}
