/*
 * registry.h - the blocks glibc serves, known out of band (registry.c).
 *
 * Every block the shim hands out from glibc's allocator is registered when
 * glibc returns it and dropped when the program gives it back, before glibc
 * sees it again. A free, realloc or malloc_usable_size of a pointer that is
 * not registered is reported (slz_misuse): "double free" when a block began
 * there once, else "invalid pointer", whatever memory it points into. A
 * block that glibc returns while it is still registered (a poisoned free
 * list) is reported too. The registry lives in memory the shim maps
 * itself; it never calls malloc. The fast paths are inline here: a bit set
 * or cleared with one atomic instruction (registry.c says why that is
 * enough).
 */
#ifndef SLZ_REGISTRY_H
#define SLZ_REGISTRY_H

#include <stddef.h>
#include <stdint.h>

/* the one misuse reporter (src/heap.c): "slzmalloc: op(): what (ptr)", abort */
_Noreturn void slz_misuse(const char *op, const char *what, const void *ptr);

#define REG_REGION_SHIFT 30                                  /* a leaf covers 1 GiB */
#define REG_TOP_N ((size_t)1 << (47 - REG_REGION_SHIFT))     /* the user address space */
#define REG_LEAF_WORDS ((size_t)1 << (REG_REGION_SHIFT - 4 - 5)) /* two bits a granule */
/* A leaf: for each 64 granules, a word of live bits and beside it (on the
 * same cache line) a word of "was a block" bits. */
extern uint64_t *registry_top[REG_TOP_N];
uint64_t *registry_leaf(uintptr_t p);                                    /* made if need be; NULL: no memory */
_Noreturn void registry_not_live(const uint64_t *w, uint64_t bit, const char *op, const void *p);
_Noreturn void registry_twice(const char *op, const void *p);          /* glibc returned a live block */

/* registry_trim: the registry's pages that hold no live block given back
 * to the kernel (their "was a block" bits with them), when glibc trims:
 * only while the process has one thread (registry.c says why). */
void registry_trim(void);

/* registry_word: the live word of p (its leaf made if make), NULL if none;
 * *bit: p's bit in it. */
static inline uint64_t *registry_word(uintptr_t p, int make, uint64_t *bit)
{
    if (__builtin_expect(p & (~(((uintptr_t)1 << 47) - 1) | 15), 0)) /* beyond 47 bits, or misaligned */
        return NULL;
    size_t i = p >> REG_REGION_SHIFT;
    uint64_t *leaf = __atomic_load_n(&registry_top[i], __ATOMIC_ACQUIRE);
    if (__builtin_expect(leaf == NULL, 0) && (!make || (leaf = registry_leaf(p)) == NULL))
        return NULL;
    size_t g = (p & (((uintptr_t)1 << REG_REGION_SHIFT) - 1)) >> 4;
    *bit = (uint64_t)1 << (g & 63);
    return &leaf[(g >> 6) * 2];
}

/* registry_add: p, just returned by glibc for entry point op, is live.
 * Reports p if it already is. 0; 1 if no block ever began at p before (the
 * caller checks such an address further); -1 if p could not be registered
 * (no memory for the registry, or an address that is misaligned or beyond
 * 47 bits: not glibc's). */
static inline int registry_add(const void *ptr, const char *op)
{
    uint64_t bit = 0, *w = registry_word((uintptr_t)ptr, 1, &bit);
    if (__builtin_expect(w == NULL, 0))
        return -1;
    if (__builtin_expect(__atomic_fetch_or(w, bit, __ATOMIC_RELAXED) & bit, 0))
        registry_twice(op, ptr);
    uint64_t *was = w + 1;
    if (__builtin_expect(__atomic_load_n(was, __ATOMIC_RELAXED) & bit, 1))
        return 0;
    __atomic_fetch_or(was, bit, __ATOMIC_RELAXED);
    return 1;
}

/* registry_drop: p, given back through op, is live: no longer. Reports p
 * if it is not live. */
static inline void registry_drop(const void *ptr, const char *op)
{
    uint64_t bit = 0, *w = registry_word((uintptr_t)ptr, 0, &bit);
    if (__builtin_expect(w == NULL || !(__atomic_fetch_and(w, ~bit, __ATOMIC_RELAXED) & bit), 0))
        registry_not_live(w, bit, op, ptr);
}

/* registry_live: whether p is live. */
static inline int registry_live(const void *ptr)
{
    uint64_t bit = 0, *w = registry_word((uintptr_t)ptr, 0, &bit);
    return w != NULL && (__atomic_load_n(w, __ATOMIC_RELAXED) & bit);
}

/* registry_check: p, given to op, is live; reports it if not. */
static inline void registry_check(const void *ptr, const char *op)
{
    uint64_t bit = 0, *w = registry_word((uintptr_t)ptr, 0, &bit);
    if (w == NULL || !(__atomic_load_n(w, __ATOMIC_RELAXED) & bit))
        registry_not_live(w, bit, op, ptr);
}

#endif
