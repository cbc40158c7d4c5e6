/*
 * report_fd.h - where the shim's reports go (report_fd.c).
 */
#ifndef SLZ_REPORT_FD_H
#define SLZ_REPORT_FD_H


/* The report fd (report_fd.c): where everything printed at exit or later goes: a
 * copy of stderr taken by report_setup at start-up (fd >= 100). report_fd:
 * that copy if it still is the same file (fstat), else -1: print nothing.
 * report_say: say() to it, or nothing. */
void report_setup(void);
int report_fd(void);
void report_say(const char *const *pieces, int n);

#endif
