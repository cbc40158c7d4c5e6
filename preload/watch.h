/*
 * watch.h - the glue between the entry points and what watches the heap
 * (watch.c): the flags the hooks test, set-up, SIGUSR1 maps, exit reports.
 */
#ifndef SLZ_WATCH_H
#define SLZ_WATCH_H


/* The watching hooks' state, one struct (watch.c): the flags that the
 * TRACE_* and WATCH_POLL hooks of every call test. */
struct slz_watch_state {
    int tracing;              /* SLZ_TRACE: recording (trace.c sets it) */
    volatile int map_pending; /* SIGUSR1 asked for a heap map (watch.c) */
};
extern struct slz_watch_state slz_watch;


/* The glue (watch.c): the one set-up from the shim's setup() (the report
 * fd, counting, the trace file, the SIGUSR1 handler), the SIGUSR1 heap map
 * drawn by the next thread to finish a core call, of its own heap
 * (WATCH_POLL), and the reports at exit (watch_exit, from the destructor). */
void watch_setup(void);
void watch_poll(void);
void watch_exit(void);
#define WATCH_POLL()                                                                               \
    do {                                                                                           \
        if (__builtin_expect(slz_watch.map_pending, 0))                                            \
            watch_poll();                                                                          \
    } while (0)

#endif
