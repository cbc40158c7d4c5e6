/*
 * leaks.c - known leaks for tests/sites.bats: 3 blocks of 100 bytes from
 * a(), 2 of 5000 from b(), and blocks that are freed (c() allocates,
 * reallocates and frees). No stdio: nothing else allocates. With the
 * argument "thread", main also allocates a block that another thread frees
 * (still pending in main's heap at exit: not a leak); creating the thread
 * makes glibc allocate the thread's own blocks too (leaks of libc's, not of
 * this file). Built with -g -O0; SITE:<name> marks the lines reports name.
 */
#include <pthread.h>
#include <stdlib.h>

static void *keep[8];

__attribute__((noinline)) static void a(int i)
{
    keep[i] = malloc(100); /* SITE:a */
}

__attribute__((noinline)) static void b(int i)
{
    keep[3 + i] = malloc(5000); /* SITE:b */
}

__attribute__((noinline)) static void c(void)
{
    void *p = malloc(300);
    void *q = calloc(1, 700);
    p = realloc(p, 900);
    free(q);
    free(p);
}

static void *away(void *p)
{
    free(p);
    return NULL;
}

int main(int argc, char **argv)
{
    (void)argv;
    for (int i = 0; i < 3; i++)
        a(i); /* SITE:call_a */
    c();
    for (int i = 0; i < 2; i++)
        b(i); /* SITE:call_b */
    if (argc > 1) {
        pthread_t t;
        void *p = malloc(64); /* SITE:pending */
        pthread_create(&t, NULL, away, p);
        pthread_join(t, NULL);
    }
    return 0;
}
