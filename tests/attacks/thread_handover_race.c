/* thread_handover_race: another thread frees a block while its owner keeps
 * freeing it and allocating it again, so that the other thread's free races
 * with the owner's reuse (the cross-thread hand-over: a free checked against
 * one life of the block and applied to the next).
 *
 * Goal: the owner and the other thread each hold a block from malloc at the
 * same address, both live.
 *
 * The owner allocates P (100 bytes) between two others, then frees P and
 * allocates 100 bytes again (first fit or a cache: the same address) over
 * and over, publishing each new P. The other thread waits until the owner is
 * under way, frees the P it last saw, allocates 100 bytes and keeps them.
 * The owner goes on for a few more rounds after that, and keeps its last
 * block.
 *   thread_handover_race   (no variants)
 */
#include <pthread.h>
#include <sched.h>
#include "attacks.h"

static char *shared_p;         /* the owner's current block (atomic) */
static int rounds, freed_by_b; /* atomic */
static char *got_b;

static void *other(void *arg)
{
    (void)arg;
    while (__atomic_load_n(&rounds, __ATOMIC_SEQ_CST) < 1000)
        sched_yield();
    free(opaque(__atomic_load_n(&shared_p, __ATOMIC_SEQ_CST)));
    got_b = opaque(malloc(100));
    __atomic_store_n(&freed_by_b, 1, __ATOMIC_SEQ_CST);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    if (argc > 1)
        usage("thread_handover_race\n");
    char *lo = opaque(malloc(100));
    char *p = opaque(malloc(100));
    char *hi = opaque(malloc(100));
    __atomic_store_n(&shared_p, p, __ATOMIC_SEQ_CST);
    pthread_t t;
    if (pthread_create(&t, NULL, other, NULL))
        not_reached("pthread_create failed");
    for (int extra = 0; extra < 100;) {
        free(opaque(p));
        p = opaque(malloc(100));
        __atomic_store_n(&shared_p, p, __ATOMIC_SEQ_CST);
        __atomic_add_fetch(&rounds, 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&freed_by_b, __ATOMIC_SEQ_CST))
            extra++;
    }
    pthread_join(t, NULL);
    char *mine = opaque(malloc(100));
    opaque(lo), opaque(hi);
    if (got_b && (got_b == p || got_b == mine))
        reached("the other thread freed the owner's block and malloc gave it %p, which the owner holds too",
                (void *)got_b);
    not_reached("the other thread got %p, the owner holds %p and %p", (void *)got_b, (void *)p, (void *)mine);
}
