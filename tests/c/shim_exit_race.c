/* shim_exit_race: the process exits while other threads are still
 * allocating, freeing and reallocating (the shim's destructor and the SLZ_STATS
 * report run beside them). Usage: shim_exit_race [main|worker] [ms]: main
 * calls exit() after ms milliseconds, or one of the workers does. The exit
 * status must be 0 and nothing may crash. */
#include "shim_stress.h"

enum { WORKERS = 4 };
static int from_worker;
static double exit_at;
static long errors;

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0xdeadbeefcafef00dull ^ id};
    struct block b[32] = {{0}};
    for (;;) {
        if (from_worker && id == 0 && now() >= exit_at)
            exit(errors ? 1 : 0);
        struct block *x = &b[next(&r) % 32];
        if (x->p) {
            if (!tag_ok(x, SIZE_MAX))
                __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
            if (next(&r) % 2) {
                free(x->p);
                x->p = NULL;
            } else {
                size_t n = stress_size(&r) + 1;
                unsigned char *q = realloc(x->p, n);
                if (q) {
                    x->p = q;
                    x->n = n;
                    tag_fill(x);
                }
            }
        } else {
            x->n = stress_size(&r);
            x->tag = next(&r);
            x->p = stress_alloc(&r, x->n, &errors);
            if (x->p)
                tag_fill(x);
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    from_worker = argc > 1 && strcmp(argv[1], "worker") == 0;
    double ms = argc > 2 ? atof(argv[2]) : 20;
    alarm(30);
    exit_at = now() + ms / 1000;
    pthread_t t;
    for (int i = 0; i < WORKERS; i++)
        pthread_create(&t, NULL, worker, (void *)(uintptr_t)i);
    while (now() < exit_at + (from_worker ? 10.0 : 0))
        usleep(1000);
    exit(errors ? 1 : 0);
}
