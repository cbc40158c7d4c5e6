/* reports.h - catching the core's reports in a test (core_reports.c,
 * core_cache_misuse.c): an error handler (slz_set_error_handler(handler))
 * records the report and jumps back to the REPORTS that made the call,
 * instead of letting the core abort; each case uses a heap of its own (the
 * one that saw the misuse is left as it is). */
#ifndef SLZ_TEST_REPORTS_H
#define SLZ_TEST_REPORTS_H
#include <setjmp.h>
#include <string.h>

#include "check.h"

static __thread sigjmp_buf back; /* (each thread jumps back in itself) */
static const char *seen;          /* (read once the thread that saw it is joined) */
static const char *seen_op;       /* (the entry point the report named) */

static void handler(const char *op, const char *what, const void *ptr)
{
    (void)ptr;
    seen = what;
    seen_op = op;
    siglongjmp(back, 1);
}

/* REPORTS(what, stmt): stmt must end in the core's report what (NULL: no
 * report at all). */
#define REPORTS(what, stmt)                                                                        \
    do {                                                                                           \
        seen = NULL;                                                                               \
        if (sigsetjmp(back, 0) == 0) {                                                             \
            stmt;                                                                                  \
        }                                                                                          \
        int ok_ = (what) == NULL ? seen == NULL : seen != NULL && strcmp(seen, (what) ? (what) : "") == 0; \
        CHECK(#stmt, ok_);                                                                         \
        if (!ok_)                                                                                  \
            fprintf(stderr, "  expected \"%s\", got \"%s\"\n", (what) ? (what) : "(no report)",   \
                    seen ? seen : "(no report)");                                                  \
    } while (0)
#endif
