/* shim_fork_stdio: fork while stdio and the allocator wait on each other
 * (glibc bug 19431's scenario, the one glibc's tst-malloc-fork-deadlock
 * builds). Threads fork over and over while others flush every stream with
 * fflush(NULL) (which holds stdio's list lock and waits for each stream's
 * lock), others read lines with getline() and getdelim() from fmemopen()
 * streams of their own (each holds its stream's lock while it allocates the
 * line) and others allocate and free. glibc's fork() takes the list lock
 * after the atfork prepare handlers: an allocator that takes its lock in
 * one closes a cycle (fork holds it and waits for the list lock, fflush
 * holds that and waits for a stream, the reader holds the stream and waits
 * in malloc). Each child checks the blocks its parent made before the
 * threads started, frees or reallocates them, allocates through every entry
 * point, reads lines from a stream of its own and leaves with _exit(); the
 * parent waits for it.
 * Usage: shim_fork_stdio [forks]: exits 0 when every fork returned, every
 * child succeeded, every line read was right and no block was damaged. */
#include "fork_check.h"

enum { FORKERS = 2, FLUSHERS = 2, READERS = 2, ALLOCATORS = 2, PRE = 12, LINES = 400 };
static struct block pre[PRE];
static char text[LINES * 400];
static size_t text_len;
static volatile int stop;
static int forks_wanted, forks_claimed, forks_done, child_failures;
static long errors, flushes, lines_read, alloc_ops;

/* line k of the text: "k=<k> " then letters, 20 to 319 bytes with the '\n' */
static size_t line_len(unsigned k) { return 20 + k * 37 % 300; }

static void make_text(void)
{
    char *t = text;
    for (unsigned k = 0; k < LINES; k++) {
        size_t len = line_len(k);
        int head = sprintf(t, "k=%06u ", k);
        for (size_t i = (size_t)head; i < len - 1; i++)
            t[i] = (char)('a' + (k + i) % 26);
        t[len - 1] = '\n';
        t += len;
    }
    text_len = (size_t)(t - text);
}

/* line_ok: line (r bytes, from getline or getdelim with '\n') is a whole
 * line of the text */
static int line_ok(const char *line, ssize_t r)
{
    unsigned k;
    if (r < 9 || sscanf(line, "k=%06u ", &k) != 1 || k >= LINES || (size_t)r != line_len(k))
        return 0;
    for (size_t i = 9; i < (size_t)r - 1; i++)
        if (line[i] != (char)('a' + (k + i) % 26))
            return 0;
    return line[r - 1] == '\n';
}

/* read_lines: n lines from f (rewound at its end), each into a fresh buffer
 * that getline/getdelim allocates while holding f's lock; returns the errors */
static long read_lines(FILE *f, long n, long *done)
{
    long errs = 0;
    for (long i = 0; i < n && !stop; i++) {
        char *line = NULL;
        size_t cap = 0;
        ssize_t r = i % 2 ? getline(&line, &cap, f) : getdelim(&line, &cap, '\n', f);
        if (r < 0) {
            if (!feof(f))
                errs++;
            rewind(f);
        } else {
            errs += !line_ok(line, r);
            (*done)++;
        }
        free(line);
    }
    return errs;
}

static void *reader(void *arg)
{
    (void)arg;
    long done = 0, errs = 0;
    while (!stop) {
        FILE *f = fmemopen(text, text_len, "r"); /* opened and closed again: the list lock, with allocation */
        if (!f) {
            errs++;
            break;
        }
        errs += read_lines(f, 1000, &done);
        fclose(f);
    }
    __atomic_fetch_add(&errors, errs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&lines_read, done, __ATOMIC_RELAXED);
    return NULL;
}

static void *flusher(void *arg)
{
    (void)arg;
    long n = 0;
    while (!stop) {
        fflush(NULL);
        if (++n % 8 == 0)
            usleep(20); /* unpaced, two flushers starve fork() of the list lock (1 s per fork on 2 cores) */
    }
    __atomic_fetch_add(&flushes, n, __ATOMIC_RELAXED);
    return NULL;
}

static void *allocator(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0x6a09e667f3bcc909ull * (id + 3)};
    struct block b[32] = {{0}};
    long n = 0, errs = 0;
    while (!stop) {
        stress_step(&r, &b[next(&r) % 32], (uint64_t)id << 40 | (uint64_t)n, &errs);
        n++;
    }
    for (int i = 0; i < 32; i++)
        if (b[i].p)
            stress_drop(&b[i], &errs);
    __atomic_fetch_add(&errors, errs, __ATOMIC_RELAXED);
    __atomic_fetch_add(&alloc_ops, n, __ATOMIC_RELAXED);
    return NULL;
}

/* child: in the fork's child; returns its exit status */
static int child(unsigned k)
{
    alarm(10); /* a child stuck on a lock dies by SIGALRM */
    long errs = 0;
    for (int i = 0; i < PRE; i++) {
        errs += !tag_ok(&pre[i], SIZE_MAX);
        if ((i + k) % 2) {
            free(pre[i].p);
        } else {
            size_t n = pre[i].n + 1000;
            unsigned char *q = realloc(pre[i].p, n);
            if (!q || !(pre[i].p = q, tag_ok(&pre[i], SIZE_MAX)))
                errs++;
            free(q);
        }
    }
    errs += child_churn(0x243f6a8885a308d3ull + k, 300);
    FILE *f = fmemopen(text, text_len, "r");
    long done = 0;
    if (f) {
        errs += read_lines(f, 20, &done);
        fclose(f);
    }
    errs += done != 20;
    return errs ? 1 : 0;
}

static void *forker(void *arg)
{
    (void)arg;
    for (;;) {
        int k = __atomic_fetch_add(&forks_claimed, 1, __ATOMIC_RELAXED);
        if (k >= forks_wanted)
            break;
        pid_t pid = fork();
        if (pid < 0) {
            note("fork failed, errno", errno);
            __atomic_fetch_add(&child_failures, 1, __ATOMIC_RELAXED);
        } else if (pid == 0) {
            _exit(child((unsigned)k));
        } else if (reap(pid)) {
            __atomic_fetch_add(&child_failures, 1, __ATOMIC_RELAXED);
        }
        __atomic_fetch_add(&forks_done, 1, __ATOMIC_RELAXED);
    }
    return NULL;
}

int main(int argc, char **argv)
{
    forks_wanted = argc > 1 ? atoi(argv[1]) : 100;
    alarm(60); /* the test bounds it sooner; this is for a run by hand */
    make_text();
    struct rng r = {424242};
    for (int i = 0; i < PRE; i++) {
        /* small ones (the core's, leaving room in a one-page heap so that
         * the readers' lines come from the core too) and big ones (glibc's) */
        pre[i].n = i % 6 == 5 ? 100000 + (size_t)i : next(&r) % 200 + 1;
        pre[i].tag = 0x5100 + (uint64_t)i;
        pre[i].p = stress_alloc(&r, pre[i].n, &errors);
        if (pre[i].p)
            tag_fill(&pre[i]);
        else
            return 99;
    }
    pthread_t t[FLUSHERS + READERS + ALLOCATORS + FORKERS];
    int nt = 0;
    for (int i = 0; i < FLUSHERS; i++)
        pthread_create(&t[nt++], NULL, flusher, NULL);
    for (int i = 0; i < READERS; i++)
        pthread_create(&t[nt++], NULL, reader, NULL);
    for (int i = 0; i < ALLOCATORS; i++)
        pthread_create(&t[nt++], NULL, allocator, (void *)(uintptr_t)i);
    usleep(20000); /* the others are busy before the first fork */
    for (int i = 0; i < FORKERS; i++)
        pthread_create(&t[nt++], NULL, forker, NULL);
    for (int i = nt - FORKERS; i < nt; i++)
        pthread_join(t[i], NULL);
    stop = 1;
    for (int i = 0; i < nt - FORKERS; i++)
        pthread_join(t[i], NULL);
    int parent_bad = 0;
    for (int i = 0; i < PRE; i++) {
        parent_bad += !tag_ok(&pre[i], SIZE_MAX); /* the children's frees did not touch ours */
        free(pre[i].p);
    }
    printf("%d forks from %d threads while %d threads ran fflush(NULL) (%ld times), %d read lines with "
           "getline/getdelim (%ld lines) and %d allocated (%ld operations): %d children failed, %ld errors, "
           "%d pre-fork blocks damaged\n",
           forks_done, FORKERS, FLUSHERS, flushes, READERS, lines_read, ALLOCATORS, alloc_ops, child_failures,
           errors, parent_bad);
    int worked = flushes > 0 && lines_read > 0 && alloc_ops > 0;
    return forks_done == forks_wanted && child_failures == 0 && errors == 0 && parent_bad == 0 && worked ? 0 : 1;
}
