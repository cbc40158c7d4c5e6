/* shim_adopt_clear: a heap taken over from an exited thread shows its new
 * thread none of the old one's bytes. Thread A writes a secret into a
 * 200-byte block and makes realloc move it (its old place reaches the heap's
 * free space without a free: the quarantine never sees it), then exits;
 * thread B, which takes A's heap over, allocates 50 blocks of 200 bytes and
 * looks for the secret in each. Prints "secret seen" or "no secret": under
 * the shim, the first without SLZ_SECURE (exact first fit hands A's old
 * place out again, unchanged), the second with it (preload/heaps.c,
 * clear_free).
 *
 *   shim_adopt_clear */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

static void *leave_secret(void *arg)
{
    char *p = opaque(malloc(200)), *keep = opaque(malloc(16)); /* keep: p cannot grow in place */
    memset(p, 0x5A, 200);
    p = opaque(realloc(p, 5000));
    memset(p, 0, 5000); /* (the new place holds the secret too: cleared, and kept from the optimiser) */
    free(opaque(p));
    return keep == NULL ? arg : NULL;
}

static void *look(void *arg)
{
    int *found = arg;
    for (int i = 0; i < 50; i++) {
        unsigned char *q = opaque(malloc(200));
        for (int k = 0; q && k + 8 <= 200; k++)
            if (memcmp(q + k, "ZZZZZZZZ", 8) == 0)
                *found = 1;
    }
    return NULL;
}

int main(void)
{
    pthread_t t;
    int found = 0;
    if (pthread_create(&t, NULL, leave_secret, NULL) || pthread_join(t, NULL))
        return 2;
    if (pthread_create(&t, NULL, look, &found) || pthread_join(t, NULL))
        return 2;
    printf(found ? "secret seen\n" : "no secret\n");
    return 0;
}
