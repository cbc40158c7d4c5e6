/*
 * index_walk.h - the index's hot paths, compiled once per line version
 * (lines.h) by index.c (the index's own upkeep) and alloc.c (malloc's
 * pass, into which they inline): V(name) is name with the version's suffix
 * (_avx2, _sse2, _plain), VATTR the version's target attribute. No include
 * guard: it is meant to be read more than once. (static inline: a file that
 * uses one of them only is not warned of the others.)
 */

/* root: the walk's first line's fit_mask (lines.h); none below bit 16: no
 * free chunk has need granules. */
VATTR static inline __attribute__((always_inline)) unsigned V(root)(const slz_heap *h, uint32_t need)
{
    return V(fit_mask)(h->lv[(unsigned)h->start], need); /* (unsigned: as walk's switch, one load of start) */
}

/* walk: the first fit for need granules, m the root's (a bit below 16): the first
 * entry >= need of each line down from the walk's first line, then the
 * first free chunk of the cell that is big enough (the index promises one).
 * *size gets its size, *cell its cell and *ent the cell's level-0 entry, as
 * the walk found them (malloc's pass marks the chunk and lowers the entry
 * there, not from its granule again). */
VATTR static inline __attribute__((always_inline)) uint32_t V(walk)(const slz_heap *h, uint32_t need, unsigned m,
                                                                     uint32_t *size, struct slz_cell **cell,
                                                                     uint32_t **ent)
{
    /* at: the entry's offset in bytes in its level; its line in the level
     * below lies SLZ_FAN times as far in: an address the compares add.
     * The descent is entered at the level below the walk's first line and
     * runs down to level 0: one jump through a table, where a loop
     * unrolled tested for its end at every level. */
    size_t at = (size_t)__builtin_ctz(m) * sizeof(uint32_t);
#define DESCEND(x)                                                                                                     \
    (at *= SLZ_FAN,                                                                                                     \
     at += (size_t)__builtin_ctz(V(fit_mask)((const uint32_t *)((const char *)h->lv[x] + at), need)) * sizeof(uint32_t))
    _Static_assert(SLZ_LEVELS == 8, "a case per level but the root's");
    switch ((unsigned)h->start) {
    case 7: DESCEND(6); /* fall through */
    case 6: DESCEND(5); /* fall through */
    case 5: DESCEND(4); /* fall through */
    case 4: DESCEND(3); /* fall through */
    case 3: DESCEND(2); /* fall through */
    case 2: DESCEND(1); /* fall through */
    case 1: DESCEND(0); /* fall through */
    case 0: break;
    default: __builtin_unreachable(); /* (start < SLZ_LEVELS) */
    }
#undef DESCEND
    size_t idx = at / sizeof(uint32_t);
    *ent = (uint32_t *)((char *)h->lv[0] + at);
    struct slz_cell *c = &h->cells[idx];
    uint64_t st = c->start, f = st & ~c->used;
    unsigned b = (unsigned)__builtin_ctzll(f);
    uint32_t s = size_in_cell(c, st, b);
    while (__builtin_expect(s < need, 0)) { /* (the cell's first free chunk mostly fits: the loop laid apart) */
        f &= f - 1;
        b = (unsigned)__builtin_ctzll(f);
        s = size_in_cell(c, st, b);
    }
    *size = s;
    *cell = c;
    return (uint32_t)(at * (SLZ_CELL / sizeof(uint32_t)) + b); /* (idx * SLZ_CELL: at, a multiple of 4, shifted once) */
}

/* fall_at: level-0 entry k, at ent (&lv[0][k]: its line is the 64-byte
 * line that holds it), falls to v (or stays: v is at most the entry), and
 * every parent on the way up to the walk's first line is rewritten with the
 * maximum of its line: no early exit, whose branch on data would mispredict
 * about every other time. (malloc's pass calls it directly, with the walk's
 * entry: the chunk it carved was the cell's largest.) fall: the same for
 * entry k. */
VATTR static inline __attribute__((always_inline)) void V(fall_at)(slz_heap *h, uint32_t *ent, size_t k, uint32_t v)
{
    *ent = v;
    const uint32_t *line = (const uint32_t *)((uintptr_t)ent & ~(uintptr_t)(SLZ_FAN * sizeof(uint32_t) - 1));
    int top = h->start;
#pragma GCC unroll 8
    for (int l = 1; l < SLZ_LEVELS; l++) { /* (unrolled: each exit test always goes one way) */
        if (l > top)
            break;
        if (l > 1)
            line = h->lv[l - 1] + (k & ~(size_t)(SLZ_FAN - 1));
        h->lv[l][k /= SLZ_FAN] = V(line_max)(line);
    }
}
VATTR static inline __attribute__((always_inline)) void V(fall)(slz_heap *h, size_t k, uint32_t v)
{
    V(fall_at)(h, &h->lv[0][k], k, v);
}

/* fall_read: level-0 entry k falls to v, and each parent below level n
 * with it, each line read before its entry is stored (line_but): read
 * after, a line's load waits for the narrower store into it (no store
 * forwarding), and with it for every store before; level n's entry becomes
 * the largest of v and the rest of the line below it. (lower's, up to the
 * line the fallen cell shares with the rising one; malloc_top's top_fall,
 * up to the walk's first line.) */
VATTR static inline __attribute__((always_inline)) void V(fall_read)(slz_heap *h, size_t k, uint32_t v, int n)
{
    int l = 0;
#pragma GCC unroll 8
    for (; l < SLZ_LEVELS; l++, k /= SLZ_FAN) {
        if (l == n)
            break;
        uint32_t *line = h->lv[l] + (k & ~(size_t)(SLZ_FAN - 1));
        uint32_t m = V(line_but)(line, (unsigned)(k % SLZ_FAN));
        line[k % SLZ_FAN] = v;
        v = m > v ? m : v;
    }
    h->lv[l][k] = v;
}

/* lower: index_lower's (index.c): cell lost's entry falls to its largest
 * free chunk, and each parent with it below the line lost shares with k
 * (the levels below it: one test a level) */
VATTR static inline void V(lower)(slz_heap *h, size_t lost, size_t k)
{
    int n = (63 - __builtin_clzll(lost ^ k)) / 4; /* (lost ^ k >= SLZ_FAN = 2^4) */
    V(fall_read)(h, lost, cell_max(h, lost), n < h->start ? n : h->start);
}

/* set: level-0 entry k becomes v. A rise climbs while it beats the
 * parent (index_raise); a fall rewrites every parent (fall). */
VATTR static inline __attribute__((always_inline)) void V(set)(slz_heap *h, size_t k, uint32_t v)
{
    if (v >= h->lv[0][k]) {
        index_raise(h, k, v);
        return;
    }
    V(fall)(h, k, v);
}

/* refresh: the free chunks that begin in cell k have changed. */
VATTR static inline __attribute__((always_inline)) void V(refresh)(slz_heap *h, size_t k) { V(set)(h, k, cell_max(h, k)); }
