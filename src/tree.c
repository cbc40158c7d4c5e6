/*
 * tree.c - the free-chunk index: exact address-ordered first fit in O(log n).
 *
 * Free chunks live in a treap keyed by address (in-order = address order),
 * balanced by a random priority per node. Every node also records `max`, the
 * largest chunk size in its subtree. The first fit for a request of `need`
 * bytes is then one walk from the root: go left while the left subtree holds a
 * big enough chunk, else take this node if it fits, else go right. That finds
 * the same chunk as a linear scan of the heap from its lowest address, without
 * looking at more than one path.
 *
 * The nodes are the free chunks themselves (see chunk.h), so the index needs
 * no memory of its own. Links are stored XOR-encoded with a secret and every
 * link is checked before it is followed: a damaged index is reported, never
 * trusted.
 */
#include "chunk.h"

/* ---- Links ------------------------------------------------------------- */

/* decode: the chunk a stored link names, checked to be a free chunk. */
static slz_chunk *decode(uintptr_t link)
{
    slz_chunk *c = (slz_chunk *)(link ^ slz_H.link_key);
    if (c == NULL)
        return NULL;
    if (((uintptr_t)c & (SLZ_ALIGN - 1)) || !in_heap(c) || !head_ok(c) || chunk_used(c))
        slz_misuse("corrupted free chunk index", c);
    return c;
}
static inline uintptr_t encode(slz_chunk *c) { return (uintptr_t)c ^ slz_H.link_key; }

/* root: the index root, checked like the target of any link (a write past
 * the end of a block can reach the root's head as well as any other's). */
static slz_chunk *root(void) { return decode(encode(slz_H.root)); }

/* LEFT/RIGHT follow a link into the unknown and check it; KNOWN_ follow one
 * whose target was already checked on the way down (or is NULL). */
#define LEFT(c) decode((c)->left)
#define RIGHT(c) decode((c)->right)
#define KNOWN_LEFT(c) ((slz_chunk *)((c)->left ^ slz_H.link_key))
#define KNOWN_RIGHT(c) ((slz_chunk *)((c)->right ^ slz_H.link_key))

/* pull: recompute c's max from its size and its children. A child that was
 * not on the way down is only range-checked: its max is all that is read. */
static void pull(slz_chunk *c)
{
    size_t m = chunk_size(c);
    slz_chunk *l = KNOWN_LEFT(c), *r = KNOWN_RIGHT(c);
    if ((l && !in_heap(l)) || (r && !in_heap(r)))
        slz_misuse("corrupted free chunk index", c);
    if (l && l->max > m)
        m = l->max;
    if (r && r->max > m)
        m = r->max;
    c->max = m;
}

static slz_chunk *rotate_right(slz_chunk *t)
{
    slz_chunk *l = KNOWN_LEFT(t);
    t->left = l->right;
    pull(t);
    l->right = encode(t);
    pull(l);
    return l;
}

static slz_chunk *rotate_left(slz_chunk *t)
{
    slz_chunk *r = KNOWN_RIGHT(t);
    t->right = r->left;
    pull(t);
    r->left = encode(t);
    pull(r);
    return r;
}

/* ---- Updates (each returns the new root of the subtree) ----------------- */

static slz_chunk *insert(slz_chunk *t, slz_chunk *x)
{
    if (t == NULL) {
        x->left = x->right = encode(NULL);
        x->max = chunk_size(x);
        return x;
    }
    if (x < t) {
        slz_chunk *l = insert(LEFT(t), x);
        t->left = encode(l);
        if (l->prio > t->prio)
            return rotate_right(t);
    } else {
        slz_chunk *r = insert(RIGHT(t), x);
        t->right = encode(r);
        if (r->prio > t->prio)
            return rotate_left(t);
    }
    pull(t);
    return t;
}

/* join: one treap of a and b, every key of a below every key of b. */
static slz_chunk *join(slz_chunk *a, slz_chunk *b)
{
    if (a == NULL)
        return b;
    if (b == NULL)
        return a;
    if (a->prio > b->prio) {
        a->right = encode(join(RIGHT(a), b));
        pull(a);
        return a;
    }
    b->left = encode(join(a, LEFT(b)));
    pull(b);
    return b;
}

/* edit: find x below t and apply one of three changes to it. */
enum edit { EDIT_REMOVE, EDIT_REPLACE, EDIT_RESIZED };

static slz_chunk *edit(slz_chunk *t, slz_chunk *x, enum edit what, slz_chunk *with)
{
    if (t == NULL)
        slz_misuse("free chunk missing from index", x);
    if (t == x) {
        switch (what) {
        case EDIT_REMOVE:
            return join(LEFT(t), RIGHT(t));
        case EDIT_REPLACE: /* with already holds t's links and prio */
            t = with;
            break;
        case EDIT_RESIZED:
            break;
        }
    } else if (x < t) {
        t->left = encode(edit(LEFT(t), x, what, with));
    } else {
        t->right = encode(edit(RIGHT(t), x, what, with));
    }
    pull(t);
    return t;
}

static uint64_t next_prio(void)
{
    uint64_t x = slz_H.rng; /* xorshift64 */
    x ^= x << 13;
    x ^= x >> 7;
    x ^= x << 17;
    return slz_H.rng = x;
}

/* tree_insert: add free chunk c (head and foot already written). */
void tree_insert(slz_chunk *c)
{
    c->prio = next_prio();
    slz_H.root = insert(root(), c);
}

/* tree_remove: take free chunk c out of the index. */
void tree_remove(slz_chunk *c) { slz_H.root = edit(root(), c, EDIT_REMOVE, NULL); }

/* tree_replace: free chunk c (head and foot written) takes old's place in the
 * index; no free chunk lies between them. links is old's node fields, saved
 * by the caller before c's head could overwrite them. */
void tree_replace(slz_chunk *old, slz_chunk *c, const struct slz_links *links)
{
    c->left = links->left;
    c->right = links->right;
    c->prio = links->prio;
    slz_H.root = edit(root(), old, EDIT_REPLACE, c);
}

/* tree_resized: c's size changed in place; fix max on its path. */
void tree_resized(slz_chunk *c) { slz_H.root = edit(root(), c, EDIT_RESIZED, NULL); }

/* ---- Searches ---------------------------------------------------------- */

/* tree_first_fit: the lowest-addressed free chunk of at least need bytes.
 * The way down from the root is kept in *path for tree_take. */
slz_chunk *tree_first_fit(size_t need, struct slz_path *path)
{
    slz_chunk *t = root();
    path->n = 0;
    if (t == NULL || t->max < need)
        return NULL;
    for (;;) {
        if (path->n < SLZ_PATH_MAX)
            path->node[path->n] = t;
        path->n++;
        slz_chunk *l = LEFT(t);
        if (l && l->max >= need)
            t = l;
        else if (chunk_size(t) >= need)
            return t;
        else
            t = RIGHT(t); /* max says a fit is there */
        if (t == NULL)
            slz_misuse("free chunk index max is wrong", slz_H.root);
    }
}

/* tree_take: c, just found by tree_first_fit, leaves the index; rest (a
 * free chunk at least SLZ_MIN_CHUNK above c, head and foot written) takes
 * its place, or nothing when rest is NULL. Only the recorded path needs its
 * max fixed, so this costs no second search. */
void tree_take(struct slz_path *path, slz_chunk *c, slz_chunk *rest)
{
    if (path->n > SLZ_PATH_MAX) { /* too deep to have been recorded */
        struct slz_links links = tree_links(c);
        if (rest)
            tree_replace(c, rest, &links);
        else
            tree_remove(c);
        return;
    }
    slz_chunk *sub;
    if (rest) {
        rest->left = c->left;
        rest->right = c->right;
        rest->prio = c->prio;
        pull(rest);
        sub = rest;
    } else {
        sub = join(KNOWN_LEFT(c), KNOWN_RIGHT(c));
    }
    int n = path->n;
    if (n == 1) {
        slz_H.root = sub;
        return;
    }
    slz_chunk *parent = path->node[n - 2];
    if (parent->left == encode(c))
        parent->left = encode(sub);
    else
        parent->right = encode(sub);
    for (int i = n - 2; i >= 0; i--)
        pull(path->node[i]);
}

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
    while (t != NULL && t->max >= need) {
        slz_chunk *hit = first_aligned(LEFT(t), need, align, spot);
        if (hit)
            return hit;
        if ((*spot = aligned_spot(t, need, align)) != NULL)
            return t;
        t = RIGHT(t);
    }
    return NULL;
}

/* tree_first_fit_aligned: the lowest-addressed free chunk that can hold need
 * bytes at an aligned payload; *spot gets where that chunk would start. */
slz_chunk *tree_first_fit_aligned(size_t need, size_t align, char **spot)
{
    return first_aligned(root(), need, align, spot);
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
    size_t m = chunk_size(t);
    size_t lm = check_node(w, peek(w, t->left), t->prio, depth + 1);
    if (w->last && w->last >= t)
        flag(w, "index is not in address order");
    w->last = t;
    size_t rm = check_node(w, peek(w, t->right), t->prio, depth + 1);
    if (lm > m)
        m = lm;
    if (rm > m)
        m = rm;
    if (t->max != m)
        flag(w, "index max field is wrong");
    return m;
}

/* tree_check: violations in the index; *first names the first. Free chunks
 * it holds are counted against the heap walk by the caller through nodes. */
size_t tree_check(const char **first)
{
    struct walk w = {0, 0, NULL, NULL};
    check_node(&w, slz_H.root, UINT64_MAX, 0);
    if (slz_H.st.free_chunks != w.nodes)
        flag(&w, "index does not hold every free chunk");
    if (first)
        *first = w.first;
    return w.bad;
}
