/* shim_adopt_free: a thread whose first call frees a block of an exited
 * thread's heap takes that heap (preload/heaps.c, heaps_adopt), as larson's
 * threads do with the blocks the previous ones left. Threads A and B, alive
 * at once (so each has a heap of its own), each make 100 blocks of 200 bytes
 * and exit, leaving them live (two abandoned heaps, A's first in slot order); then thread C frees B's first block and
 * asks for 200 bytes: it gets that block's place again (its heap is B's,
 * whose lowest hole, or cache, has it), where a thread that took the first
 * abandoned heap (A's) would get an address of A's. Thread D, which frees
 * nothing first, still takes A's heap. Then 100 threads one after the other
 * call strerror with an unknown number: glibc frees the buffer it made for
 * it after the thread's key destructors, so after the shim's, which left
 * the heap: that free must not take the heap again (no destructor would
 * leave it; each thread would make a new heap: the address space grows).
 * Prints what C and D got and whether the address space grew; exits 0 only
 * if C, D and the address space are right and every block kept its bytes.
 *
 *   shim_adopt_free */
#include "shim_stress.h"

#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { N = 100, SIZE = 200 };
static char *made[2][N];
static pthread_barrier_t both;

static void *make(void *arg)
{
    char **b = arg;
    for (int i = 0; i < N; i++)
        if ((b[i] = malloc(SIZE)) != NULL)
            memset(b[i], (int)(b - made[0]) / N + 1, SIZE);
    pthread_barrier_wait(&both);
    return NULL;
}
static void *free_then_malloc(void *arg)
{
    free(made[1][0]);
    *(void **)arg = malloc(SIZE);
    return NULL;
}
static void *just_malloc(void *arg)
{
    *(void **)arg = malloc(SIZE);
    return NULL;
}

static void *with_strerror(void *arg)
{
    free(malloc(SIZE));
    return (void *)strerror(9999) == arg ? arg : NULL;
}
static void run(void *(*fn)(void *), void *arg)
{
    pthread_t t;
    if (pthread_create(&t, NULL, fn, arg) != 0 || pthread_join(t, NULL) != 0)
        exit(2);
}

int main(void)
{
    free(malloc(16)); /* (the main thread's own heap first) */
    pthread_t a, b;
    pthread_barrier_init(&both, NULL, 2);
    if (pthread_create(&a, NULL, make, made[0]) != 0)
        exit(2);
    /* (B after A's first block: A takes the lower slot) */
    while (__atomic_load_n(&made[0][0], __ATOMIC_ACQUIRE) == NULL)
        sched_yield();
    if (pthread_create(&b, NULL, make, made[1]) != 0 || pthread_join(a, NULL) != 0 || pthread_join(b, NULL) != 0)
        exit(2);
    void *was = made[1][0], *c = NULL, *d = NULL;
    run(free_then_malloc, &c);
    run(just_malloc, &d);
    int kept = 1;
    for (int k = 0; k < 2; k++)
        for (int i = k; i < N; i++) /* (B's first was freed) */
            for (int j = 0; j < SIZE; j++)
                kept &= made[k][i] != NULL && made[k][i][j] == k + 1;
    /* D's block lies in A's heap: nearer A's blocks than B's (heaps are far apart) */
    long da = labs((char *)d - made[0][1]), db = labs((char *)d - made[1][1]);
    long vm[2];
    for (int i = 0; i < 100; i++) {
        run(with_strerror, NULL);
        if (i == 9 || i == 99)
            vm[i == 99] = vm_size();
    }
    printf("C freed %p and got %s; D got a block of %s heap; blocks %s; 90 more threads %s the address space\n", was,
           c == was ? "its place again" : "another place", da < db ? "A's" : "another", kept ? "intact" : "damaged",
           vm[1] > vm[0] ? "grew" : "kept");
    return c == was && da < db && kept && vm[1] <= vm[0] ? 0 : 1;
}
