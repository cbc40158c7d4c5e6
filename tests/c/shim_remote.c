/* shim_remote: blocks that cross threads, under the shim (SLZ_HEAP_SIZE=1M).
 *   - a second thread frees nearly a whole heap's worth of the main thread's
 *     blocks: the main thread's heap gets them all back (the same blocks
 *     again, from the core, the lowest first);
 *   - a second thread reallocates a block of the main thread's heap: the
 *     contents move to its own heap and the old block goes back to its
 *     owner; malloc_usable_size of another thread's block is its owner's;
 *   - a fork while another thread is alive: in the child that thread's heap
 *     is left alone, so freeing its block (even twice) is ignored;
 *   - the main thread's heap full (requests go to glibc; with the 1M heap),
 *     then emptied by another thread: the heap serves again, though its
 *     owner freed nothing into it (the shim puts no request the full heap
 *     would refuse to the core, but retries now and then).
 * Without the shim nothing comes from the core: the program fails. */
#include <pthread.h>
#include <sys/wait.h>
#include "shim_probe.h"

enum { N = 200, SIZE = 4000 };
static void *blk[N];
static char who_;

static int pfilled_byte(const unsigned char *b, size_t n, unsigned char v)
{
    for (size_t i = 0; i < n; i++)
        if (b[i] != v)
            return 0;
    return 1;
}

static void *free_all(void *arg)
{
    (void)arg;
    for (int i = 0; i < N; i++)
        free(blk[i]);
    return NULL;
}

enum { FULL_MAX = 1000 };
static void *blk_full[FULL_MAX];
static int nblk_full;
static void *free_full(void *arg)
{
    (void)arg;
    for (int i = 0; i < nblk_full; i++)
        free(blk_full[i]);
    return NULL;
}

static void *moved, *old_block;
static size_t usable_there;
static void *realloc_there(void *arg)
{
    (void)arg;
    usable_there = malloc_usable_size(old_block);
    moved = realloc(old_block, 3000);
    return NULL;
}

/* the thread that stays alive over the fork, with a block of its own heap */
static pthread_barrier_t made, forked;
static void *theirs;
static char theirs_who;
static void *hold(void *arg)
{
    (void)arg;
    WHO(theirs, malloc(500));
    theirs_who = who_;
    memset(theirs, 0x5a, 500);
    pthread_barrier_wait(&made);
    pthread_barrier_wait(&forked);
    free(theirs);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argc;
    probe_start(argv);
    pthread_t t;
    int core = 0;

    /* frees by another thread */
    for (int i = 0; i < N; i++) {
        WHO(blk[i], malloc(SIZE));
        core += who_ == 'c';
        pfill(blk[i], SIZE, (unsigned)i);
    }
    CHECK("the heap served the first round", core == N);
    void *first = blk[0];
    pthread_create(&t, NULL, free_all, NULL);
    pthread_join(t, NULL);
    core = 0;
    for (int i = 0; i < N; i++) {
        WHO(blk[i], malloc(SIZE));
        core += who_ == 'c';
    }
    CHECK("the blocks freed by another thread came back to the heap", core == N);
    CHECK("the lowest of them first", blk[0] == first);
    for (int i = 0; i < N; i++)
        free(blk[i]);

    /* realloc and malloc_usable_size by another thread */
    WHO(old_block, malloc(1000));
    CHECK("the block to move is the core's", who_ == 'c');
    size_t usable_here = malloc_usable_size(old_block);
    pfill(old_block, 1000, 7);
    pthread_create(&t, NULL, realloc_there, NULL);
    pthread_join(t, NULL);
    CHECK("malloc_usable_size in another thread is the owner's", usable_there == usable_here);
    CHECK("realloc by another thread moved the block", moved != NULL && moved != old_block);
    CHECK("and kept its contents", moved && pfilled(moved, 1000, 7));
    void *again;
    WHO(again, malloc(1000));
    CHECK("the old block went back to its owner's heap", again == old_block && who_ == 'c');
    free(again);
    free(moved);

    /* fork while another thread holds a block of its own heap */
    pthread_barrier_init(&made, NULL, 2);
    pthread_barrier_init(&forked, NULL, 2);
    pthread_create(&t, NULL, hold, NULL);
    pthread_barrier_wait(&made);
    CHECK("the other thread's block is the core's", theirs_who == 'c');
    pid_t pid = fork();
    if (pid == 0) {
        alarm(10);
        int ok = pfilled_byte(theirs, 500, 0x5a);
        void *volatile p = theirs; /* the compiler sees no use after free */
        free(p); /* its heap's owner is not in the child: ignored */
        if (theirs_who == 'c')
            free(p); /* ignored again (glibc would call this a double free) */
        void *mine = malloc(200);
        free(mine);
        _exit(ok ? 0 : 1);
    }
    int status = -1;
    waitpid(pid, &status, 0);
    CHECK("the child read the other thread's block and ignored its frees",
          WIFEXITED(status) && WEXITSTATUS(status) == 0);
    pthread_barrier_wait(&forked);
    pthread_join(t, NULL);

    /* a full heap emptied by another thread */
    static void *full[2 * FULL_MAX];
    int nfull = 0;
    char w = 'c';
    while (w == 'c' && nfull < FULL_MAX) {
        WHO(full[nfull], malloc(SIZE));
        w = who_;
        nfull += w == 'c';
    }
    if (w != 'g') { /* a heap too big to fill here (SLZ_HEAP_SIZE=256M) */
        for (int i = 0; i < nfull; i++)
            free(full[i]);
        return CHECK_DONE();
    }
    void *spill = full[nfull];
    for (int i = 0; i < nfull; i++)
        blk_full[i] = full[i];
    nblk_full = nfull;
    pthread_create(&t, NULL, free_full, NULL);
    pthread_join(t, NULL);
    core = 0;
    for (int i = 0; i < 2 * nfull; i++) {
        WHO(full[i], malloc(SIZE));
        core += who_ == 'c';
    }
    CHECK("the blocks another thread freed from the full heap are served again", core == nfull);
    for (int i = 0; i < 2 * nfull; i++)
        free(full[i]);
    free(spill);
    return CHECK_DONE();
}
