/* stale: use a pointer after its block was freed and handed out again.
 *
 *   stale free      free(p); q = malloc(100), which first fit puts on p;
 *                   the stale free(p) then frees the new owner's live q:
 *                   goal: the next malloc(100) returns q, live, a second time
 *   stale secrets   p (the first block) holds a secret; free(p); 3000 blocks of the same size
 *                   are freed after it (enough to push p out of a bounded
 *                   quarantine) and 3001 allocated again: goal: one of them
 *                   holds the secret's bytes
 *   stale realloc-free   the same, with p given back by a realloc that
 *                   moved it (a live block above: p cannot grow in place)
 *   stale realloc-secrets  p (240 bytes) holds a secret in its last 128;
 *                   realloc(p, 16) cuts the tail off in place; blocks of
 *                   16..216 bytes are allocated three times over: goal: one
 *                   of them holds the secret's bytes
 * Exact first fit reuses p at once and keeps contents, so without a
 * quarantine every goal is reached; the secure profile (SLZ_SECURE=1) holds
 * p back (the stale free is a double free) and clears what is freed, the
 * tail a realloc cuts off included. (Small sizes: the default one-page heap
 * serves them, not glibc.)
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

static void stale_realloc_free(void)
{
    char *p = opaque(malloc(100));
    char *fence = opaque(malloc(100)); /* p cannot grow in place */
    char *moved = opaque(realloc(p, 2000));
    char *q = opaque(malloc(100));
    memset(q, 'Q', 100);
    free(opaque(p)); /* stale: realloc gave p back */
    char *r = opaque(malloc(100));
    if (r == q)
        reached("the stale free(%p) after realloc released the live block %p: malloc(100) returned it again", (void *)p, (void *)q);
    not_reached("malloc(100) returned %p, not the live block %p (p was %p, moved to %p, fence %p)", (void *)r, (void *)q,
                (void *)p, (void *)moved, (void *)fence);
}

static void stale_realloc_secrets(void)
{
    char *p = opaque(malloc(240));
    char *fence = opaque(malloc(16)); /* the tail cannot merge upwards */
    memset(p + 112, 0x5A, 128); /* the secret, in what realloc cuts off */
    char *kept = opaque(realloc(p, 16));
    for (int round = 0; round < 3; round++)
        for (size_t n = 16; n <= 216; n += 8) {
            unsigned char *b = opaque(malloc(n));
            for (size_t k = 0; b && k + 8 <= n; k++)
                if (memcmp(b + k, "ZZZZZZZZ", 8) == 0)
                    reached("the fresh block %p of %zu bytes holds the secret at offset %zu (p was %p, kept at %p)", (void *)b,
                            n, k, (void *)p, (void *)kept);
        }
    not_reached("no fresh block held the secret (p was %p, kept at %p, fence %p)", (void *)p, (void *)kept, (void *)fence);
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    if (IS(how, "free"))
        stale_free();
    else if (IS(how, "secrets"))
        stale_secrets();
    else if (IS(how, "realloc-free"))
        stale_realloc_free();
    else if (IS(how, "realloc-secrets"))
        stale_realloc_secrets();
    usage("stale free | secrets | realloc-free | realloc-secrets\n");
}
