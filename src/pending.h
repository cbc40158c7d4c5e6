/*
 * pending.h - the owner's drain of the frees other threads left (the
 * pending bits, index.c; the ordering: index.c's pending_mark and free.c,
 * before slz_free_deferred), compiled into each caller (free.c,
 * quarantine.c), which defines PENDING_TAKE(h, g, w, arg) first: what takes
 * a word of them (its first granule g, its bits w, arg the caller's), a
 * direct call its compiler may inline into the walk of the words. Read
 * once a file (no include guard: each file its own PENDING_TAKE).
 */
#ifndef PENDING_TAKE
#error "define PENDING_TAKE before pending.h"
#endif
/* DRAIN_GAP: nothing, but in the core built for tests/c/hook_drain_gap.c
 * (tests/tests.mk): a call there, where a window of the drain is (level 1:
 * drain_words', level 2: pending_drain's), so that the test frees into it
 * deterministically (core_drain meets them by chance) */
#ifdef SLZ_DRAIN_GAP
void SLZ_DRAIN_GAP(slz_heap *h, int level);
#define DRAIN_GAP(h, level) SLZ_DRAIN_GAP(h, level)
#else
#define DRAIN_GAP(h, level) ((void)0)
#endif

/* The two summary levels are drained alike: a summary bit stays set while
 * the words below it get frees (the next free there reads it set and writes
 * nothing: before, pend[2] was exchanged at every drain, and the first free
 * after it ORed it again, a line written by each thread in turn every
 * drain); one whose words are all found empty is cleared (an AND), and then
 * those words read again: a thread whose mark of a word below landed after
 * the first read may have read this bit while it was still set, before the
 * AND, and so not set it (pending_mark reads each level's bit after it has
 * marked the level below, all sequentially consistent: its mark below comes
 * before its read of the bit, which comes before the AND, which comes
 * before the second read). A bit of a level left set above a word the second
 * read found empty, or cleared above a word it took, is no harm: a later
 * free reads each level's bit itself and sets the ones it finds clear. */
/* take_word: the pending frees of word k taken (PENDING_TAKE), when it has any (a
 * load first: an empty word is not written); whether it had. */
static inline __attribute__((always_inline)) int take_word(slz_heap *h, size_t k, void *arg)
{
    uint64_t w0 = __atomic_load_n(&h->pend[0][k], __ATOMIC_SEQ_CST);
    if (w0 == 0 || (w0 = __atomic_exchange_n(&h->pend[0][k], 0, __ATOMIC_SEQ_CST)) == 0)
        return 0;
    PENDING_TAKE(h, (uint32_t)(k * SLZ_CELL), w0, arg);
    return 1;
}
/* drain_words: the words of pending bits under summary word i1 (pend[1]),
 * those with bits taken; whether the summary word was left empty (every
 * word below it found empty, its bits cleared, and none set meanwhile) */
static inline int drain_words(slz_heap *h, size_t i1, void *arg)
{
    uint64_t idle = 0, w1 = __atomic_load_n(&h->pend[1][i1], __ATOMIC_SEQ_CST);
    if (w1 == 0)
        return 1;
    for (; w1; w1 &= w1 - 1)
        if (!take_word(h, i1 * 64 + (size_t)__builtin_ctzll(w1), arg))
            idle |= w1 & -w1;
    if (idle == 0)
        return 0;
    DRAIN_GAP(h, 1);
    uint64_t left = __atomic_fetch_and(&h->pend[1][i1], ~idle, __ATOMIC_SEQ_CST) & ~idle;
    for (; idle; idle &= idle - 1)
        take_word(h, i1 * 64 + (size_t)__builtin_ctzll(idle), arg);
    return left == 0;
}

/* pending_drain: the owner takes every pending free, calling PENDING_TAKE for each
 * word of them (its first granule, its bits and arg, the caller's).
 * Every block lies below the high-water mark: so do the words to read. */
static inline void pending_drain(slz_heap *h, void *arg)
{
    __atomic_add_fetch(&h->drain_epoch, 1, __ATOMIC_SEQ_CST); /* (before any bit is taken: free.c) */
    __atomic_store_n(&h->pend_any, 0, __ATOMIC_SEQ_CST);
    size_t n2 = h->st.high_water / SLZ_ALIGN / SLZ_CELL / 64 / 64 + 1;
    if (n2 > h->pendn[2])
        n2 = h->pendn[2];
    for (size_t i2 = 0; i2 < n2; i2++) {
        uint64_t idle = 0, w2 = __atomic_load_n(&h->pend[2][i2], __ATOMIC_SEQ_CST);
        for (; w2; w2 &= w2 - 1)
            if (drain_words(h, i2 * 64 + (size_t)__builtin_ctzll(w2), arg))
                idle |= w2 & -w2;
        if (idle == 0)
            continue;
        DRAIN_GAP(h, 2);
        __atomic_fetch_and(&h->pend[2][i2], ~idle, __ATOMIC_SEQ_CST);
        for (; idle; idle &= idle - 1)
            drain_words(h, i2 * 64 + (size_t)__builtin_ctzll(idle), arg);
    }
}
