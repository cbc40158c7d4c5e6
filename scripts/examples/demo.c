/*
 * demo.c - a first walk through slz's first fit, one call at a time
 * (make demo). It uses only the public API (include/slz.h).
 *
 * Part 1 calls the five functions of the original design on the default
 * heap (one page); part 2 the readable names on a heap of its own. After
 * each call it draws the heap, one line per chunk (offset from the arena's
 * start, size with its 16-byte header, used or free), and says what the
 * call did. Every sentence is worked out from what the program sees: the
 * walk before the call, the walk after, and the pointer returned. If the
 * core split, merged or placed a chunk differently, the text would change
 * with it (tests/demo.bats compares it with tests/data/demo.out).
 *
 * The rules a learner needs to read the output: a request of n bytes takes
 * a chunk of n + 16 bytes (the header) rounded up to 16, and never less
 * than 64; first fit takes the lowest-addressed free chunk that holds it;
 * the rest of that chunk becomes a free chunk of its own when it is at
 * least 64 bytes; a freed chunk merges with free neighbours on both sides.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "slz.h"

#define HDR 16       /* header bytes before every payload */
#define MIN_CHUNK 64 /* the smallest chunk */
#define MAXC 64      /* chunks a walk keeps: the demo's heaps hold a dozen */

struct chunk {
    size_t off, size;
    int used;
};
struct walk {
    struct chunk c[MAXC];
    int n;
};

/* The heap on show, the walk before the current call, and after it. */
static slz_heap *heap;
static struct walk before, after;
static int step_no;

/* The blocks the demo holds, by name, so that the drawing can label them,
 * and the bytes each filled its block with (calloc shows they are gone). */
static struct {
    const char *name;
    void *p;
} blocks[16];
static struct {
    size_t off, len;
    char letter;
} fills[32];
static int nfills;

/* ---- Walks ------------------------------------------------------------- */

static int record(void *chunk, size_t size, int used, void *arg)
{
    struct walk *w = arg;
    if (w->n == MAXC)
        return 1;
    w->c[w->n++] = (struct chunk){(size_t)((char *)chunk - (char *)slz_heap_base(heap)), size, used};
    return 0;
}

static void take_walk(struct walk *w)
{
    w->n = 0;
    if (heap)
        slz_heap_walk(heap, record, w);
}

/* find: the chunk of w that begins at offset off (AT), holds it (HOLDING)
 * or ends at it (ENDING), or NULL; at, holding, ending name the three. */
enum where { AT, HOLDING, ENDING };
static const struct chunk *find(const struct walk *w, enum where how, size_t off)
{
    for (int i = 0; i < w->n; i++) {
        size_t lo = w->c[i].off, end = lo + w->c[i].size;
        if (how == AT ? lo == off : how == ENDING ? end == off : lo <= off && off < end)
            return &w->c[i];
    }
    return NULL;
}
static const struct chunk *at(const struct walk *w, size_t off) { return find(w, AT, off); }
static const struct chunk *holding(const struct walk *w, size_t off) { return find(w, HOLDING, off); }
static const struct chunk *ending(const struct walk *w, size_t off) { return find(w, ENDING, off); }

static size_t offset_of(const void *p) { return (size_t)((const char *)p - (const char *)slz_heap_base(heap)); }

static int is_top(const struct chunk *c) { return !c->used && c->off + c->size == slz_heap_size(heap); }

/* ---- Saying it --------------------------------------------------------- */

/* say: add to the sentence being written; at its newline it is printed,
 * wrapped to WIDTH columns under the step's title. */
#define WIDTH 100
static char said[1024];
static size_t nsaid;

static void say(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int k = vsnprintf(said + nsaid, sizeof said - nsaid, fmt, ap);
    va_end(ap);
    nsaid += k < 0 ? 0 : (size_t)k < sizeof said - nsaid ? (size_t)k : sizeof said - nsaid - 1;
    if (nsaid == 0 || said[nsaid - 1] != '\n')
        return;
    said[--nsaid] = 0;
    const char *w = said;
    for (int col = 0, indent = 3; *w;) {
        size_t len = strcspn(w, " ");
        if (col > indent && col + 1 + (int)len > WIDTH) {
            printf("\n");
            col = 0, indent = 5;
        }
        col += col ? printf(" %.*s", (int)len, w) : printf("%*s%.*s", indent, "", (int)len, w);
        w += len + (w[len] == ' ');
    }
    printf("\n");
    nsaid = 0;
}

/* ---- Drawing ----------------------------------------------------------- */

static const char *label(const struct chunk *c)
{
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (c->used && blocks[i].p && holding(&after, offset_of(blocks[i].p)) == c)
            return blocks[i].name;
    return is_top(c) ? "(top)" : "";
}

/* draw: the heap after the call, then the invariant checker's verdict when
 * it finds anything. */
static void draw(void)
{
    printf("      offset   size  state\n");
    for (int i = 0; i < after.n; i++) {
        const struct chunk *c = &after.c[i];
        const char *name = label(c);
        printf("    %8zu %6zu  %s%s%s\n", c->off, c->size, c->used ? "used" : "free", *name ? "  " : "", name);
    }
    const char *why = NULL;
    size_t bad = heap ? slz_heap_check(heap, &why) : 0;
    if (bad)
        printf("    slz_heap_check: %zu violations, first: %s\n", bad, why);
}

/* step: a new step; the call is printed as written in this file. */
#define STEP(call) (begin(#call), call)
static void begin(const char *call)
{
    take_walk(&before);
    printf("\n%d. %s\n", ++step_no, call);
}

static void name_block(const char *name, void *p)
{
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++)
        if (blocks[i].name == NULL || strcmp(blocks[i].name, name) == 0) {
            blocks[i].name = name;
            blocks[i].p = p;
            return;
        }
}

/* fill: write the block's first letter into its n bytes (and remember it). */
static void fill(const char *name, void *p, size_t n)
{
    memset(p, name[0], n);
    if (nfills < (int)(sizeof fills / sizeof fills[0]))
        fills[nfills++] = (typeof(fills[0])){offset_of(p), n, name[0]};
}

/* ---- What a call did --------------------------------------------------- */

/* chunk_for: the chunk size a request of n bytes takes. */
static size_t chunk_for(size_t n)
{
    size_t c = (n + HDR + 15) / 16 * 16;
    return c < MIN_CHUNK ? MIN_CHUNK : c;
}

static void say_request(size_t n)
{
    size_t raw = (n + HDR + 15) / 16 * 16;
    say("%zu byte%s asked: with the 16-byte header, rounded up to 16, a %zu-byte chunk", n, n == 1 ? "" : "s", raw);
    if (raw < MIN_CHUNK)
        say(", raised to the 64-byte minimum: a %d-byte chunk", MIN_CHUNK);
    say(".\n");
}

/* say_passed: the free chunks of before below off, which first fit passed
 * over; each should be too small for a chunk of want bytes. */
static void say_passed(size_t off, size_t want)
{
    int n = 0;
    for (int i = 0; i < before.n && before.c[i].off < off; i++)
        n += !before.c[i].used;
    if (n == 0)
        say(", with nothing free below it");
    const char *lead = n > 1 ? ", passing over the free chunks at " : ", passing over the free chunk at ";
    for (int i = 0, k = 0; i < before.n && before.c[i].off < off; i++) {
        const struct chunk *c = &before.c[i];
        if (c->used)
            continue;
        say("%s%zu (%zu bytes%s)", k++ ? ", " : lead, c->off, c->size,
            c->size < want ? ", too small" : ", big enough: NOT first fit");
    }
}

/* say_split: the chunk taken at off was free and taken bytes long before;
 * what became of the bytes the block did not need. */
static void say_split(const struct chunk *got, size_t taken, size_t want)
{
    const struct chunk *rest = at(&after, got->off + got->size);
    if (got->size < taken && rest && !rest->used)
        say("Split: the block keeps %zu bytes; the remainder, %zu bytes at %zu, stays free%s.\n", got->size,
            rest->size, rest->off, is_top(rest) ? " as the new top" : "");
    else if (got->size < taken)
        say("The block keeps %zu of the %zu bytes, and no free remainder follows it!\n", got->size, taken);
    else if (taken > want)
        say("No split: the %zu bytes left over would be a chunk under the 64-byte minimum, "
            "so the block takes all %zu bytes.\n", taken - want, taken);
    else
        say("No split: the chunk is exactly the size needed.\n");
}

/* say_take: how first fit placed a block of n bytes at p. */
static void say_take(void *p, size_t n)
{
    const struct chunk *got = holding(&after, offset_of(p));
    const struct chunk *was = got ? at(&before, got->off) : NULL;
    if (!got || !was || was->used) {
        say("The block at %zu was not a free chunk before the call!\n", offset_of(p));
        return;
    }
    say("First fit took the free chunk at %zu (%zu bytes%s)", was->off, was->size,
           is_top(was) ? ", the top" : "");
    say_passed(was->off, chunk_for(n));
    say(".\n");
    say_split(got, was->size, chunk_for(n));
}

/* say_unchanged: whether the call left every chunk as it was. */
static void say_unchanged(void)
{
    int same = before.n == after.n;
    for (int i = 0; same && i < before.n; i++)
        same = before.c[i].off == after.c[i].off && before.c[i].size == after.c[i].size &&
               before.c[i].used == after.c[i].used;
    say("The heap is %s.\n", same ? "unchanged" : "CHANGED, though the call failed");
}

/* say_neighbour: why the chunk on one side of a freed range did not merge. */
static void say_neighbour(const char *side, const struct chunk *c, const char *edge)
{
    if (c == NULL)
        say("%s", edge);
    else if (c->used)
        say("the chunk %s (at %zu) is in use", side, c->off);
    else
        say("the chunk %s (at %zu) is free, yet NOT merged", side, c->off);
}

/* say_merge: the bytes [off, off + size) have just been given back; what
 * the free chunk that holds them now is made of. */
static void say_merge(size_t off, size_t size)
{
    const struct chunk *m = holding(&after, off);
    if (!m || m->used) {
        say("The bytes at %zu are NOT free after the call!\n", off);
        return;
    }
    int below = m->off < off, above = m->off + m->size > off + size;
    const struct chunk *lo = below ? at(&before, m->off) : NULL, *hi = above ? at(&before, off + size) : NULL;
    if (below && above)
        say("Coalesced with both neighbours, the free chunk below (at %zu, %zu bytes) and the one above "
            "(at %zu, %zu bytes%s)", lo ? lo->off : 0, lo ? lo->size : 0, hi ? hi->off : 0, hi ? hi->size : 0,
            hi && is_top(hi) ? ", the top" : "");
    else if (below)
        say("Coalesced with the free neighbour below (at %zu, %zu bytes)", lo ? lo->off : 0, lo ? lo->size : 0);
    else if (above)
        say("Coalesced with the free neighbour above (at %zu, %zu bytes%s)", hi ? hi->off : 0, hi ? hi->size : 0,
            hi && is_top(hi) ? ", the top" : "");
    if (below || above) {
        say(": one free chunk of %zu bytes at %zu%s.\n", m->size, m->off, is_top(m) ? ", the top" : "");
        return;
    }
    say("Nothing to coalesce: ");
    say_neighbour("below", ending(&after, off), "it is the first chunk of the arena");
    say(" and ");
    say_neighbour("above", at(&after, off + size), "it ends the arena");
    say(".\n");
}


/* ---- After each kind of call ------------------------------------------- */

static void say_null(size_t n)
{
    const struct chunk *big = NULL;
    for (int i = 0; i < before.n; i++)
        if (!before.c[i].used && (!big || before.c[i].size > big->size))
            big = &before.c[i];
    say("NULL (errno %s): ", errno == ENOMEM ? "ENOMEM" : strerror(errno));
    if (chunk_for(n) > slz_heap_size(heap))
        say("a %zu-byte chunk is more than the whole arena (%zu bytes)", chunk_for(n), slz_heap_size(heap));
    else if (big && big->size >= chunk_for(n))
        say("yet the free chunk at %zu (%zu bytes) holds %zu", big->off, big->size, chunk_for(n));
    else if (big)
        say("no free chunk holds %zu bytes; the largest is %zu bytes, at %zu", chunk_for(n), big->size, big->off);
    else
        say("no chunk is free");
    say(".\n");
    say_unchanged();
}

/* say_alloc: a block of n bytes asked for, p what came back. */
static void say_alloc(const char *name, void *p, size_t n)
{
    take_walk(&after);
    say_request(n);
    if (p == NULL) {
        say_null(n);
        return;
    }
    say_take(p, n);
    name_block(name, p);
}

static void after_malloc(const char *name, void *p, size_t n)
{
    say_alloc(name, p, n);
    if (p) {
        fill(name, p, n);
        say("%s = arena + %zu, past the header of its chunk at %zu; filled with '%c'.\n", name, offset_of(p),
            holding(&after, offset_of(p))->off, name[0]);
    }
    draw();
}

/* filled_before: the last fill that wrote into [off, off + n), or -1. */
static int filled_before(size_t off, size_t n)
{
    for (int i = nfills - 1; i >= 0; i--)
        if (fills[i].off < off + n && off < fills[i].off + fills[i].len)
            return i;
    return -1;
}

static void after_calloc(const char *name, void *p, size_t count, size_t size)
{
    size_t n = count * size, zero = 0;
    say_alloc(name, p, n);
    if (p) {
        int f = filled_before(offset_of(p), n);
        for (size_t i = 0; i < n; i++)
            zero += ((unsigned char *)p)[i] == 0;
        say("%s = arena + %zu: %zu of its %zu bytes read zero", name, offset_of(p), zero, n);
        if (f >= 0)
            say(", where block %c had left '%c' bytes", fills[f].letter, fills[f].letter);
        say(".\n");
    }
    draw();
}

static void after_free(const char *name, void *p)
{
    take_walk(&after);
    const struct chunk *was = holding(&before, offset_of(p));
    say("%s's chunk at %zu (%zu bytes) is free again.\n", name, was->off, was->size);
    say_merge(was->off, was->size);
    name_block(name, NULL);
    draw();
}

/* say_in_place: realloc kept the block where it was, in chunk was (before). */
static void say_in_place(const struct chunk *was, size_t n)
{
    const struct chunk *got = holding(&after, was->off), *nx = at(&before, was->off + was->size);
    if (got->size > was->size && nx) {
        const struct chunk *rest = at(&after, got->off + got->size);
        say("Grown in place from %zu to %zu bytes, into the free chunk above (at %zu, %zu bytes%s)",
            was->size, got->size, nx->off, nx->size, is_top(nx) ? ", the top" : "");
        if (rest && !rest->used && rest->off < nx->off + nx->size)
            say("; its other %zu bytes, at %zu, stay free%s.\n", rest->size, rest->off,
                   is_top(rest) ? " as the top" : "");
        else
            say(", all of it.\n");
    } else if (got->size < was->size) {
        say("Shrunk in place from %zu to %zu bytes; the tail, %zu bytes at %zu, is given back.\n", was->size,
            got->size, was->size - got->size, got->off + got->size);
        say_merge(got->off + got->size, was->size - got->size);
    } else {
        say("Done in place: the %zu-byte chunk already holds %zu bytes", was->size, n);
        if (was->size > chunk_for(n))
            say(" (the %zu bytes it could spare are under the 64-byte minimum)", was->size - chunk_for(n));
        say(".\n");
    }
}

/* say_moved: realloc could not keep the block in chunk was (before). */
static void say_moved(const struct chunk *was, void *p, size_t n)
{
    const struct chunk *nx = at(&before, was->off + was->size);
    say("Moved: it cannot grow in place, as ");
    if (nx == NULL)
        say("it ends the arena.\n");
    else if (nx->used)
        say("the chunk above (at %zu) is in use.\n", nx->off);
    else
        say("the free chunk above (at %zu) is too small (%zu bytes).\n", nx->off, nx->size);
    say_take(p, n);
    say("The old chunk at %zu (%zu bytes) is freed.\n", was->off, was->size);
    say_merge(was->off, was->size);
}

/* say_kept: the bytes the block held before realloc are still there. */
static void say_kept(void *old, void *p, size_t n)
{
    int f = filled_before(offset_of(old), 1);
    if (f < 0)
        return;
    size_t len = fills[f].len < n ? fills[f].len : n, same = 0;
    for (size_t i = 0; i < len; i++)
        same += ((char *)p)[i] == fills[f].letter;
    if (p == old)
        say("The block stayed put: %zu of its %zu '%c' bytes are still there.\n", same, len, fills[f].letter);
    else
        say("Copied: %zu of its %zu '%c' bytes are in the new block.\n", same, len, fills[f].letter);
}

static void after_realloc(const char *name, void *old, void *p, size_t n)
{
    take_walk(&after);
    const struct chunk *was = holding(&before, offset_of(old));
    say_request(n);
    if (p == NULL) {
        say_null(n);
        say("%s stays as it was.\n", name);
    } else {
        if (p == old)
            say_in_place(was, n);
        else
            say_moved(was, p, n);
        say_kept(old, p, n);
        name_block(name, p);
        fill(name, p, n);
    }
    draw();
}

/* after_create: a new heap; what its arena holds. */
static void after_create(slz_heap *h)
{
    heap = h;
    memset(blocks, 0, sizeof blocks); /* names and fills are the last heap's */
    nfills = 0;
    take_walk(&after);
    if (h == NULL) {
        say("No heap: the system refused the memory.\n");
        return;
    }
    say("A heap whose arena is %zu bytes", slz_heap_size(h));
    if (after.n == 1 && is_top(&after.c[0]))
        say(": one free chunk, the top, that first fit will cut blocks from");
    say(".\n");
    draw();
}

/* ---- The walk-through -------------------------------------------------- */

/* Part 1: the original five functions on the default heap. */
static void part1(void)
{
    void *a, *b, *c, *d, *e, *f, *old;
    int rc;
    printf("\nPart 1: the five functions of the original design, on the default heap.\n");
    STEP(rc = slz_heap_initialize_impl());
    say("It returned %d.\n", rc);
    after_create(slz_default_heap());
    STEP(a = slz_Heap_Allocator_impl(100));
    after_malloc("a", a, 100);
    STEP(b = slz_Heap_Allocator_impl(1));
    after_malloc("b", b, 1);
    STEP(c = slz_Heap_Allocator_impl(200));
    after_malloc("c", c, 200);
    STEP(d = slz_Heap_Allocator_impl(40));
    after_malloc("d", d, 40);
    STEP(slz_Heap_deAllocator_impl(a));
    after_free("a", a);
    STEP(slz_Heap_deAllocator_impl(c));
    after_free("c", c);
    STEP(e = slz_Heap_Allocator_impl(150));
    after_malloc("e", e, 150);
    STEP(f = slz_Heap_Allocator_init_impl(4, 25));
    after_calloc("f", f, 4, 25);
    old = d;
    STEP(d = slz_Heap_reAllocator_impl(d, 300));
    after_realloc("d", old, d, 300);
    old = b;
    STEP(b = slz_Heap_reAllocator_impl(b, 100));
    after_realloc("b", old, b, 100);
}

/* Part 2's heap and blocks. MALLOC and FREE: one numbered step on h (its
 * call printed as written here) and what it changed. */
static slz_heap *h;
static void *A, *B, *C, *D, *E, *F, *G, *H, *I, *J;
#define MALLOC(X, n) (STEP(X = slz_malloc(h, n)), after_malloc(#X, X, n))
#define FREE(X) (STEP(slz_free(h, X)), after_free(#X, X))

/* Part 2, first half: seven blocks in a row, then three holes. */
static void part2_holes(void)
{
    MALLOC(A, 112);
    MALLOC(B, 112);
    MALLOC(C, 112);
    MALLOC(D, 240);
    MALLOC(E, 112);
    MALLOC(F, 496);
    MALLOC(G, 112);
    FREE(B);
    FREE(D);
    FREE(F);
}

/* Part 2: the readable names on a heap of the demo's own. */
static void part2(void)
{
    void *old;
    printf("\nPart 2: the readable names, on a heap of our own.\n");
    STEP(h = slz_heap_create(4096));
    after_create(h);
    part2_holes();
    MALLOC(H, 300);
    FREE(E);
    FREE(C);
    FREE(A);
    old = H;
    STEP(H = slz_realloc(h, H, 100));
    after_realloc("H", old, H, 100);
    STEP(I = slz_calloc(h, 10, 10));
    after_calloc("I", I, 10, 10);
    MALLOC(J, 3000);
    FREE(G);
    FREE(H);
    FREE(I);
    slz_heap_destroy(h);
}

int main(void)
{
    long page = sysconf(_SC_PAGESIZE);
    printf("slz, first fit, one call at a time. Offsets count from the arena's start; a chunk's\n"
           "size includes its 16-byte header; no chunk is under 64 bytes.\n");
    if (page == 4096)
        printf("The page is 4096 bytes: a one-page heap has a 4096-byte arena.\n");
    else
        printf("NOTE: this machine's page is %ld bytes, not 4096: the heaps below are bigger than\n"
               "the walk-through in tests/data/demo.out, and their top chunks differ from it.\n", page);
    setvbuf(stdout, NULL, _IOLBF, 0);
    part1();
    part2();
    return 0;
}
