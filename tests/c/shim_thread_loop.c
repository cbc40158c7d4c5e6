/* shim_thread_loop: threads created and joined in a loop. Each short-lived
 * thread allocates and frees through every entry point, frees a block its
 * predecessor left behind, and returns a tagged block that the main thread
 * checks and frees. Usage: shim_thread_loop [rounds]. */
#include "shim_stress.h"

enum { PER_ROUND = 4 };
static long errors;
static struct block inherited[PER_ROUND]; /* left by round k for round k+1 */

struct job {
    unsigned id;
    struct block handoff; /* from the previous round's thread, to free */
};

static void *worker(void *arg)
{
    struct job *j = arg;
    struct rng r = {0x2545f4914f6cdd1dull * (j->id + 1)};
    struct block b[16] = {{0}};
    for (int i = 0; i < 200; i++) {
        stress_step(&r, &b[next(&r) % 16], (uint64_t)j->id << 32 | (uint64_t)i, &errors);
    }
    if (j->handoff.p) /* a block allocated by a thread that has exited */
        stress_drop(&j->handoff, &errors);
    /* keep one block alive past this thread's exit, free the rest */
    struct block *keep = NULL;
    for (int i = 0; i < 16; i++)
        if (b[i].p && !keep)
            keep = &b[i];
        else if (b[i].p)
            stress_drop(&b[i], &errors);
    struct block *out = malloc(sizeof *out);
    if (!out)
        return NULL;
    if (keep)
        *out = *keep;
    else
        memset(out, 0, sizeof *out);
    return out;
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 300;
    alarm(60);
    long created = 0, returned = 0;
    for (int k = 0; k < rounds; k++) {
        pthread_t t[PER_ROUND];
        struct job jobs[PER_ROUND];
        for (int i = 0; i < PER_ROUND; i++) {
            jobs[i].id = (unsigned)(k * PER_ROUND + i);
            jobs[i].handoff = inherited[i];
            inherited[i].p = NULL;
            if (pthread_create(&t[i], NULL, worker, &jobs[i]) != 0) {
                perror("pthread_create");
                return 2;
            }
            created++;
        }
        for (int i = 0; i < PER_ROUND; i++) {
            struct block *out = NULL;
            pthread_join(t[i], (void **)&out);
            if (!out) {
                errors++;
                continue;
            }
            if (out->p) {
                errors += !tag_ok(out, SIZE_MAX);
                returned++;
                if (k % 2)
                    free(out->p); /* freed by the main thread */
                else
                    inherited[i] = *out; /* freed by a thread of the next round */
            }
            free(out);
        }
    }
    for (int i = 0; i < PER_ROUND; i++)
        free(inherited[i].p);
    printf("%ld threads created and joined, %ld blocks outlived their thread, %ld errors\n", created, returned,
           errors);
    return errors == 0 && created == (long)rounds * PER_ROUND && returned > rounds ? 0 : 1;
}
