/* shim_fork_threads: fork from a multithreaded process whose every thread
 * owns blocks, while those threads keep allocating and freeing (the fork
 * may cut any of them in the middle of a call). Each of 4 worker threads
 * first makes a set of tagged blocks that it never touches again, then
 * churns. Every child checks the contents of every thread's set (whatever
 * state the allocator was in, those blocks were finished before the fork),
 * frees them all, some after a realloc, allocates through every entry point,
 * now and then starts two threads of its own that allocate and hand a block
 * back, or forks a grandchild, and exits (with exit() or _exit()). The parent's
 * sets must be untouched by the children's frees.
 * Usage: shim_fork_threads [forks]. */
#include "fork_check.h"

enum { WORKERS = 4, KEEP = 24 };
static struct block kept[WORKERS][KEEP];
static volatile int stop;
static int published;
static long errors, worker_ops;

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0xd1b54a32d192ed03ull * (id + 1)};
    long errs = 0, n = 0;
    for (int i = 0; i < KEEP; i++) {
        struct block *k = &kept[id][i];
        k->n = i % 8 == 7 ? 90000 + (size_t)i : stress_size(&r) + 1; /* both owners */
        k->tag = (uint64_t)id << 32 | 0xee00 | (uint64_t)i;
        k->p = stress_alloc(&r, k->n, &errs);
        if (k->p)
            tag_fill(k);
        else
            errs++;
    }
    __atomic_fetch_add(&published, 1, __ATOMIC_RELEASE);
    struct block b[32] = {{0}};
    while (!stop) {
        stress_step(&r, &b[next(&r) % 32], (uint64_t)id << 40 | (uint64_t)n, &errs);
        if (++n % 256 == 0)
            usleep(100); /* 4 busy threads on 2 cores would starve the children (10 s for 100 forks) */
    }
    for (int i = 0; i < 32; i++)
        if (b[i].p)
            stress_drop(&b[i], &errs);
    __atomic_fetch_add(&errors, errs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&worker_ops, n, __ATOMIC_RELAXED);
    return NULL;
}

/* child_thread: in the child: churn, then hand back one tagged block */
static void *child_thread(void *arg)
{
    uint64_t seed = (uint64_t)(uintptr_t)arg;
    long errs = child_churn(seed, 100);
    struct block *b = malloc(sizeof *b);
    if (!b)
        return NULL;
    b->n = 3000;
    b->tag = seed;
    b->p = malloc(b->n);
    if (!b->p || errs) {
        free(b->p);
        free(b);
        return NULL;
    }
    tag_fill(b);
    return b;
}

static int child(unsigned k)
{
    alarm(10); /* a child stuck on a lock dies by SIGALRM */
    long errs = 0;
    for (int w = 0; w < WORKERS; w++)
        for (int i = 0; i < KEEP; i++) {
            struct block *b = &kept[w][i];
            errs += !tag_ok(b, SIZE_MAX);
            if ((i + k) % 3 == 0) {
                unsigned char *q = realloc(b->p, b->n / 2 + 1);
                if (!q) {
                    errs++;
                    continue;
                }
                b->p = q;
                errs += !tag_ok(b, b->n / 2 + 1);
            }
            free(b->p);
        }
    errs += child_churn(0x8cb92ba72f3d8dd7ull + k, 200);
    if (k % 4 == 0) { /* threads of the child's own (not in every child: on 2 cores they take ~20 ms to run) */
        pthread_t t[2];
        for (int i = 0; i < 2; i++)
            if (pthread_create(&t[i], NULL, child_thread, (void *)(uintptr_t)(k * 2 + i + 1)) != 0)
                return 1;
        for (int i = 0; i < 2; i++) {
            struct block *b = NULL;
            pthread_join(t[i], (void **)&b);
            if (!b || !tag_ok(b, SIZE_MAX))
                errs++;
            if (b) {
                free(b->p);
                free(b);
            }
        }
    }
    if (k % 10 == 0) { /* a grandchild, forked by a child that has threads */
        pid_t g = fork();
        if (g == 0)
            _exit(child_churn(k, 200) ? 1 : 0);
        errs += g < 0 || reap(g);
    }
    return errs ? 1 : 0;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 100;
    alarm(60);
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    while (__atomic_load_n(&published, __ATOMIC_ACQUIRE) < WORKERS)
        usleep(100);
    int failed = 0, done = 0;
    for (int k = 0; k < forks; k++) {
        usleep(500); /* let the workers get going between forks */
        fflush(stdout);
        pid_t pid = fork();
        if (pid == 0) {
            int st = child((unsigned)k);
            if (k % 2)
                exit(st);
            _exit(st);
        }
        if (pid < 0) {
            perror("fork");
            failed++;
            continue;
        }
        failed += reap(pid);
        done++;
    }
    stop = 1;
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    int parent_bad = 0;
    for (int w = 0; w < WORKERS; w++)
        for (int i = 0; i < KEEP; i++) {
            parent_bad += !tag_ok(&kept[w][i], SIZE_MAX);
            free(kept[w][i].p);
        }
    printf("%d forks while %d threads allocated (%ld operations); each child checked and freed the %d blocks "
           "of every thread, allocated, some in threads of their own: %d children failed, %ld errors, %d blocks "
           "damaged in the parent\n",
           done, WORKERS, worker_ops, WORKERS * KEEP, failed, errors, parent_bad);
    return done == forks && failed == 0 && errors == 0 && parent_bad == 0 ? 0 : 1;
}
