/* core_entry_fns: slz_heap_malloc_fn and slz_heap_free_fn give the
 * functions slz_malloc and slz_free call for a heap, as its mode wants: on a
 * plain heap a free is a real one (merged, first fit takes the place
 * again), with SLZ_CACHE it goes into the cache (and the next request of
 * its size takes it back), with SLZ_SECURE into the quarantine (never
 * served again while it waits); a double free through them is reported as
 * slz_free reports it (the shim calls them on its short ways). */
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#include "check.h"
#include "slz.h"

static struct slz_heap_stats stats(slz_heap *h)
{
    struct slz_heap_stats st;
    slz_heap_get_stats(h, &st);
    return st;
}

/* dies: a second free of p through the heap's free function aborts */
static int dies(unsigned flags)
{
    pid_t pid = fork();
    if (pid == 0) {
        close(2);
        slz_heap *h = slz_heap_create_flags(1 << 20, flags);
        slz_free_fn f = slz_heap_free_fn(h);
        void *p = slz_heap_malloc_fn(h)(h, 100);
        f(h, p);
        f(h, p);
        _exit(0);
    }
    int status;
    waitpid(pid, &status, 0);
    return WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT;
}

int main(void)
{
    static const unsigned modes[] = {0, SLZ_CACHE, SLZ_SECURE};
    for (int i = 0; i < 3; i++) {
        unsigned mode = modes[i];
        slz_heap *h = slz_heap_create_flags(1 << 20, mode);
        CHECK("heap made", h != NULL);
        slz_malloc_fn m = slz_heap_malloc_fn(h);
        slz_free_fn f = slz_heap_free_fn(h);
        char *a = m(h, 100), *b = m(h, 100);
        CHECK("blocks in address order, first fit", a && b && b == a + 128);
        memset(a, 1, 100);
        f(h, a);
        struct slz_heap_stats st = stats(h);
        CHECK("one block live", st.live_blocks == 1);
        CHECK("the free as the mode makes it: real (plain), held (cache, quarantine)",
              st.cached_blocks == (mode ? 1u : 0u) && st.free_chunks == (mode ? 1u : 2u));
        char *c = m(h, 100);
        CHECK("the place again (plain: first fit; cache: its hit), never from the quarantine",
              mode == SLZ_SECURE ? c == b + 128 : c == a);
        CHECK("the cache counts its hit", stats(h).cache_hits == (mode == SLZ_CACHE ? 1u : 0u));
        f(h, c);
        f(h, b);
        slz_heap_flush(h);
        st = stats(h);
        CHECK("all given back, merged", st.live_blocks == 0 && st.in_use == 0 && st.free_chunks == 1);
        CHECK("heap checks clean", slz_heap_check(h, NULL) == 0);
        CHECK("a double free through them is reported", dies(mode));
        slz_heap_destroy(h);
    }
    return CHECK_DONE();
}
