/*
 * misuse.h - shared by the deliberate-misuse programs in tests/misuse/.
 *
 * Each program makes one heap mistake and must be stopped by the allocator.
 * The programs are ordinary C: run under LD_PRELOAD=libslzmalloc.so they
 * meet slzmalloc, run bare they meet glibc (the comparison in misuse.bats).
 * They print nothing before the mistake (stdio would allocate); a program
 * that reaches its end writes "survived" and exits 0, so a test expecting an
 * abort fails. An unknown variant exits 2.
 */
#ifndef SLZ_MISUSE_H
#define SLZ_MISUSE_H
#include <malloc.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* opaque: hide p from the optimiser so the mistake is really made. */
static inline void *opaque(void *p)
{
    __asm__ volatile("" : "+r"(p) : : "memory");
    return p;
}

static inline void say_out(int fd, const char *s)
{
    ssize_t r = write(fd, s, strlen(s));
    (void)r;
}

static inline int survived(void)
{
    say_out(1, "survived\n");
    return 0;
}

static inline int usage(const char *text)
{
    say_out(2, text);
    return 2;
}

/* hand: give p to the entry point named by op (free, realloc, realloc_big
 * or usable). */
static inline int hand(const char *op, void *p)
{
    p = opaque(p);
    if (!strcmp(op, "free"))
        free(p);
    else if (!strcmp(op, "realloc"))
        opaque(realloc(p, 300));
    else if (!strcmp(op, "realloc_big")) /* more than the slz heap holds */
        opaque(realloc(p, (size_t)100 << 20));
    else if (!strcmp(op, "usable"))
        opaque((void *)malloc_usable_size(p));
    else
        return usage("op: free | realloc | realloc_big | usable\n");
    return survived();
}

#define IS(s, lit) (!strcmp((s), (lit)))
#endif
