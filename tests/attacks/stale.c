/* stale: use a pointer after its block was freed and handed out again.
 *
 *   stale free      free(p); q = malloc(100), which first fit puts on p;
 *                   the stale free(p) then frees the new owner's live q:
 *                   goal: the next malloc(100) returns q, live, a second time
 *   stale secrets   p (the first block) holds a secret; free(p); 3000 blocks of the same size
 *                   are freed after it (enough to push p out of a bounded
 *                   quarantine) and 3001 allocated again: goal: one of them
 *                   holds the secret's bytes
 * Exact first fit reuses p at once and keeps contents, so without a
 * quarantine both goals are reached; the secure profile (SLZ_SECURE=1) holds
 * p back (the stale free is a double free) and clears it when freed.
 */
#include "attacks.h"

#define N 3000

static void stale_free(void)
{
    char *p = opaque(malloc(100));
    free(p);
    char *q = opaque(malloc(100));
    memset(q, 'Q', 100); /* the new owner's data */
    free(opaque(p));     /* stale */
    char *r = opaque(malloc(100));
    if (r == q)
        reached("the stale free(%p) released the live block %p: malloc(100) returned it again", (void *)p, (void *)q);
    not_reached("malloc(100) returned %p, not the live block %p (p was %p)", (void *)r, (void *)q, (void *)p);
}

static void *x[N + 1];

static void stale_secrets(void)
{
    char *p = opaque(malloc(100)); /* first: in the allocator's first heap */
    for (int i = 0; i < N; i++)
        x[i] = opaque(malloc(100));
    memset(p, 0x5A, 100); /* the secret */
    free(p);
    for (int i = 0; i < N; i++)
        free(x[i]);
    int again = 0;
    for (int i = 0; i <= N; i++) {
        unsigned char *b = opaque(malloc(100));
        x[i] = b;
        again |= (char *)b == p;
        for (int k = 0; b && k + 8 <= 100; k++)
            if (memcmp(b + k, "ZZZZZZZZ", 8) == 0)
                reached("the fresh block %p (malloc number %d) holds the secret at offset %d (p was %p)", (void *)b, i + 1, k, (void *)p);
    }
    not_reached("no fresh block held the secret (p's place %p %s)", (void *)p, again ? "was handed out again, cleared" : "was not handed out again");
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    if (IS(how, "free"))
        stale_free();
    else if (IS(how, "secrets"))
        stale_secrets();
    usage("stale free | secrets\n");
}
