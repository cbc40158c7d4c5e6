/* shim_rlimit: a program that lowers its address-space limit (RLIMIT_AS)
 * after it started, as containers, CI runners and `ulimit -v` do, must go
 * on working under the shim whatever SLZ_HEAP_SIZE says (issue 21).
 *
 *   shim_rlimit thread: allocate a little, lower RLIMIT_AS to 200 MB, then
 *     create a thread (default stack) that allocates and writes 50 MB, and
 *     allocate 50 MB in main too, the thread's freed first; both must work.
 *   shim_rlimit fail [rounds]: glibc's tst-malloc-thread-fail scenario, in
 *     our own words: under a 200 MB limit, 8 threads (small stacks) and main
 *     each allocate blocks of one size until a request fails, wait for the
 *     others, then free everything; in a child process per size and entry
 *     point. Every child must exit 0 (no crash, no abort, no thread
 *     creation failure: status 2).
 * Prints one summary line; exit status 0 when everything worked. */
#define _GNU_SOURCE
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#define LIMIT ((rlim_t)200 << 20)

static int lower_limit(void)
{
    struct rlimit r;
    if (getrlimit(RLIMIT_AS, &r) != 0)
        return -1;
    if (r.rlim_cur == RLIM_INFINITY || r.rlim_cur > LIMIT)
        r.rlim_cur = LIMIT;
    return setrlimit(RLIMIT_AS, &r);
}

/* ---- thread: a thread and 50 MB under the limit ---- */
static void *fifty(void *arg)
{
    (void)arg;
    char *p = malloc(50 << 20);
    if (p)
        memset(p, 1, 50 << 20);
    return p;
}

static int thread_case(void)
{
    void *warm[64];
    for (int i = 0; i < 64; i++) /* the program has started: heaps exist */
        warm[i] = malloc(16 * (size_t)(i + 1));
    if (lower_limit() != 0) {
        printf("setrlimit failed: %s\n", strerror(errno));
        return 1;
    }
    pthread_t t;
    void *got = NULL;
    int e = pthread_create(&t, NULL, fifty, NULL);
    if (e == 0)
        pthread_join(t, &got);
    free(got); /* (with it live, main's 50 MB came within 3 MB of the limit, glibc's
                * arena of the thread counted: it failed now and then, glibc's way or not) */
    char *m = malloc(50 << 20);
    if (m)
        memset(m, 2, 50 << 20);
    printf("under a 200 MB RLIMIT_AS: thread creation %s, 50 MB in the thread %s, 50 MB in main %s\n",
           e ? strerror(e) : "works", got ? "works" : "fails", m ? "works" : "fails");
    free(m);
    for (int i = 0; i < 64; i++)
        free(warm[i]);
    return e != 0 || got == NULL || m == NULL;
}

/* ---- fail: every thread allocates until it fails ---- */
enum { THREADS = 8 };
static pthread_barrier_t start, end;
static size_t size, align;
static int kind;
static const char *const kinds[] = {"malloc", "realloc", "calloc", "posix_memalign", "memalign", "valloc"};
enum { KINDS = sizeof kinds / sizeof kinds[0] };

static void *one(void)
{
    void *p = NULL, *q;
    switch (kind) {
    case 0: return malloc(size);
    case 1:
        if ((p = realloc(NULL, 16)) == NULL)
            return NULL;
        if ((q = realloc(p, size)) == NULL)
            free(p);
        return q;
    case 2:
        if ((q = calloc(1, size)) != NULL)
            for (size_t i = 0; i < size; i += 512)
                if (((char *)q)[i])
                    abort();
        return q;
    case 3: return posix_memalign(&p, align, size) == 0 ? p : NULL;
    case 4: return memalign(align, size);
    default: return valloc(size);
    }
}

static void *fill(void *arg)
{
    (void)arg;
    pthread_barrier_wait(&start);
    void **head = NULL, **e;
    long n = 0;
    while ((e = one()) != NULL) {
        if (((uintptr_t)e & (align - 1)) != 0)
            abort();
        *e = head;
        head = e;
        n++;
    }
    pthread_barrier_wait(&end);
    while (head) {
        e = *head;
        free(head);
        head = e;
    }
    return (void *)n; /* (a thread may get nothing: the others took it all) */
}

/* run_one: one size and entry point in a child; 0 when it worked */
static int run_one(void)
{
    pid_t pid = fork();
    if (pid == 0) {
        pthread_attr_t small;
        pthread_attr_init(&small);
        pthread_attr_setstacksize(&small, 256 << 10);
        pthread_t t[THREADS];
        for (int i = 0; i < THREADS; i++)
            if (pthread_create(&t[i], &small, fill, NULL) != 0)
                _exit(2);
        fill(NULL);
        for (int i = 0; i < THREADS; i++)
            pthread_join(t[i], NULL);
        _exit(0);
    }
    int status;
    if (pid < 0 || waitpid(pid, &status, 0) != pid)
        return -1;
    return status;
}

static int fail_case(int rounds)
{
    mallopt(M_ARENA_MAX, 2);
    if (lower_limit() != 0)
        return 1;
    pthread_barrier_init(&start, NULL, THREADS + 1);
    pthread_barrier_init(&end, NULL, THREADS + 1);
    const size_t sizes[] = {144, 4096, 512, 17 * 4096};
    int runs = 0, bad = 0;
    for (int r = 0; r < rounds; r++)
        for (unsigned s = 0; s < sizeof sizes / sizeof sizes[0]; s++)
            for (kind = 0; kind < KINDS; kind++) {
                size = sizes[s];
                align = kind == 5 ? 4096 : kind >= 3 ? 128 : 16;
                int st = run_one();
                runs++;
                if (st != 0) {
                    bad++;
                    printf("%s(%zu): child status %d\n", kinds[kind], size, st);
                }
            }
    printf("under a 200 MB RLIMIT_AS, 9 threads filled memory: %d runs, %d failed\n", runs, bad);
    return bad != 0;
}

int main(int argc, char **argv)
{
    setvbuf(stdout, NULL, _IONBF, 0);
    if (argc > 1 && strcmp(argv[1], "thread") == 0)
        return thread_case();
    if (argc > 1 && strcmp(argv[1], "fail") == 0)
        return fail_case(argc > 2 ? atoi(argv[2]) : 1);
    fprintf(stderr, "usage: shim_rlimit thread | fail [rounds]\n");
    return 2;
}
