/* fork_check.h - what the fork tests share: a one-line note written with a
 * single write(2) (safe in a child of a multithreaded process and in a signal
 * handler, where stdio may be locked), reaping a child with an account of how
 * it ended, and the work a child does to show that its allocator works:
 * tagged blocks from every entry point, checked and freed. */
#ifndef SLZ_TEST_FORK_CHECK_H
#define SLZ_TEST_FORK_CHECK_H
#include <errno.h>
#include <signal.h>
#include <sys/wait.h>
#include "shim_stress.h"

#define FORK_FN __attribute__((unused)) static

/* note: "<what> <v>\n" on stderr, one write, no allocation, no stdio */
FORK_FN void note(const char *what, long v)
{
    char buf[160], digits[24];
    size_t n = 0, d = 0;
    while (*what && n < sizeof buf - 28)
        buf[n++] = *what++;
    buf[n++] = ' ';
    unsigned long u = v < 0 ? 0UL - (unsigned long)v : (unsigned long)v;
    do
        digits[d++] = (char)('0' + u % 10);
    while ((u /= 10) != 0);
    if (v < 0)
        buf[n++] = '-';
    while (d)
        buf[n++] = digits[--d];
    buf[n++] = '\n';
    ssize_t w = write(2, buf, n);
    (void)w;
}

/* reap: wait for pid (through EINTR); 0 if it exited with status 0, else 1
 * after a note saying how it ended */
FORK_FN int reap(pid_t pid)
{
    int status;
    pid_t r;
    while ((r = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
        ;
    if (r != pid) {
        note("waitpid failed, errno", errno);
        return 1;
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (WIFSIGNALED(status))
        note(WTERMSIG(status) == SIGALRM ? "child stuck (killed by its alarm), signal"
                                         : "child killed by signal",
             WTERMSIG(status));
    else
        note("child failed, exit status", WEXITSTATUS(status));
    return 1;
}

/* child_churn: in a child: steps allocations and frees over 32 slots,
 * every block tagged and checked before it is freed; returns the errors */
FORK_FN long child_churn(uint64_t seed, int steps)
{
    struct rng r = {seed | 1};
    struct block b[32] = {{0}};
    long errors = 0;
    for (int i = 0; i < steps; i++) {
        struct block *x = &b[next(&r) % 32];
        int had = x->p != NULL;
        stress_step(&r, x, seed ^ (uint64_t)i << 20, &errors);
        if (!had && !x->p)
            errors++; /* a child that cannot allocate is a failure */
    }
    for (int i = 0; i < 32; i++)
        if (b[i].p)
            stress_drop(&b[i], &errors);
    return errors;
}
#endif
