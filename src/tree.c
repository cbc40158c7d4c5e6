/*
 * tree.c - the free-chunk index: exact address-ordered first fit in O(log n).
 *
 * Free chunks live in a treap keyed by address (in-order = address order),
 * balanced by a random priority per node. Every node also records `lmax` and
 * `rmax`, the largest chunk size in its left and right subtrees. The first
 * fit for a request of `need` bytes is then one walk from the root: go left
 * while the left subtree holds a big enough chunk, else take this node if it
 * fits, else go right. That finds the same chunk as a linear scan of the heap
 * from its lowest address, touching one node per level and nothing else.
 *
 * The nodes are the free chunks themselves (see chunk.h), so the index needs
 * no memory of its own. Links are stored XOR-encoded with a secret and every
 * link is checked before it is followed: a damaged index is reported, never
 * trusted.
 */
#include "chunk.h"

/* ---- Links ------------------------------------------------------------- */

/* decode: the chunk a stored link names, checked to be an aligned place in
 * the heap whose head says free (holder: the free chunk whose link it is, or
 * NULL for the root; a report names the holder's payload). That is enough to follow it safely; a
 * chunk the allocator is about to carve, merge or resize is checked in
 * full (its keyed check word) by checked() first. */
static inline slz_chunk *decode(uintptr_t link, slz_chunk *holder)
{
    slz_chunk *c = (slz_chunk *)(link ^ slz_H.link_key);
    if (c == NULL)
        return NULL;
    if (((uintptr_t)c & (SLZ_ALIGN - 1)) || !in_heap(c) || chunk_used(c))
        slz_misuse("corrupted free chunk index", holder ? chunk2mem(holder) : (void *)c);
    return c;
}

/* link_sane: a stored link names nothing or an aligned place in the heap.
 * Costs no memory access beyond the node that holds the link. */
static inline int link_sane(uintptr_t link)
{
    uintptr_t c = link ^ slz_H.link_key;
    return c == 0 || (!(c & (SLZ_ALIGN - 1)) && in_heap((void *)c));
}

/* checked: c's head passes its keyed check and both its links are sane, or
 * the index is damaged. */
static slz_chunk *checked(slz_chunk *c)
{
    if (!head_ok(c) || !link_sane(c->left) || !link_sane(c->right))
        slz_misuse("corrupted free chunk index", chunk2mem(c));
    return c;
}

static inline uintptr_t encode(slz_chunk *c) { return (uintptr_t)c ^ slz_H.link_key; }

/* LEFT/RIGHT follow a link into the unknown and check it; KNOWN_ follow one
 * whose target was already checked on the way down (or is NULL). The root
 * is stored encoded too and checked like any link target. */
#define LEFT(c) decode((c)->left, (c))
#define RIGHT(c) decode((c)->right, (c))
#define KNOWN_LEFT(c) ((slz_chunk *)((c)->left ^ slz_H.link_key))
#define KNOWN_RIGHT(c) ((slz_chunk *)((c)->right ^ slz_H.link_key))

/* submax: the largest chunk size in the subtree under c (0 for none). */
static inline size_t submax(const slz_chunk *c)
{
    if (c == NULL)
        return 0;
    size_t m = chunk_size(c);
    if (c->lmax > m)
        m = c->lmax;
    if (c->rmax > m)
        m = c->rmax;
    return m;
}

/* pull: recompute c's lmax and rmax from its children. Children reached
 * without a check on the way down are range-checked before they are read. */
static void pull(slz_chunk *c)
{
    slz_chunk *l = KNOWN_LEFT(c), *r = KNOWN_RIGHT(c);
    if ((l && !in_heap(l)) || (r && !in_heap(r)))
        slz_misuse("corrupted free chunk index", chunk2mem(c));
    c->lmax = submax(l);
    c->rmax = submax(r);
}

/* ---- Paths ------------------------------------------------------------- */

/* push: t joins the path. */
static inline void push(struct slz_path *p, uintptr_t *slot, slz_chunk *t)
{
    if (__builtin_expect(p->n == SLZ_TREE_DEPTH, 0))
        slz_misuse("free chunk index too deep", chunk2mem(t));
    p->slot[p->n] = slot;
    p->node[p->n++] = t;
}

/* fix_up: the subtree that path link i leads to has a new largest size:
 * carry it up, stopping where an ancestor's field already holds it. */
static void fix_up(struct slz_path *p, int i)
{
    for (; i > 0; i--) {
        slz_chunk *parent = p->node[i - 1];
        size_t m = submax((slz_chunk *)(*p->slot[i] ^ slz_H.link_key));
        size_t *side = p->slot[i] == &parent->left ? &parent->lmax : &parent->rmax;
        if (*side == m)
            return;
        *side = m;
    }
}

/* tree_find: the way from the root down to free chunk c. */
void tree_find(slz_chunk *c, struct slz_path *p)
{
    uintptr_t *slot = &slz_H.root;
    slz_chunk *holder = NULL;
    p->n = 0;
    for (;;) {
        slz_chunk *t = decode(*slot, holder);
        if (t == NULL)
            slz_misuse("free chunk missing from index", chunk2mem(c));
        push(p, slot, t);
        if (t == c) {
            checked(t);
            return;
        }
        holder = t;
        slot = c < t ? &t->left : &t->right;
    }
}

/* tree_first_fit: the lowest-addressed free chunk of at least need bytes,
 * with the way down to it in *p. */
slz_chunk *tree_first_fit(size_t need, struct slz_path *p)
{
    uintptr_t *slot = &slz_H.root;
    slz_chunk *t = decode(*slot, NULL);
    p->n = 0;
    if (submax(t) < need)
        return NULL;
    for (;;) {
        push(p, slot, t);
        if (t->lmax >= need) {
            slot = &t->left;
            t = LEFT(t);
        } else if (chunk_size(t) >= need) {
            return checked(t);
        } else {
            slot = &t->right;
            t = RIGHT(t); /* rmax says a fit is there */
            if (t == NULL || submax(t) < need)
                slz_misuse("free chunk index max is wrong", chunk2mem(p->node[p->n - 1]));
        }
    }
}

/* ---- Updates ----------------------------------------------------------- */

/* join: one treap of a and b, every key of a below every key of b. */
static slz_chunk *join(slz_chunk *a, slz_chunk *b)
{
    struct slz_path spine;
    uintptr_t top = 0, *slot = &top;
    spine.n = 0;
    while (a && b) {
        if (a->prio > b->prio) {
            push(&spine, slot, a);
            *slot = encode(a);
            slot = &a->right;
            a = RIGHT(a);
        } else {
            push(&spine, slot, b);
            *slot = encode(b);
            slot = &b->left;
            b = LEFT(b);
        }
    }
    *slot = encode(a ? a : b);
    while (spine.n > 0)
        pull(spine.node[--spine.n]);
    return (slz_chunk *)(top ^ slz_H.link_key);
}

/* tree_take: the last chunk on path p leaves the index; rest (a free chunk,
 * head and foot written, with no free chunk between it and the one leaving)
 * takes its place, or nothing when rest is NULL. links: the leaving chunk's
 * node fields, saved before rest's head could overwrite them. */
void tree_take(struct slz_path *p, slz_chunk *rest, const struct slz_links *links)
{
    int i = p->n - 1;
    slz_chunk *sub;
    if (rest) {
        rest->left = links->left;
        rest->right = links->right;
        rest->prio = links->prio;
        pull(rest);
        sub = rest;
    } else {
        sub = join(decode(links->left, p->node[i]), decode(links->right, p->node[i]));
    }
    *p->slot[i] = encode(sub);
    fix_up(p, i);
}

/* tree_changed: the last chunk on path p changed size in place. */
void tree_changed(struct slz_path *p) { fix_up(p, p->n - 1); }

static uint64_t next_prio(void)
{
    uint64_t x = slz_H.rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return slz_H.rng = x;
}

/* tree_insert: add free chunk x (head and foot written). Walk down while
 * the nodes outrank x, then split the subtree found there around x. */
void tree_insert(slz_chunk *x)
{
    size_t sz = chunk_size(x);
    uintptr_t *slot = &slz_H.root;
    slz_chunk *t = decode(*slot, NULL);
    x->prio = next_prio();
    while (t && t->prio > x->prio) {
        size_t *side = x < t ? &t->lmax : &t->rmax;
        if (*side < sz)
            *side = sz;
        slot = x < t ? &t->left : &t->right;
        t = decode(*slot, t);
    }
    struct slz_path split;
    uintptr_t *lo = &x->left, *hi = &x->right;
    split.n = 0;
    while (t) {
        push(&split, NULL, t);
        if (t < x) {
            *lo = encode(t);
            lo = &t->right;
            t = RIGHT(t);
        } else {
            *hi = encode(t);
            hi = &t->left;
            t = LEFT(t);
        }
    }
    *lo = *hi = encode(NULL);
    while (split.n > 0)
        pull(split.node[--split.n]);
    pull(x);
    *slot = encode(x);
}

/* tree_largest: the size of the largest free chunk, or 0. */
size_t tree_largest(void)
{
    return submax((slz_chunk *)(slz_H.root ^ slz_H.link_key));
}

/* ---- Searches ---------------------------------------------------------- */

/* aligned_spot: where in free chunk c a chunk of need bytes whose payload is a
 * multiple of align can start, or NULL. A gap left below it must be able to
 * stand alone as a free chunk. */
static char *aligned_spot(slz_chunk *c, size_t need, size_t align)
{
    uintptr_t start = (uintptr_t)c;
    uintptr_t mem = (start + SLZ_HDR + align - 1) & ~(uintptr_t)(align - 1);
    if (mem - SLZ_HDR != start && mem - SLZ_HDR - start < SLZ_MIN_CHUNK)
        mem = (start + SLZ_HDR + SLZ_MIN_CHUNK + align - 1) & ~(uintptr_t)(align - 1);
    if (mem - SLZ_HDR - start + need > chunk_size(c))
        return NULL;
    return (char *)mem - SLZ_HDR;
}

static slz_chunk *first_aligned(slz_chunk *t, size_t need, size_t align, char **spot)
{
    while (submax(t) >= need) {
        slz_chunk *hit = t->lmax >= need ? first_aligned(LEFT(t), need, align, spot) : NULL;
        if (hit)
            return hit;
        if ((*spot = aligned_spot(t, need, align)) != NULL)
            return checked(t);
        t = RIGHT(t);
    }
    return NULL;
}

/* tree_first_fit_aligned: the lowest-addressed free chunk that can hold need
 * bytes at an aligned payload; *spot gets where that chunk would start. */
slz_chunk *tree_first_fit_aligned(size_t need, size_t align, char **spot)
{
    return first_aligned(decode(slz_H.root, NULL), need, align, spot);
}

/* ---- Checking (no aborts: counts what is wrong) ------------------------ */

struct walk {
    size_t bad, nodes;
    const char *first;
    slz_chunk *last;
};

static void flag(struct walk *w, const char *what)
{
    if (w->bad++ == 0)
        w->first = what;
}

static slz_chunk *peek(struct walk *w, uintptr_t link)
{
    slz_chunk *c = (slz_chunk *)(link ^ slz_H.link_key);
    if (c == NULL)
        return NULL;
    if (((uintptr_t)c & (SLZ_ALIGN - 1)) || !in_heap(c) || !head_ok(c)) {
        flag(w, "index link does not name a valid chunk");
        return NULL;
    }
    if (chunk_used(c))
        flag(w, "index holds a chunk in use");
    return c;
}

static size_t check_node(struct walk *w, slz_chunk *t, uint64_t parent_prio, int depth)
{
    if (t == NULL)
        return 0;
    if (depth > 4096 || w->nodes++ > slz_H.size / SLZ_MIN_CHUNK) {
        flag(w, "index has a cycle");
        return 0;
    }
    if (t->prio > parent_prio)
        flag(w, "index node has a higher prio than its parent");
    size_t lm = check_node(w, peek(w, t->left), t->prio, depth + 1);
    if (w->last && w->last >= t)
        flag(w, "index is not in address order");
    w->last = t;
    size_t rm = check_node(w, peek(w, t->right), t->prio, depth + 1);
    if (t->lmax != lm || t->rmax != rm)
        flag(w, "index lmax/rmax field is wrong");
    size_t m = chunk_size(t);
    return m > lm ? (m > rm ? m : rm) : (lm > rm ? lm : rm);
}

/* tree_check: violations in the index; *first names the first. Free chunks
 * it holds are counted against the heap walk by the caller through nodes. */
size_t tree_check(const char **first)
{
    struct walk w = {0, 0, NULL, NULL};
    check_node(&w, peek(&w, slz_H.root), UINT64_MAX, 0);
    if (slz_H.st.free_chunks != w.nodes)
        flag(&w, "index does not hold every free chunk");
    if (first)
        *first = w.first;
    return w.bad;
}
