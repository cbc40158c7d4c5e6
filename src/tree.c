/*
 * tree.c - the free-chunk index: exact address-ordered first fit in O(log n).
 *
 * Free chunks live in a treap keyed by address (in-order = address order),
 * balanced by a random priority per node. Every node also records `lmax` and
 * `rmax`, the largest chunk size in its left and right subtrees, and a link
 * to its parent. The first fit for a request of `need` bytes is then one walk
 * from the root: go left while the left subtree holds a big enough chunk,
 * else take this node if it fits, else go right. That finds the same chunk as
 * a linear scan of the heap from its lowest address, touching one node per
 * level and nothing else. A chunk whose size changes (a split, a merge) needs
 * no search at all: the parent links lead up from it, and the climb stops at
 * the first ancestor whose largest size does not change. The top chunk (the
 * free chunk below the fence) is not in the index: alloc.c tries it when
 * nothing here fits (see chunk.h, invariant 6).
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
 * NULL for the root; a report names the holder's payload). That is enough to
 * follow it safely; a chunk the allocator is about to carve, merge or resize
 * is checked in full (its keyed check word) by checked() first. */
static inline slz_chunk *decode(uintptr_t link, slz_chunk *holder)
{
    slz_chunk *c = (slz_chunk *)(link ^ slz_H.link_key);
    if (c == NULL)
        return NULL;
    if (((uintptr_t)c & (SLZ_ALIGN - 1)) || !in_heap(c) || chunk_used(c))
        slz_misuse("corrupted free chunk index", holder ? chunk2mem(holder) : (void *)c);
    return c;
}
static inline uintptr_t encode(slz_chunk *c) { return (uintptr_t)c ^ slz_H.link_key; }

#define LEFT(c) decode((c)->left, (c))
#define RIGHT(c) decode((c)->right, (c))
#define PARENT(c) decode((c)->parent, (c))

/* link_sane: a stored link names nothing or an aligned place in the heap.
 * Costs no memory access beyond the node that holds the link. */
static inline int link_sane(uintptr_t link)
{
    uintptr_t c = link ^ slz_H.link_key;
    return c == 0 || (!(c & (SLZ_ALIGN - 1)) && in_heap((void *)c));
}

/* links_checked: c's three links are sane, or the index is damaged. */
static slz_chunk *links_checked(slz_chunk *c)
{
    if (!link_sane(c->left) || !link_sane(c->right) || !link_sane(c->parent))
        slz_misuse("corrupted free chunk index", chunk2mem(c));
    return c;
}

/* checked: a chunk a search found: its head passes its keyed check and its
 * links are sane, or the index is damaged. (Chunks reached as a block's
 * neighbour had their head checked by the caller already.) */
static slz_chunk *checked(slz_chunk *c)
{
    if (!head_ok(c))
        slz_misuse("corrupted free chunk index", chunk2mem(c));
    return links_checked(c);
}

/* ---- Sizes in the nodes ------------------------------------------------ */

/* lmax and rmax count 16-byte units (see chunk.h). */
static inline uint32_t units(size_t bytes) { return (uint32_t)(bytes >> 4); }
static inline size_t bytes(uint32_t u) { return (size_t)u << 4; }

/* submax: the largest chunk size in the subtree under c (0 for none). */
static inline size_t submax(const slz_chunk *c)
{
    if (c == NULL)
        return 0;
    size_t m = chunk_size(c);
    if (bytes(c->lmax) > m)
        m = bytes(c->lmax);
    if (bytes(c->rmax) > m)
        m = bytes(c->rmax);
    return m;
}

/* pull: recompute c's lmax and rmax from its children. */
static void pull(slz_chunk *c)
{
    c->lmax = units(submax(LEFT(c)));
    c->rmax = units(submax(RIGHT(c)));
}

/* climb: the largest size in the subtree on one side of p (left or right)
 * is now m: carry it up until an ancestor already holds its new value. */
static void climb(slz_chunk *p, int left, size_t m)
{
    while (p != NULL) {
        uint32_t *side = left ? &p->lmax : &p->rmax;
        if (*side == units(m))
            return;
        *side = units(m);
        m = submax(p);
        slz_chunk *up = PARENT(p);
        if (up != NULL)
            left = p < up;
        p = up;
    }
}

/* attach: child becomes the child of parent on the side its address puts it
 * (the root when parent is NULL). */
static inline void attach(slz_chunk *parent, int left, slz_chunk *child)
{
    uintptr_t *slot = parent == NULL ? &slz_H.root : left ? &parent->left : &parent->right;
    *slot = encode(child);
    if (child != NULL)
        child->parent = encode(parent);
}

/* ---- Searches ---------------------------------------------------------- */

/* tree_first_fit: the lowest-addressed free chunk of at least need bytes in
 * the index (the top chunk is not in it). A subtree that its parent's lmax
 * or rmax promised a fit but holds none means a damaged node. */
slz_chunk *tree_first_fit(size_t need)
{
    slz_chunk *t = decode(slz_H.root, NULL);
    if (submax(t) < need)
        return NULL;
    for (;;) {
        slz_chunk *next;
        if (bytes(t->lmax) >= need)
            next = LEFT(t);
        else if (chunk_size(t) >= need)
            return checked(t);
        else
            next = RIGHT(t);
        if (next == NULL || submax(next) < need)
            slz_misuse("corrupted free chunk index", chunk2mem(t));
        t = next;
    }
}

/* aligned_spot: where in free chunk c a chunk of need bytes whose payload is a
 * multiple of align can start, or NULL. A gap left below it must be able to
 * stand alone as a free chunk. */
char *aligned_spot(slz_chunk *c, size_t need, size_t align)
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
        slz_chunk *hit = bytes(t->lmax) >= need ? first_aligned(LEFT(t), need, align, spot) : NULL;
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

/* ---- Updates ----------------------------------------------------------- */

/* join: one treap of a and b, every key of a below every key of b; the
 * parent link of the result is the caller's to set. */
static slz_chunk *join(slz_chunk *a, slz_chunk *b)
{
    slz_chunk *spine[SLZ_TREE_DEPTH], *top = NULL, *holder = NULL;
    int n = 0, left = 0;
    while (a && b) {
        slz_chunk *t;
        int next_left; /* the next node hangs right of a, left of b */
        if (a->prio > b->prio) {
            t = a;
            a = RIGHT(a);
            next_left = 0;
        } else {
            t = b;
            b = LEFT(b);
            next_left = 1;
        }
        if (holder)
            attach(holder, left, t);
        else
            top = t;
        if (n == SLZ_TREE_DEPTH)
            slz_misuse("free chunk index too deep", chunk2mem(t));
        spine[n++] = holder = t;
        left = next_left;
    }
    slz_chunk *rest = a ? a : b;
    if (holder == NULL)
        return rest;
    attach(holder, left, rest);
    while (n > 0)
        pull(spine[--n]);
    return top;
}

/* tree_links: c's node fields, links checked, for tree_take. */
struct slz_links tree_links(slz_chunk *c)
{
    links_checked(c);
    struct slz_links l = {c->left, c->right, c->parent, c->prio, c->lmax, c->rmax};
    return l;
}

/* tree_take: free chunk c leaves the index; rest (a free chunk, head and foot
 * written, with no free chunk between it and c) takes its place, or nothing
 * when rest is NULL. links: c's node fields, saved before rest's head could
 * overwrite them. */
void tree_take(slz_chunk *c, slz_chunk *rest, const struct slz_links *links)
{
    slz_chunk *p = decode(links->parent, c), *l = decode(links->left, c), *r = decode(links->right, c);
    int left = p != NULL && c < p;
    slz_chunk *sub = rest;
    if (rest != NULL) {
        rest->prio = links->prio;
        rest->lmax = links->lmax;
        rest->rmax = links->rmax;
        rest->left = rest->right = encode(NULL);
        if (l)
            attach(rest, 1, l);
        if (r)
            attach(rest, 0, r);
    } else {
        sub = join(l, r);
    }
    attach(p, left, sub);
    climb(p, left, submax(sub));
}

/* tree_changed: free chunk c changed size in place. */
void tree_changed(slz_chunk *c)
{
    slz_chunk *p = PARENT(links_checked(c));
    if (p != NULL)
        climb(p, c < p, submax(c));
}

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
    slz_chunk *holder = NULL, *t = decode(slz_H.root, NULL);
    int left = 0;
    x->prio = next_prio();
    while (t && t->prio > x->prio) {
        left = x < t;
        uint32_t *side = left ? &t->lmax : &t->rmax;
        if (bytes(*side) < sz)
            *side = units(sz);
        holder = t;
        t = left ? LEFT(t) : RIGHT(t);
    }
    /* split t's subtree: lower addresses down x's left, higher down its right */
    slz_chunk *spine[SLZ_TREE_DEPTH], *lo = x, *hi = x;
    int n = 0, lo_left = 1, hi_left = 0;
    x->left = x->right = encode(NULL);
    while (t) {
        slz_chunk *next;
        if (t < x) {
            next = RIGHT(t);
            attach(lo, lo_left, t);
            lo = t;
            lo_left = 0;
        } else {
            next = LEFT(t);
            attach(hi, hi_left, t);
            hi = t;
            hi_left = 1;
        }
        if (n == SLZ_TREE_DEPTH)
            slz_misuse("free chunk index too deep", chunk2mem(t));
        spine[n++] = t;
        t = next;
    }
    attach(lo, lo_left, NULL);
    attach(hi, hi_left, NULL);
    while (n > 0)
        pull(spine[--n]);
    pull(x);
    attach(holder, left, x);
}

/* tree_largest: the size of the largest free chunk in the index, or 0. */
size_t tree_largest(void) { return submax((slz_chunk *)(slz_H.root ^ slz_H.link_key)); }

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

static size_t check_node(struct walk *w, slz_chunk *t, slz_chunk *parent, int depth)
{
    if (t == NULL)
        return 0;
    if (depth > 4096 || w->nodes++ > slz_H.size / SLZ_MIN_CHUNK) {
        flag(w, "index has a cycle");
        return 0;
    }
    if (parent && t->prio > parent->prio)
        flag(w, "index node has a higher prio than its parent");
    if ((t->parent ^ slz_H.link_key) != (uintptr_t)parent)
        flag(w, "index parent link is wrong");
    size_t lm = check_node(w, peek(w, t->left), t, depth + 1);
    if (w->last && w->last >= t)
        flag(w, "index is not in address order");
    w->last = t;
    size_t rm = check_node(w, peek(w, t->right), t, depth + 1);
    if (bytes(t->lmax) != lm || bytes(t->rmax) != rm)
        flag(w, "index lmax/rmax field is wrong");
    size_t m = chunk_size(t);
    return m > lm ? (m > rm ? m : rm) : (lm > rm ? lm : rm);
}

/* tree_check: violations in the index; *first names the first. Free chunks
 * it holds are counted against the heap walk by the caller through nodes. */
size_t tree_check(const char **first)
{
    struct walk w = {0, 0, NULL, NULL};
    check_node(&w, peek(&w, slz_H.root), NULL, 0);
    if (slz_H.st.free_chunks - (slz_H.top != NULL) != w.nodes)
        flag(&w, "index does not hold every free chunk but the top one");
    if (first)
        *first = w.first;
    return w.bad;
}
