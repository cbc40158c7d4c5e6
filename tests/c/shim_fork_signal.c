/* shim_fork_signal: fork() from a signal handler that interrupted malloc,
 * free, realloc or fork itself (glibc bugs 838 and 24161, the scenario of
 * glibc's tst-mallocfork and tst-mallocfork2). The process has one thread:
 * glibc's fork takes no malloc lock then, so that this works. The thread
 * allocates, reallocates and frees tagged blocks in a tight loop; a helper
 * process sends it SIGUSR1 at random moments (one signal per turn of the
 * loop, after a random delay), and the handler forks and waits for its
 * child. An allocator that takes a lock in its fork prepare handler
 * deadlocks as soon as a signal lands while that lock is held.
 * Modes:
 *   exit   the handler's child leaves at once with _exit(0), as in glibc's
 *          tests;
 *   fork   the loop also forks (its children allocate) so that signals land
 *          inside fork() too, while its prepare handlers run; the handler's
 *          child allocates when the signal landed outside malloc, free and
 *          realloc (inside fork() or between calls), else leaves at once;
 *   alloc  the handler's child always checks and frees blocks its parent
 *          made before the loop and allocates, checks and frees new ones
 *          through every entry point, even when its parent was interrupted
 *          inside malloc, free or realloc. glibc's own malloc cannot do this
 *          (such a child aborts: "corrupted double-linked list", "malloc():
 *          mismatching next->prev_size"), nor can a shim whose fallback to
 *          glibc was interrupted: run it where the slz core serves every
 *          request (a big SLZ_HEAP_SIZE), so that a child finds glibc's heap
 *          intact and the core must cope with the half-done operation.
 * Usage: shim_fork_signal exit|fork|alloc [count]: runs until count signals
 * have landed inside an allocator call (inside fork() for mode fork), each
 * of them answered by a fork whose child succeeded. */
#include <sched.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include "fork_check.h"

enum { SLOTS = 257, KEPT = 24 };
enum where { W_NONE, W_MALLOC, W_FREE, W_REALLOC, W_FORK, W_COUNT };
static const char *const where_name[W_COUNT] = {"elsewhere", "malloc", "free", "realloc", "fork"};

static enum { M_EXIT, M_ALLOC, M_FORK } mode;
static volatile sig_atomic_t where;      /* the call the loop is in now */
static volatile long landed[W_COUNT];    /* handled signals, by where they landed */
static volatile long handled, failures;  /* written by the handler */
static struct block kept[KEPT];          /* made before the loop, never touched by it */
static volatile uint64_t *turns;         /* shared with the sender: the loop's progress */

#define BARRIER() __asm__ volatile("" ::: "memory")
#define IN(w, call)                                                                                \
    __extension__({                                                                                \
        where = (w);                                                                               \
        BARRIER();                                                                                 \
        __typeof__(call) r_ = (call);                                                              \
        BARRIER();                                                                                 \
        where = W_NONE;                                                                            \
        r_;                                                                                        \
    })

/* mark and marked: only the first 32 bytes and the last one carry the tag,
 * so that the loop spends its time in the allocator, not in checks */
static void mark(struct block *b)
{
    for (size_t i = 0; i < b->n && i < 32; i++)
        b->p[i] = tag_byte(b->tag, i);
    if (b->n)
        b->p[b->n - 1] = tag_byte(b->tag, b->n - 1);
}
static int marked(const struct block *b, size_t n)
{
    for (size_t i = 0; i < n && i < 32; i++)
        if (b->p[i] != tag_byte(b->tag, i))
            return 0;
    return n == 0 || n < b->n || b->p[n - 1] == tag_byte(b->tag, n - 1);
}

/* allocating_child: the work of a child that must be able to allocate */
static int allocating_child(uint64_t seed, int steps)
{
    alarm(10); /* a child stuck on a lock dies by SIGALRM */
    long errs = 0;
    for (int i = 0; i < KEPT; i++) {
        errs += !tag_ok(&kept[i], SIZE_MAX);
        if (i % 2)
            free(kept[i].p);
    }
    errs += child_churn(seed, steps);
    return errs ? 1 : 0;
}

static void on_sigusr1(int sig)
{
    (void)sig;
    int saved = errno;
    int w = where;
    int in_allocator = w == W_MALLOC || w == W_FREE || w == W_REALLOC;
    pid_t pid = fork();
    if (pid == 0) {
        uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(handled + 1);
        if (mode == M_ALLOC)
            _exit(allocating_child(seed, 200));
        if (mode == M_FORK && !in_allocator)
            _exit(allocating_child(seed, 50));
        _exit(0);
    }
    if (pid < 0) {
        note("fork in the signal handler failed, errno", errno);
        failures++;
    } else if (reap(pid)) {
        failures++;
    }
    landed[w]++;
    handled++;
    errno = saved;
}

/* sender: a process of its own; one SIGUSR1 per turn of the parent's loop,
 * after a random delay so that it lands anywhere in the turn */
static void sender(pid_t target)
{
    prctl(PR_SET_PDEATHSIG, SIGKILL);
    struct rng r = {(uint64_t)getpid() * 0x2545f4914f6cdd1dull};
    uint64_t seen = 0;
    for (;;) {
        uint64_t t;
        while ((t = __atomic_load_n(turns, __ATOMIC_RELAXED)) == seen)
            sched_yield();
        seen = t;
        for (volatile unsigned spin = (unsigned)(next(&r) % 4000); spin; spin--)
            ;
        if (kill(target, SIGUSR1) != 0)
            _exit(0);
    }
}

/* one_turn: one step of the loop on slot x */
static void one_turn(struct rng *r, struct block *x, uint64_t tag, long *errs)
{
    if (mode == M_FORK && next(r) % 4 == 0) {
        pid_t pid = IN(W_FORK, fork());
        if (pid == 0)
            _exit(allocating_child(tag, 50));
        if (pid < 0 || reap(pid))
            (*errs)++;
    }
    if (x->p && next(r) % 2) {
        *errs += !marked(x, x->n);
        IN(W_FREE, (free(x->p), 0));
        x->p = NULL;
    } else if (x->p) {
        size_t n = stress_size(r) + 1;
        unsigned char *q = IN(W_REALLOC, realloc(x->p, n));
        if (!q) {
            (*errs)++;
            return;
        }
        x->p = q;
        *errs += !marked(x, n < x->n ? n : x->n);
        x->n = n;
        x->tag = tag;
        mark(x);
    } else {
        x->n = stress_size(r);
        x->tag = tag;
        x->p = IN(W_MALLOC, stress_alloc(r, x->n, errs));
        if (!x->p)
            (*errs)++;
        else
            mark(x);
    }
}

int main(int argc, char **argv)
{
    const char *m = argc > 1 ? argv[1] : "alloc";
    long count = argc > 2 ? atol(argv[2]) : 100;
    mode = strcmp(m, "exit") == 0 ? M_EXIT : strcmp(m, "fork") == 0 ? M_FORK : M_ALLOC;
    alarm(60); /* the test bounds it sooner; this is for a run by hand */
    long errs = 0;
    struct rng r = {777};
    for (int i = 0; i < KEPT; i++) {
        kept[i].n = i % 6 == 5 ? 70000 + (size_t)i : next(&r) % 300 + 1; /* both owners */
        kept[i].tag = 0x4b00 + (uint64_t)i;
        kept[i].p = malloc(kept[i].n);
        if (!kept[i].p)
            return 99;
        tag_fill(&kept[i]);
    }
    turns = mmap(NULL, sizeof *turns, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    if (turns == MAP_FAILED)
        return 99;
    struct sigaction sa = {.sa_handler = on_sigusr1};
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    pid_t parent = getpid();
    pid_t helper = fork();
    if (helper == 0)
        sender(parent);
    if (helper < 0)
        return 99;

    static struct block slot[SLOTS];
    long goal = 0, turn = 0, cap = count * 1000;
    while (goal < count && handled < cap) {
        one_turn(&r, &slot[next(&r) % SLOTS], (uint64_t)++turn, &errs);
        __atomic_store_n(turns, (uint64_t)turn, __ATOMIC_RELAXED);
        goal = mode == M_FORK ? landed[W_FORK] : landed[W_MALLOC] + landed[W_FREE] + landed[W_REALLOC];
    }
    signal(SIGUSR1, SIG_IGN);
    kill(helper, SIGKILL);
    while (waitpid(helper, NULL, 0) < 0 && errno == EINTR)
        ;
    for (int i = 0; i < SLOTS; i++)
        if (slot[i].p) {
            errs += !marked(&slot[i], slot[i].n);
            free(slot[i].p);
        }
    int kept_bad = 0;
    for (int i = 0; i < KEPT; i++) {
        kept_bad += !tag_ok(&kept[i], SIZE_MAX); /* the children's frees did not touch ours */
        free(kept[i].p);
    }
    printf("mode %s: %ld signals handled by a fork in %ld turns; landed in", m, handled, turn);
    for (int w = 1; w < W_COUNT; w++)
        printf(" %s %ld,", where_name[w], landed[w]);
    printf(" elsewhere %ld: %ld children failed, %ld errors, %d kept blocks damaged\n", landed[W_NONE], failures,
           errs, kept_bad);
    return goal >= count && failures == 0 && errs == 0 && kept_bad == 0 ? 0 : 1;
}
