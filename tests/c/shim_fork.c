/* shim_fork: fork from a multithreaded process while other threads keep
 * allocating, repeated. Every child checks the blocks its parent made before
 * the fork (both owners: small ones for the core, big ones for glibc), frees
 * and reallocates some of them, allocates new ones through every entry point,
 * checks them and exits cleanly (half with exit(), half with _exit()).
 * Usage: shim_fork [forks] [main|worker]: with "worker" the forks are made
 * by one of the allocating threads instead of the main thread. */
#include <sys/wait.h>
#include "shim_stress.h"

enum { WORKERS = 4, PRE = 48 };
static struct block pre[PRE];
static volatile int stop;
static long errors, worker_ops;
static int forks_wanted, forks_done, child_failures;

/* child: runs in the fork's child; returns its exit status */
static int child(unsigned k)
{
    alarm(10); /* a child stuck on a lock dies by SIGALRM */
    long errs = 0;
    struct rng r = {0x51ed270b27aa3c5bull + k};
    for (int i = 0; i < PRE; i++)
        if (pre[i].p && !tag_ok(&pre[i], SIZE_MAX))
            errs++;
    /* free or reallocate the parent's blocks */
    for (int i = 0; i < PRE; i++) {
        if (!pre[i].p)
            continue;
        if (i % 3 == 0) {
            free(pre[i].p);
            pre[i].p = NULL;
        } else if (i % 3 == 1) {
            size_t n = pre[i].n * 2 + 100;
            unsigned char *q = realloc(pre[i].p, n);
            if (!q) {
                errs++;
                continue;
            }
            pre[i].p = q;
            errs += !tag_ok(&pre[i], SIZE_MAX);
            pre[i].n = n;
            pre[i].tag ^= 0xabcdef;
            tag_fill(&pre[i]);
        }
    }
    struct block b[64] = {{0}};
    for (int i = 0; i < 3000; i++) {
        struct block *x = &b[next(&r) % 64];
        if (x->p) {
            errs += !tag_ok(x, SIZE_MAX);
            free(x->p);
            x->p = NULL;
        } else {
            x->n = stress_size(&r);
            x->tag = next(&r);
            x->p = stress_alloc(&r, x->n, &errs);
            if (!x->p) {
                errs++;
                continue;
            }
            tag_fill(x);
        }
    }
    for (int i = 0; i < 64; i++)
        if (b[i].p) {
            errs += !tag_ok(&b[i], SIZE_MAX);
            free(b[i].p);
        }
    for (int i = 0; i < PRE; i++)
        if (pre[i].p) {
            errs += !tag_ok(&pre[i], SIZE_MAX);
            free(pre[i].p);
        }
    return errs ? 1 : 0;
}

static void one_fork(unsigned k)
{
    fflush(stdout);
    pid_t pid = fork();
    if (pid < 0) {
        perror("fork");
        __atomic_fetch_add(&child_failures, 1, __ATOMIC_RELAXED);
        return;
    }
    if (pid == 0) {
        int st = child(k);
        if (k % 2)
            _exit(st);
        exit(st);
    }
    int status;
    if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        fprintf(stderr, "child %u: %s %d\n", k, WIFSIGNALED(status) ? "killed by signal" : "exit status",
                WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
        __atomic_fetch_add(&child_failures, 1, __ATOMIC_RELAXED);
    }
    __atomic_fetch_add(&forks_done, 1, __ATOMIC_RELAXED);
}

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0x9e3779b97f4a7c15ull * (id + 7)};
    struct block b[32] = {{0}};
    long n = 0;
    unsigned k = 0;
    while (!stop) {
        if (id == 0 && forks_wanted < 0 && k < (unsigned)-forks_wanted && n % 2000 == 1999)
            one_fork(k++); /* this thread forks while the others allocate */
        stress_step(&r, &b[next(&r) % 32], (uint64_t)id << 40 | (uint64_t)n, &errors);
        n++;
    }
    for (int i = 0; i < 32; i++)
        if (b[i].p)
            stress_drop(&b[i], &errors);
    __atomic_fetch_add(&worker_ops, n, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    int forks = argc > 1 ? atoi(argv[1]) : 50;
    int from_worker = argc > 2 && strcmp(argv[2], "worker") == 0;
    forks_wanted = from_worker ? -forks : forks;
    alarm(60);
    struct rng r = {12345};
    for (int i = 0; i < PRE; i++) {
        pre[i].n = i % 8 == 7 ? 200000 + (size_t)i : stress_size(&r) + 1; /* some too big for a small heap */
        pre[i].tag = 0x7000 + (uint64_t)i;
        pre[i].p = stress_alloc(&r, pre[i].n, &errors);
        if (pre[i].p)
            tag_fill(&pre[i]);
        else
            errors++;
    }
    pthread_t t[WORKERS];
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i);
    if (!from_worker)
        for (int k = 0; k < forks; k++) {
            usleep(2000); /* let the workers get going between forks */
            one_fork((unsigned)k);
        }
    else
        while (__atomic_load_n(&forks_done, __ATOMIC_RELAXED) < forks)
            usleep(5000);
    stop = 1;
    for (int i = 0; i < WORKERS; i++)
        pthread_join(t[i], NULL);
    int parent_bad = 0;
    for (int i = 0; i < PRE; i++) {
        parent_bad += !tag_ok(&pre[i], SIZE_MAX); /* the children's frees did not touch ours */
        free(pre[i].p);
    }
    printf("%d forks from %s thread while %d threads allocated (%ld operations): %d children failed, "
           "%ld errors in the parent, %d pre-fork blocks damaged\n",
           forks_done, from_worker ? "a worker" : "the main", WORKERS, worker_ops, child_failures, errors, parent_bad);
    return forks_done == forks && child_failures == 0 && errors == 0 && parent_bad == 0 ? 0 : 1;
}
