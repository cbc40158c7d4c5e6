/* shim_routing: blocks from every allocating entry point, once from the core
 * and once from glibc (after the heap was filled), go to the right owner in
 * free, realloc, reallocarray and malloc_usable_size. malloc_usable_size is
 * exact and writable for both owners: glibc's blocks report what glibc's own
 * malloc_usable_size says, every usable byte of every block can be written
 * (run with SLZ_CHECK=1 to have the core check its heap after each call), and
 * a realloc to the usable size stays in place. A realloc that moves a block
 * from the core to glibc keeps its contents. Run under the shim with a heap
 * of 1M; the owners are read from glibc's byte count (shim_probe.h). */
#define _GNU_SOURCE
#include <dlfcn.h>
#include "shim_probe.h"

enum { E = 9 };
static const char *const name[E] = {"malloc", "calloc", "realloc(NULL)", "reallocarray(NULL)",
                                    "posix_memalign", "aligned_alloc", "memalign", "valloc", "pvalloc"};

static void *get(int e, size_t n)
{
    void *p = NULL;
    switch (e) {
    case 0: return malloc(n);
    case 1: return calloc(n, 1);
    case 2: return realloc(NULL, n);
    case 3: return reallocarray(NULL, n, 1);
    case 4: return posix_memalign(&p, 64, n) == 0 ? p : NULL;
    case 5: return aligned_alloc(64, n);
    case 6: return memalign(128, n);
    case 7: return valloc(n);
    default: return pvalloc(n);
    }
}

static size_t (*glibc_usable)(void *);
static int failures_named;
static void fail(const char *what, int e, char owner)
{
    if (failures_named++ < 20)
        fprintf(stderr, "  %s: %s block from %s\n", what, name[e], owner == 'c' ? "the core" : "glibc");
}

/* exercise: usable size, writes, in-place realloc, then a realloc that moves
 * or stays, then free; all checked against the owner. */
static int exercise(void *p, int e, char owner)
{
    int bad = 0;
    size_t u = malloc_usable_size(p);
    if (u < 100)
        bad++, fail("usable size below the request", e, owner);
    if (owner == 'g' && u != glibc_usable(p))
        bad++, fail("usable size differs from glibc's own", e, owner);
    pfill(p, u, (unsigned)e);
    size_t before = glibc_bytes();
    void *q = realloc(p, u);
    if (q != p)
        bad++, fail("realloc to the usable size moved", e, owner);
    if ((glibc_bytes() != before) && owner == 'c')
        bad++, fail("realloc of a core block touched glibc", e, owner);
    if (!pfilled(q, u, (unsigned)e))
        bad++, fail("contents lost by realloc in place", e, owner);
    /* core: grow beyond the heap -> moves to glibc; glibc: shrink stays glibc's */
    size_t n2 = owner == 'c' ? (size_t)3 << 20 : 50;
    before = glibc_bytes();
    void *r = e % 2 ? reallocarray(q, n2, 1) : realloc(q, n2);
    if (!r)
        return bad + 1;
    size_t keep = u < n2 ? u : n2;
    if (!pfilled(r, keep, (unsigned)e))
        bad++, fail("contents lost by a realloc across owners", e, owner);
    if (owner == 'c' && glibc_bytes() <= before)
        bad++, fail("core block grown past the heap is not glibc's", e, owner);
    if (owner == 'g' && malloc_usable_size(r) != glibc_usable(r))
        bad++, fail("shrunk glibc block not glibc's", e, owner);
    memset(r, 0x77, malloc_usable_size(r));
    before = glibc_bytes();
    free(r);
    if (glibc_bytes() == before)
        bad++, fail("free of a glibc block did not reach glibc", e, owner);
    return bad;
}

int main(int argc, char **argv)
{
    (void)argc;
    probe_start(argv);
    void *libc = dlopen("libc.so.6", RTLD_NOW | RTLD_NOLOAD);
    glibc_usable = libc ? (size_t(*)(void *))dlsym(libc, "malloc_usable_size") : NULL;
    CHECK("found glibc's own malloc_usable_size", glibc_usable != NULL);
    if (!glibc_usable)
        return CHECK_DONE();
    char who_;
    void *core[E], *gl[E];
    char core_who[E], gl_who[E];
    for (int e = 0; e < E; e++) {
        WHO(core[e], get(e, 100));
        core_who[e] = who_;
    }
    /* fill the heap: big blocks, then 100-byte ones, until glibc serves */
    enum { FILL = 200000 };
    static void *filler[FILL];
    int nf = 0;
    for (size_t sz = 1u << 20; sz >= 100; sz /= 2) {
        while (nf < FILL) {
            void *f;
            WHO(f, malloc(sz));
            if (who_ == 'g') {
                free(f);
                break;
            }
            filler[nf++] = f;
        }
    }
    for (int e = 0; e < E; e++) {
        WHO(gl[e], get(e, 100));
        gl_who[e] = who_;
    }
    printf("heap filled with %d blocks\n", nf);
    int core_ok = 0, gl_ok = 0;
    for (int e = 0; e < E; e++) {
        core_ok += core[e] && core_who[e] == 'c';
        gl_ok += gl[e] && gl_who[e] == 'g';
        if (core_who[e] != 'c')
            fprintf(stderr, "  %s was not served by the core\n", name[e]);
        if (gl_who[e] != 'g')
            fprintf(stderr, "  %s was not served by glibc on a full heap\n", name[e]);
    }
    CHECK("every entry point served by the core while the heap has room", core_ok == E);
    CHECK("every entry point served by glibc once the heap is full", gl_ok == E);
    if (core_ok != E || gl_ok != E)
        return CHECK_DONE();

    /* free routing for blocks of both owners, plus usable size and realloc */
    int bad = 0;
    for (int e = 0; e < E; e++) {
        bad += exercise(core[e], e, 'c');
        bad += exercise(gl[e], e, 'g');
    }
    CHECK("usable size, realloc and free routed right for all 18 blocks", bad == 0);

    /* plain free of a core block leaves glibc alone, of a glibc block reaches it */
    int misrouted = 0;
    for (int i = 0; i < nf; i++) {
        size_t b = glibc_bytes();
        free(filler[i]);
        misrouted += glibc_bytes() != b;
    }
    CHECK("freeing the core's filler blocks never touched glibc", misrouted == 0);
    void *x;
    WHO(x, malloc(1000));
    CHECK("the emptied heap serves again", who_ == 'c');
    free(x);
    return CHECK_DONE();
}
