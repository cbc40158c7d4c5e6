/* core_handover_race: the orders of the cross-thread hand-over that a
 * stress test may never hit, made deterministic without a hook in the
 * library: the pages of the heap's state that a free by another thread
 * touches (its word of the pending bits, the summary word above it, its
 * cell's start and used bits) are made inaccessible, so that thread B stops
 * at each of its accesses in turn (SIGSEGV: the handler gives the page back
 * and returns, which repeats the access); at the chosen one it waits while
 * the owner frees and reallocates the block. The order of B's steps (mark
 * the pending bit, then read the bits: see free.c) decides each case:
 *
 *  A. B is between its mark and its check when the owner frees p and
 *     allocates again at p: the owner's free is a double free (B's came
 *     first); its free cannot tell yet (B has not raised the summary bits),
 *     its carve at p sees B's bit and reports. (The old order, check then
 *     mark, stopped B between check and mark here: no report, and the new
 *     block was released at the owner's next call.)
 *  B. The owner freed p before; B's mark lands, then the owner allocates at
 *     p before B checks: the owner's carve sees the bit and reports.
 *  C. The owner frees p and allocates again at p before B's mark: B checks
 *     the new block, sees it live, and its free is a free of that block: no
 *     report, and the owner's next call releases it. This is the stale free
 *     after reuse, which no allocator that reuses memory at once can tell
 *     from a legitimate free of the new block: the guarantee is that the
 *     block B checked is the block released.
 *  E. B's free is legitimate and the owner takes it (its next call) between
 *     B's mark and check: B finds the block free but its bit taken, and
 *     says nothing.
 *  F. As A, but the owner allocates a block elsewhere first (it passes the
 *     fence that a block given up calls for), then at p: that carve, with
 *     no fence of its own (none is due), still sees B's bit and reports.
 *  D. The same stale free without the pages: the owner frees p, allocates
 *     at p, then B frees p: as C. And the owner frees p, then B frees p: B
 *     reports the double free itself. */
#define _GNU_SOURCE
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "check.h"
#include "chunk.h"

static __thread sigjmp_buf *back;
static const char *seen; /* the last report (atomic) */
static int seen_in_b;    /* ... made by thread B */
static __thread int in_b;

static void on_report(const char *op, const char *what, const void *ptr)
{
    (void)op, (void)ptr;
    __atomic_store_n(&seen, what, __ATOMIC_SEQ_CST);
    seen_in_b = in_b;
    siglongjmp(*back, 1);
}

/* ---- Stopping B at its n-th access to the watched pages ---------------- */
#define WATCHED 3
static uintptr_t page_of[WATCHED];
static size_t pagesz;
static int faults, pause_at, go, done; /* atomic */

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)uc;
    uintptr_t a = (uintptr_t)si->si_addr & ~(uintptr_t)(pagesz - 1);
    for (int i = 0; i < WATCHED; i++)
        if (page_of[i] == a) {
            mprotect((void *)a, pagesz, PROT_READ | PROT_WRITE);
            if (__atomic_add_fetch(&faults, 1, __ATOMIC_SEQ_CST) == pause_at) {
                __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST);
                while (!__atomic_load_n(&done, __ATOMIC_SEQ_CST))
                    sched_yield();
            }
            return;
        }
    signal(sig, SIG_DFL); /* not ours: crash as usual */
}

struct job {
    slz_heap *h;
    void *p;
};
static void *thread_b(void *arg)
{
    struct job *j = arg;
    sigjmp_buf here;
    back = &here;
    in_b = 1;
    for (int i = 0; i < WATCHED; i++)
        mprotect((void *)page_of[i], pagesz, PROT_NONE);
    if (sigsetjmp(here, 0) == 0)
        slz_free_deferred(j->h, j->p);
    __atomic_store_n(&go, 1, __ATOMIC_SEQ_CST); /* (if it never stopped) */
    return NULL;
}

struct outcome {
    const char *report; /* NULL: none */
    int by_b;           /* the report came from thread B */
    int same_place;     /* the owner's new block is at p */
    int released;       /* without a report: the owner's next call released a block */
};

/* act: the owner frees p (unless it did before B began) and, if again,
 * allocates a block of the same size (at p, first fit); again == TAKE: the
 * owner only takes the frees other threads left (as its next call would);
 * again == ELSEWHERE: a block too big for p's place first. */
#define TAKE 2
#define ELSEWHERE 3
static void act(slz_heap *h, void *p, int freed_before, int again, struct outcome *o)
{
    if (again == TAKE) {
        slz_heap_collect(h);
        o->same_place = 1;
        return;
    }
    if (!freed_before)
        slz_free(h, p);
    if (again == ELSEWHERE)
        CHECK("F: the bigger block is not at p", slz_malloc(h, 300) != p);
    if (again)
        o->same_place = slz_malloc(h, 100) == p;
}

/* run: thread B frees p while the owner (this thread) acts, at B's access
 * number stop to the watched pages; stop 0: the owner acts before B
 * begins. freed_before: the owner freed p before either. */
static struct outcome run(int stop, int freed_before, int again)
{
    struct outcome o = {0};
    slz_heap *h = slz_heap_create(1 << 20);
    void *a = slz_malloc(h, 100), *far = slz_malloc(h, 600 << 10); /* (p's cell far from the heap's page) */
    void *p = slz_malloc(h, 100), *c = slz_malloc(h, 100);
    slz_free_deferred(h, a); /* the heap has had a free from another thread */
    void *a2 = slz_malloc(h, 100); /* (takes it back, in a's place: p's is the only hole below the top) */
    uint32_t g = grain_of(h, mem2chunk(p));
    page_of[0] = (uintptr_t)&h->pend[0][g / SLZ_CELL] & ~(uintptr_t)(pagesz - 1);
    page_of[1] = (uintptr_t)&h->pend[1][g / SLZ_CELL / 64] & ~(uintptr_t)(pagesz - 1);
    page_of[2] = (uintptr_t)cell_of(h, g) & ~(uintptr_t)(pagesz - 1);
    uintptr_t hp = (uintptr_t)h & ~(uintptr_t)(pagesz - 1);
    CHECK("the watched pages are three, and not the heap's own", page_of[0] != page_of[1] && page_of[1] != page_of[2] &&
                                                                      page_of[0] != page_of[2] && page_of[0] != hp &&
                                                                      page_of[1] != hp && page_of[2] != hp);
    if (freed_before)
        slz_free(h, p);
    __atomic_store_n(&faults, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&pause_at, stop ? stop : WATCHED + 1, __ATOMIC_SEQ_CST);
    __atomic_store_n(&go, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&done, 0, __ATOMIC_SEQ_CST);
    __atomic_store_n(&seen, NULL, __ATOMIC_SEQ_CST);
    sigjmp_buf here;
    back = &here;
    if (!stop && sigsetjmp(here, 0) == 0)
        act(h, p, freed_before, again, &o);
    struct job j = {h, p};
    pthread_t t;
    pthread_create(&t, NULL, thread_b, &j);
    while (!__atomic_load_n(&go, __ATOMIC_SEQ_CST))
        sched_yield();
    if (stop && sigsetjmp(here, 0) == 0 && !__atomic_load_n(&seen, __ATOMIC_SEQ_CST))
        act(h, p, freed_before, again, &o);
    __atomic_store_n(&done, 1, __ATOMIC_SEQ_CST);
    pthread_join(t, NULL);
    struct slz_heap_stats st0, st1;
    if (sigsetjmp(here, 0) == 0 && !__atomic_load_n(&seen, __ATOMIC_SEQ_CST)) {
        slz_heap_get_stats(h, &st0);
        slz_heap_collect(h);
        slz_heap_get_stats(h, &st1);
        o.released = st1.live_blocks < st0.live_blocks;
    }
    o.report = __atomic_load_n(&seen, __ATOMIC_SEQ_CST);
    o.by_b = seen_in_b;
    (void)c, (void)far, (void)a2;
    return o; /* (the heap is left as it is: it may be half-way through a change) */
}

static int is(const char *a, const char *b) { return a && strcmp(a, b) == 0; }

int main(void)
{
    pagesz = (size_t)sysconf(_SC_PAGESIZE);
    slz_set_error_handler(on_report);
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO | SA_NODEFER;
    sigaction(SIGSEGV, &sa, NULL);

    struct outcome o = run(2, 0, 1);
    printf("A: owner frees and reallocates between B's mark and check: %s (%s); released: %d\n",
           o.report ? o.report : "no report", o.by_b ? "thread B" : "owner", o.released);
    CHECK("A: the owner's free after B's mark is a double free", is(o.report, "double free") && !o.by_b);

    o = run(2, 0, ELSEWHERE);
    printf("F: as A, a block elsewhere first, then at p: %s (%s)\n", o.report ? o.report : "no report",
           o.by_b ? "thread B" : "owner");
    CHECK("F: the owner's carve at p, with no fence due, sees B's bit and reports",
          is(o.report, "double free") && !o.by_b);

    o = run(2, 1, 1);
    printf("B: p freed before, owner reallocates between B's mark and check: %s (%s)\n",
           o.report ? o.report : "no report", o.by_b ? "thread B" : "owner");
    CHECK("B: the owner's carve sees B's bit and reports", is(o.report, "double free") && !o.by_b);

    o = run(1, 0, 1);
    printf("C: owner frees and reallocates at p before B's mark: %s; new block at p: %d; released: %d\n",
           o.report ? o.report : "no report", o.same_place, o.released);
    CHECK("C: a stale free after reuse frees the new block (no report, released at the owner's next call)",
          !o.report && o.same_place && o.released);

    o = run(3, 0, TAKE);
    printf("E: B's free is legitimate; the owner takes it between B's mark and check: %s\n",
           o.report ? o.report : "no report");
    CHECK("E: no report (B sees the block gone, and its bit taken)", !o.report);

    o = run(0, 0, 1);
    printf("D: owner frees and reallocates at p, then B frees p: %s; released: %d\n", o.report ? o.report : "no report",
           o.released);
    CHECK("D: as C", !o.report && o.released);

    o = run(0, 1, 0);
    printf("D: owner frees p, then B frees p: %s (%s)\n", o.report ? o.report : "no report",
           o.by_b ? "thread B" : "owner");
    CHECK("D: B reports the double free", is(o.report, "double free") && o.by_b);
    return CHECK_DONE();
}
