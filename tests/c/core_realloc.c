/* core_realloc: realloc grows in place into a free successor that is big
 * enough (keeping the address and the contents), else moves; shrinks in
 * place, giving the tail back as a free chunk exactly when it can stand alone
 * (and merging it with a free successor); realloc(NULL, n) is malloc,
 * realloc(p, 0) frees; a failed realloc leaves the block as it was. */
#include <errno.h>
#include "core_view.h"

static _Alignas(16) char arena[256 * 1024];
static struct view v;

static struct vchunk chunk_at(const char *p)
{
    view_take(&v);
    struct vchunk *c = view_of(&v, p);
    struct vchunk none = {0};
    return c ? *c : none;
}

static uint64_t in_place(void)
{
    struct slz_heap_stats st;
    slz_heap_get_stats(HEAP, &st);
    return st.realloc_in_place;
}

int main(void)
{
    CHECK("heap on a static array", slz_heap_initialize_with(arena, sizeof arena) == 0);
    view_learn_header();

    /* grow into a free successor */
    char *a = slz_malloc(HEAP, 100), *b = slz_malloc(HEAP, 400), *g = slz_malloc(HEAP, 10);
    size_t sa = chunk_at(a).size, sb = chunk_at(b).size;
    fill(a, 100, 1);
    slz_free(HEAP, b);
    uint64_t k = in_place();
    char *r = slz_realloc(HEAP, a, 300);
    CHECK("grow into the free successor keeps the address", r == a);
    CHECK("grow keeps the contents", filled(r, 100, 1));
    CHECK("grow counted as in place", in_place() == k + 1);
    CHECK("grown chunk is exactly what 300 bytes need", chunk_at(a).size == need_for(300));
    struct vchunk rest = chunk_at(a - view_hdr + need_for(300));
    CHECK("the rest of the successor stays free", !rest.used && rest.size == sa + sb - need_for(300));
    CHECK("heap clean after grow", heap_clean());

    /* grow that takes the whole successor (rest would be under 64 bytes) */
    size_t all = sa + sb - view_hdr - 16;
    r = slz_realloc(HEAP, a, all);
    CHECK("grow over the whole successor keeps the address", r == a);
    CHECK("and spans both chunks up to the guard", chunk_at(a).size == sa + sb &&
          chunk_at(a - view_hdr + sa + sb).at == g - view_hdr);
    CHECK("still the contents", filled(a, 100, 1));
    CHECK("heap clean after whole grow", heap_clean());

    /* a successor too small: the block moves, contents kept, old chunk freed */
    fill(a, all, 2);
    char *c = slz_realloc(HEAP, a, all + 1000);
    CHECK("grow past a live neighbour moves the block", c != NULL && c != a);
    CHECK("the moved block keeps the contents", filled(c, all, 2));
    CHECK("the old chunk is free", !chunk_at(a).used);
    CHECK("heap clean after move", heap_clean());
    slz_free(HEAP, c);
    slz_free(HEAP, g);
    view_take(&v);
    CHECK("all free again (1)", v.n == 1 && !v.c[0].used);

    /* shrink: same address, tail freed when >= 64 bytes, merged with a free
     * successor */
    char *s = slz_malloc(HEAP, 1000), *g2 = slz_malloc(HEAP, 10);
    size_t ss = chunk_at(s).size;
    fill(s, 1000, 3);
    k = in_place();
    r = slz_realloc(HEAP, s, 200);
    CHECK("shrink keeps the address", r == s);
    CHECK("shrink keeps the first bytes", filled(s, 200, 3));
    CHECK("shrink counted in place", in_place() == k + 1);
    CHECK("shrunk chunk is exactly what 200 bytes need", chunk_at(s).size == need_for(200));
    rest = chunk_at(s - view_hdr + need_for(200));
    CHECK("the tail is a free chunk of the rest", !rest.used && rest.size == ss - need_for(200));
    CHECK("heap clean after shrink", heap_clean());
    size_t before = chunk_at(s).size;
    r = slz_realloc(HEAP, s, before - view_hdr - 40); /* would free a 32- or 48-byte tail */
    CHECK("a tail under 64 bytes is kept: same chunk", r == s && chunk_at(s).size == before);
    slz_free(HEAP, s);
    slz_free(HEAP, g2);
    view_take(&v);
    CHECK("all free again (2)", v.n == 1 && !v.c[0].used);
    /* shrink next to a free successor: the tail merges with it */
    char *t = slz_malloc(HEAP, 2000), *u = slz_malloc(HEAP, 500), *g3 = slz_malloc(HEAP, 10);
    size_t st_ = chunk_at(t).size, su = chunk_at(u).size;
    slz_free(HEAP, u);
    r = slz_realloc(HEAP, t, 100);
    rest = chunk_at(t - view_hdr + need_for(100));
    CHECK("shrink beside a free chunk: one merged free chunk", r == t && !rest.used &&
          rest.size == st_ - need_for(100) + su);
    CHECK("heap clean after merged shrink", heap_clean());

    /* realloc(NULL, n) is malloc: first fit */
    char *n1 = slz_realloc(HEAP, NULL, 100);
    CHECK("realloc(NULL, n) gives a block", n1 != NULL && slz_usable_size(HEAP, n1) >= 100);
    /* realloc(p, 0) frees p and returns NULL */
    r = slz_realloc(HEAP, n1, 0);
    CHECK("realloc(p, 0) returns NULL", r == NULL);
    CHECK("realloc(p, 0) freed the chunk", !chunk_at(n1).used);

    /* a failed realloc leaves the block intact */
    char *f = slz_malloc(HEAP, 300);
    fill(f, 300, 4);
    errno = 0;
    r = slz_realloc(HEAP, f, sizeof arena * 2);
    CHECK("realloc beyond the heap fails with ENOMEM", r == NULL && errno == ENOMEM);
    errno = 0;
    r = slz_realloc(HEAP, f, SIZE_MAX);
    CHECK("realloc(p, SIZE_MAX) fails with ENOMEM", r == NULL && errno == ENOMEM);
    CHECK("the block is still live and intact", chunk_at(f).used && filled(f, 300, 4) &&
          slz_usable_size(HEAP, f) >= 300);

    /* a random walk of grows and shrinks: contents always kept */
    enum { N = 64 };
    static char *p[N];
    static size_t len[N];
    int lost = 0, dirty = 0, moved = 0, kept = 0;
    for (int i = 0; i < 20000; i++) {
        int j = (int)(rnd() % N);
        size_t n = rnd() % 3000 + 1;
        char *q = slz_realloc(HEAP, p[j], n);
        if (q == NULL)
            continue; /* heap full: p[j] untouched */
        if (p[j] && !filled(q, len[j] < n ? len[j] : n, (unsigned)j))
            lost++;
        moved += p[j] && q != p[j];
        kept += p[j] && q == p[j];
        p[j] = q;
        len[j] = n;
        fill(q, n, (unsigned)j);
        if (i % 97 == 0)
            dirty += !heap_clean();
    }
    printf("random reallocs: %d moved, %d in place\n", moved, kept);
    CHECK("random reallocs keep contents", lost == 0);
    CHECK("random reallocs keep the heap clean", dirty == 0);
    CHECK("both in-place and moving reallocs happened", moved > 100 && kept > 100);
    for (int j = 0; j < N; j++)
        slz_free(HEAP, p[j]);
    slz_free(HEAP, f);
    slz_free(HEAP, t);
    slz_free(HEAP, g3);
    view_take(&v);
    CHECK("everything freed: one free chunk", v.n == 1 && !v.c[0].used);
    return CHECK_DONE();
}
