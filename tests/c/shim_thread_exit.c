/* shim_thread_exit: threads that exit while their blocks are still live,
 * and other threads that free those blocks later (what glibc's
 * tst-malloc-thread-exit is about: an allocator with per-thread state must
 * hand a dead thread's memory on, neither losing the blocks nor leaking the
 * state). Rounds of 8 threads run one after the other; in each round every
 * thread first checks and frees the batch a thread of the previous round
 * left behind (its maker has exited), then allocates and frees through
 * every entry point, then leaves a batch of tagged blocks for the next
 * round and exits: some by returning, some by pthread_exit() from a nested
 * call, some detached (their round may end, and the next one free their
 * blocks, while they are still exiting). The address space may not grow
 * round after round: a thread's memory must be reused once it is gone.
 * Usage: shim_thread_exit [rounds]. */
#include "shim_stress.h"

enum { THREADS = 8, BATCH = 40 };
static struct block batch[2][THREADS][BATCH]; /* by round parity */
static long errors, handed_on;
static int finished; /* threads of the current round done with their work */

struct job {
    int round, id;
};

static void leave_now(void *batch_ready) { pthread_exit(batch_ready); }

static void *worker(void *arg)
{
    struct job j = *(struct job *)arg;
    free(arg); /* allocated by the main thread */
    struct rng r = {0xbf58476d1ce4e5b9ull * (uint64_t)(j.round * THREADS + j.id + 1)};
    long errs = 0;
    /* the previous round's batch from another thread, which has exited */
    struct block *old = batch[(j.round + 1) % 2][(j.id + 1) % THREADS];
    for (int i = 0; i < BATCH; i++)
        if (old[i].p) {
            stress_drop(&old[i], &errs);
            __atomic_fetch_add(&handed_on, 1, __ATOMIC_RELAXED);
        }
    struct block b[16] = {{0}};
    for (int i = 0; i < 300; i++)
        stress_step(&r, &b[next(&r) % 16], (uint64_t)j.round << 32 | (uint64_t)i, &errs);
    for (int i = 0; i < 16; i++)
        if (b[i].p)
            stress_drop(&b[i], &errs);
    struct block *mine = batch[j.round % 2][j.id];
    for (int i = 0; i < BATCH; i++) {
        mine[i].n = stress_size(&r);
        mine[i].tag = (uint64_t)j.round << 40 | (uint64_t)j.id << 20 | (uint64_t)i;
        mine[i].p = stress_alloc(&r, mine[i].n, &errs);
        if (mine[i].p)
            tag_fill(&mine[i]);
        else
            errs++;
    }
    __atomic_fetch_add(&errors, errs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&finished, 1, __ATOMIC_RELEASE); /* last use of anything shared */
    if (j.id % 4 == 1)
        leave_now(NULL);
    return NULL;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 100;
    alarm(60);
    long early_peak = 0, late_peak = 0, created = 0, detached = 0;
    pthread_attr_t detach;
    pthread_attr_init(&detach);
    pthread_attr_setdetachstate(&detach, PTHREAD_CREATE_DETACHED);
    for (int k = 0; k < rounds; k++) {
        pthread_t t[THREADS];
        __atomic_store_n(&finished, 0, __ATOMIC_RELAXED);
        for (int i = 0; i < THREADS; i++) {
            struct job *j = malloc(sizeof *j); /* freed by the thread */
            if (!j)
                return 99;
            j->round = k;
            j->id = i;
            int det = i % 4 == 3;
            if (pthread_create(&t[i], det ? &detach : NULL, worker, j) != 0) {
                perror("pthread_create");
                return 99;
            }
            created++;
            detached += det;
        }
        for (int i = 0; i < THREADS; i++)
            if (i % 4 != 3)
                pthread_join(t[i], NULL);
        while (__atomic_load_n(&finished, __ATOMIC_ACQUIRE) < THREADS)
            usleep(100); /* the detached ones may still be exiting */
        long vm = vm_size();
        if (k < rounds / 4 && vm > early_peak)
            early_peak = vm;
        if (k >= rounds / 2 && vm > late_peak)
            late_peak = vm;
    }
    for (int s = 0; s < 2; s++) /* what the last rounds left */
        for (int i = 0; i < THREADS; i++)
            for (int b = 0; b < BATCH; b++)
                if (batch[s][i][b].p)
                    stress_drop(&batch[s][i][b], &errors);
    usleep(20000); /* let the last detached threads finish exiting */
    long expected = (long)(rounds - 1) * THREADS * BATCH;
    int grew = late_peak > 2 * early_peak + 256 * 1024;
    printf("%ld threads (%ld detached) in %d rounds exited with live blocks; %ld of their blocks freed by other "
           "threads (%ld expected); address space %ld KiB early, %ld KiB late%s; %ld errors\n",
           created, detached, rounds, handed_on, expected, early_peak, late_peak,
           grew ? " (grew: a dead thread's memory is not reused)" : "", errors);
    return errors == 0 && handed_on == expected && !grew ? 0 : 1;
}
