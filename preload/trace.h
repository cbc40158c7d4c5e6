/*
 * trace.h - SLZ_TRACE, every allocation call recorded (trace.c).
 */
#ifndef SLZ_TRACE_H
#define SLZ_TRACE_H

#include <stddef.h>

#include "watch.h"

/* Trace recording (trace.c), SLZ_TRACE: every allocation call in the 64-bit
 * malloc-lab .rep format. The hooks cost one load and a branch when off. */
void trace_setup(void);                 /* from setup(): open the file */
void trace_atfork(void);                /* after the shim's pthread_atfork */
void trace_exit(void);                  /* at exit, before the exit reports */
void trace_alloc(void *p, size_t n);
void trace_free(void *p);
int trace_realloc_begin(void *p, size_t n);
void trace_realloc_end(int span, void *p, size_t n, void *q);

#define TRACE_ALLOC(p, n)                                                                          \
    do {                                                                                           \
        if (__builtin_expect(slz_watch.tracing, 0) && (p) != NULL)                                 \
            trace_alloc(p, n);                                                                     \
    } while (0)
/* trace_ret: p, recorded as an allocation of n bytes when tracing. */
static inline void *trace_ret(void *p, size_t n)
{
    TRACE_ALLOC(p, n);
    return p;
}
#define TRACE_FREE(p)                                                                              \
    do {                                                                                           \
        if (__builtin_expect(slz_watch.tracing, 0))                                                \
            trace_free(p);                                                                         \
    } while (0)

#endif
