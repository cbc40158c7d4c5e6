/* thread_double_free: two threads free the same block, so that both then
 * get it from malloc (a double free that per-thread caches may not see).
 *
 * Goal: two mallocs, one in each thread, return the same block while both
 * are live.
 *
 * The main thread allocates P (100 bytes). Thread 1 and thread 2 each free
 * P, then each mallocs 100 bytes (the threads wait for each other with a
 * barrier so that both frees come before both mallocs).
 *   thread_double_free sequential   thread 1 frees first, then thread 2
 *   thread_double_free racing       both free at the same moment
 */
#include <pthread.h>
#include "attacks.h"

static pthread_barrier_t bar;
static char *p;
static char *got[2];
static int racing;

static void *worker(void *arg)
{
    int me = (int)(intptr_t)arg;
    if (racing) {
        pthread_barrier_wait(&bar);
        free(opaque(p));
    } else {
        if (me == 1)
            pthread_barrier_wait(&bar);
        free(opaque(p));
        if (me == 0)
            pthread_barrier_wait(&bar);
    }
    pthread_barrier_wait(&bar); /* both frees done */
    got[me] = opaque(malloc(100));
    pthread_barrier_wait(&bar); /* both mallocs done: stay alive */
    return NULL;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    if (IS(how, "racing"))
        racing = 1;
    else if (!IS(how, "sequential"))
        usage("thread_double_free sequential | racing\n");
    pthread_barrier_init(&bar, NULL, 2);
    char *lo = opaque(malloc(100));
    p = opaque(malloc(100));
    char *hi = opaque(malloc(100));
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, worker, (void *)(intptr_t)i))
            not_reached("pthread_create failed");
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    if (got[0] && got[0] == got[1])
        reached("both threads freed %p, then both mallocs returned %p", (void *)p, (void *)got[0]);
    opaque(lo), opaque(hi);
    not_reached("the threads' mallocs returned %p and %p", (void *)got[0], (void *)got[1]);
}
