/* shim_threads: threads allocate, reallocate and free tagged blocks through
 * every entry point and hand blocks to each other through a shared mailbox;
 * the receiver checks every byte's tag, then frees the block (a cross-thread
 * free) or keeps it, reallocates it and passes it on later. Runs for a
 * bounded time. Usage: shim_threads [threads] [seconds]. Exit status 0 only
 * if no block was ever damaged and blocks really crossed threads. */
#include "shim_stress.h"

enum { LOCAL = 64, SLOTS = 256 };
static struct block mailbox[SLOTS];
static pthread_mutex_t mail_lock = PTHREAD_MUTEX_INITIALIZER;
static double deadline;
static long errors, ops, passed, cross_frees, reallocs;

static void *worker(void *arg)
{
    unsigned id = (unsigned)(uintptr_t)arg;
    struct rng r = {0x9e3779b97f4a7c15ull * (id + 1)};
    struct block local[LOCAL] = {{0}};
    uint64_t count = 0;
    long my_ops = 0;
    while (now() < deadline) {
        for (int burst = 0; burst < 256; burst++, my_ops++) {
            struct block *b = &local[next(&r) % LOCAL];
            uint64_t act = next(&r) % 100;
            if (!b->p) {
                b->n = stress_size(&r);
                b->p = stress_alloc(&r, b->n, &errors);
                b->tag = (uint64_t)id << 48 | ++count;
                if (b->p)
                    tag_fill(b);
            } else if (act < 35) {
                if (!tag_ok(b, SIZE_MAX))
                    __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
                free(b->p);
                b->p = NULL;
            } else if (act < 55) {
                size_t n = stress_size(&r);
                unsigned char *q = realloc(b->p, n ? n : 1);
                if (q) {
                    b->p = q;
                    if (!tag_ok(b, n))
                        __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
                    b->n = n ? n : 1;
                    b->tag = (uint64_t)id << 48 | ++count;
                    tag_fill(b);
                    __atomic_fetch_add(&reallocs, 1, __ATOMIC_RELAXED);
                }
            } else {
                /* swap with a mailbox slot: post ours, take what is there */
                int s = (int)(next(&r) % SLOTS);
                pthread_mutex_lock(&mail_lock);
                struct block got = mailbox[s];
                mailbox[s] = *b;
                pthread_mutex_unlock(&mail_lock);
                __atomic_fetch_add(&passed, 1, __ATOMIC_RELAXED);
                *b = got;
                if (got.p) {
                    if (!tag_ok(&got, SIZE_MAX))
                        __atomic_fetch_add(&errors, 1, __ATOMIC_RELAXED);
                    if (next(&r) % 2 && (got.tag >> 48) != id) {
                        free(got.p);
                        b->p = NULL;
                        __atomic_fetch_add(&cross_frees, 1, __ATOMIC_RELAXED);
                    }
                }
            }
        }
    }
    for (int i = 0; i < LOCAL; i++)
        if (local[i].p)
            stress_drop(&local[i], &errors);
    __atomic_fetch_add(&ops, my_ops, __ATOMIC_RELAXED);
    return NULL;
}

int main(int argc, char **argv)
{
    int nthreads = argc > 1 ? atoi(argv[1]) : 8;
    double seconds = argc > 2 ? atof(argv[2]) : 2.0;
    if (nthreads < 2 || nthreads > 64)
        nthreads = 8;
    alarm((unsigned)seconds + 60); /* a deadlock ends in SIGALRM, not a hang */
    deadline = now() + seconds;
    pthread_t t[64];
    for (int i = 0; i < nthreads; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(uintptr_t)i) != 0) {
            perror("pthread_create");
            return 2;
        }
    for (int i = 0; i < nthreads; i++)
        pthread_join(t[i], NULL);
    for (int s = 0; s < SLOTS; s++)
        if (mailbox[s].p) {
            errors += !tag_ok(&mailbox[s], SIZE_MAX);
            free(mailbox[s].p);
        }
    printf("%d threads, %.1f s: %ld operations, %ld reallocs, %ld blocks passed, %ld cross-thread frees, %ld errors\n",
           nthreads, seconds, ops, reallocs, passed, cross_frees, errors);
    return errors == 0 && cross_frees > 100 && ops > 10000 ? 0 : 1;
}
