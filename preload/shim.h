/*
 * shim.h - what shim.c, the entry points, offers the other parts of the
 * LD_PRELOAD shim.
 *
 * The shim is forwarding plus fallback plus routing: every glibc allocation
 * entry point first asks the calling thread's own slz heap (no lock), falls
 * back to glibc's own allocator when the core cannot serve, and routes free,
 * realloc and malloc_usable_size by who owns the pointer. Only this layer
 * knows glibc, the environment and the fallback. Each part has a header of
 * its own: heaps.h, options.h, stats.h, report_fd.h, watch.h, trace.h,
 * sites.h; what they share with the tools is the report layer
 * (include/slz_report.h).
 */
#ifndef SLZ_SHIM_H
#define SLZ_SHIM_H

void glibc_flush(void); /* shim.c: the thread's count of glibc's bytes, reported at its exit */

#endif
