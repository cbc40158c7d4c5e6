/* core_errno: impossible requests return NULL with ENOMEM and change
 * nothing; malloc(0) gives unique blocks; free keeps errno; the default heap
 * is one page, mapped once (initialisation is idempotent); caller memory that
 * is too small or offered twice is refused. */
#include <errno.h>
#include <unistd.h>
#include "core_view.h"

static _Alignas(16) char arena[64 * 1024];

int main(void)
{
    /* the default heap */
    CHECK("default heap maps", slz_heap_initialize_impl() == 0);
    void *base = slz_heap_base(HEAP);
    CHECK("default heap is one page", slz_heap_size(HEAP) == (size_t)sysconf(_SC_PAGESIZE));
    CHECK("initialising again is a no-op", slz_heap_initialize_impl() == 0 && slz_heap_base(HEAP) == base);
    CHECK("initialise with a size while set up is a no-op",
          slz_heap_initialize_size(1u << 20) == 0 && slz_heap_base(HEAP) == base &&
          slz_heap_size(HEAP) == (size_t)sysconf(_SC_PAGESIZE));
    CHECK("caller memory refused while a heap is set up", slz_heap_initialize_with(arena, sizeof arena) != 0);
    void *p = slz_malloc(HEAP, 100);
    CHECK("the core serves from its own heap", p && slz_owns(HEAP, p) && !slz_owns(HEAP, arena));
    slz_free(HEAP, p);
    slz_heap_release();
    CHECK("released: no heap", slz_default_heap() == NULL);
    p = slz_malloc(HEAP, 10);
    CHECK("malloc without a heap maps the default one", p && slz_heap_size(HEAP) == (size_t)sysconf(_SC_PAGESIZE));
    slz_heap_release();

    CHECK("caller memory too small is refused", slz_heap_initialize_with(arena, 32) != 0);
    CHECK("heap on a static array", slz_heap_initialize_with(arena, sizeof arena) == 0);
    view_learn_header();

    errno = 0;
    CHECK("malloc(SIZE_MAX): NULL, ENOMEM", slz_malloc(HEAP, SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("malloc(SIZE_MAX - 15): NULL, ENOMEM", slz_malloc(HEAP, SIZE_MAX - 15) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("malloc of more than the heap can ever hold: NULL, ENOMEM",
          slz_malloc(HEAP, slz_max_request(HEAP) + 1) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("calloc(SIZE_MAX, SIZE_MAX): NULL, ENOMEM",
          slz_calloc(HEAP, SIZE_MAX, SIZE_MAX) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("aligned SIZE_MAX: NULL, ENOMEM", slz_memalign(HEAP, 64, SIZE_MAX) == NULL && errno == ENOMEM);
    struct slz_heap_stats st;
    slz_heap_get_stats(HEAP, &st);
    CHECK("failed requests changed nothing", st.live_blocks == 0 && st.free_chunks == 1 && heap_clean());
    CHECK("failures are counted", st.failures >= 5);

    char *all = slz_malloc(HEAP, slz_max_request(HEAP));
    CHECK("the largest request fills the heap exactly", all != NULL);
    errno = 0;
    CHECK("a full heap: malloc(0) NULL, ENOMEM", slz_malloc(HEAP, 0) == NULL && errno == ENOMEM);
    errno = 0;
    CHECK("a full heap: calloc NULL, ENOMEM", slz_calloc(HEAP, 1, 1) == NULL && errno == ENOMEM);
    slz_free(HEAP, all);

    /* malloc(0): unique, freeable, at least the minimum chunk */
    enum { Z = 100 };
    char *z[Z];
    int dup = 0;
    for (int i = 0; i < Z; i++) {
        z[i] = slz_malloc(HEAP, 0);
        for (int j = 0; j < i; j++)
            dup += z[i] == z[j];
    }
    CHECK("100 malloc(0) blocks are all distinct and non-NULL", dup == 0 && z[0] && z[Z - 1]);
    CHECK("malloc(0) block has usable bytes", slz_usable_size(HEAP, z[0]) == SLZ_TEST_MIN_CHUNK - view_hdr);
    int kept = 0;
    for (int i = 0; i < Z; i++) {
        errno = 4242;
        slz_free(HEAP, z[i]);
        kept += errno == 4242;
    }
    CHECK("free keeps errno", kept == Z);
    errno = 77;
    slz_free(HEAP, NULL);
    CHECK("free(NULL) does nothing and keeps errno", errno == 77);
    CHECK("usable size of NULL is 0", slz_usable_size(HEAP, NULL) == 0);
    p = slz_realloc(HEAP, NULL, 0);
    CHECK("realloc(NULL, 0) is malloc(0): a unique block", p != NULL);
    CHECK("realloc(p, 0) frees and returns NULL", slz_realloc(HEAP, p, 0) == NULL);
    slz_heap_get_stats(HEAP, &st);
    CHECK("nothing live at the end", st.live_blocks == 0 && heap_clean());

    /* SLZ_KEEP_ERRNO (the shim's heaps): a refusal leaves errno alone, in
     * the exact mode and the fast one (which asks first fit again after
     * emptying its cache) */
    unsigned modes[2] = {SLZ_KEEP_ERRNO, SLZ_KEEP_ERRNO | SLZ_CACHE};
    for (int m = 0; m < 2; m++) {
        slz_heap *k = slz_heap_create_flags(64 * 1024, modes[m]);
        void *held = slz_malloc(k, 100);
        slz_free(k, slz_malloc(k, 100)); /* (cached in the fast mode) */
        errno = 4242;
        CHECK("SLZ_KEEP_ERRNO: more than the heap holds: NULL, errno kept",
              slz_malloc(k, slz_max_request(k) + 1) == NULL && errno == 4242);
        errno = 4242;
        CHECK("SLZ_KEEP_ERRNO: no room: NULL, errno kept", slz_malloc(k, slz_max_request(k)) == NULL && errno == 4242);
        slz_free(k, held);
        slz_heap_flush(k);
        CHECK("SLZ_KEEP_ERRNO: the heap still serves", slz_malloc(k, slz_max_request(k)) != NULL);
        slz_heap_get_stats(k, &st);
        CHECK("SLZ_KEEP_ERRNO: refusals counted", st.failures == 2);
    }
    return CHECK_DONE();
}
