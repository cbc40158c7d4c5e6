/*
 * options.c - the SLZ_* environment variables, read once at start-up.
 *
 * One table: each option has a name, a parser and a line of help. A bad
 * value prints one "slzmalloc:" warning line and the default is kept.
 * getenv() returns a pointer into the environment: nothing is copied.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>

#include "options.h"
#include "slz_report.h"

struct slz_options slz_opt;

static void warn(const char *name, const char *value, const char *why)
{
    const char *p[] = {"ignoring ", name, "=", value, ": ", why};
    say(2, p, 6);
}

static int opt_heap_size(const char *name, const char *v)
{
    size_t page = (size_t)sysconf(_SC_PAGESIZE);
    size_t mem = (size_t)sysconf(_SC_PHYS_PAGES) * page;
    const char *why;
    size_t n = slz_parse_size(v, &why);
    if (n == 0) {
        const char *p[] = {"ignoring ", name, "=", v, ": ", why, "; using one page"};
        say(2, p, 7);
        return -1;
    }
    if (n > ((size_t)64 << 30) - 16) { /* sizes count 16-byte granules in 32 bits */
        warn(name, v, "larger than the 64 GiB a heap can be; using one page");
        return -1;
    }
    if (n > mem) {
        warn(name, v, "larger than this machine's memory; using one page");
        return -1;
    }
    if (n < page) {
        warn(name, v, "smaller than one page; using one page");
        return -1;
    }
    slz_opt.heap_size = (n + page - 1) & ~(page - 1);
    return 0;
}

static int is_yes(const char *v)
{
    return !strcmp(v, "1") || !strcasecmp(v, "on") || !strcasecmp(v, "yes") || !strcasecmp(v, "true");
}
static int is_no(const char *v)
{
    return !strcmp(v, "0") || !strcasecmp(v, "off") || !strcasecmp(v, "no") || !strcasecmp(v, "false") ||
           !*v;
}

static int opt_bool(const char *name, const char *v, int *out, const char *why)
{
    if (is_yes(v))
        *out = 1;
    else if (!is_no(v)) {
        warn(name, v, why);
        return -1;
    }
    return 0;
}

static int stats_given; /* SLZ_STATS had a good value: SLZ_STATS_FILE does not override it */

static int opt_stats(const char *name, const char *v)
{
    stats_given = 1;
    if (!strcasecmp(v, "json")) {
        slz_opt.stats = 2;
        return 0;
    }
    if (opt_bool(name, v, &slz_opt.stats, "not 1/on/yes/true, 0/off/no/false or json") == 0)
        return 0;
    stats_given = 0;
    return -1;
}

static int opt_check(const char *name, const char *v) { return opt_bool(name, v, &slz_opt.check, "not 1/on/yes/true or 0/off/no/false"); }
static int opt_cache(const char *name, const char *v) { return opt_bool(name, v, &slz_opt.cache, "not 1/on/yes/true or 0/off/no/false; cache off"); }
static int opt_secure(const char *name, const char *v) { return opt_bool(name, v, &slz_opt.secure, "not 1/on/yes/true or 0/off/no/false; secure profile off"); }
static int opt_sites(const char *name, const char *v) { return opt_bool(name, v, &slz_opt.sites, "not 1/on/yes/true or 0/off/no/false; call sites off"); }

/* absolute: path made absolute against the directory at start-up, in buf:
 * the reports opened at exit must not follow the program's chdir. A path
 * that does not fit (or no working directory) is kept as given, with one
 * warning. getcwd into a caller's buffer allocates nothing. */
static const char *absolute(const char *name, const char *path, char *buf, size_t cap)
{
    if (*path == '\0')
        return NULL;
    if (*path == '/')
        return path;
    size_t n = 0, len = strlen(path);
    if (getcwd(buf, cap) != NULL)
        n = strlen(buf);
    if (n == 0 || n + 1 + len + 1 > cap) {
        const char *p[] = {name, ": relative path too long to make absolute (or no working directory); "
                                 "used as given, relative to the directory current when it is opened: ", path};
        say(2, p, 3);
        return path;
    }
    if (buf[n - 1] != '/')
        buf[n++] = '/';
    memcpy(buf + n, path, len + 1);
    return buf;
}

static int opt_stats_file(const char *name, const char *v)
{
    static char buf[4096];
    slz_opt.stats_file = absolute(name, v, buf, sizeof buf);
    return 0;
}

/* a_path: SLZ_HEAPMAP and SLZ_TRACE take a file name where their
 * neighbours take 1: "1" (or on/yes/true) is a switch turned on by mistake,
 * warned about, never a file named 1; 0/off/no/false turn them off. */
static int a_path(const char *name, const char *v, const char *example)
{
    if (is_yes(v)) {
        const char *p[] = {"ignoring ", name, "=", v, ": it takes a file name (as ", name, "=", example,
                           "), not a switch; ./", v, " names a file ", v};
        say(2, p, 12);
        return 0;
    }
    return !is_no(v);
}

static int opt_heapmap(const char *name, const char *v)
{
    static char buf[4096];
    if (a_path(name, v, "heap.svg"))
        slz_opt.heapmap = absolute(name, v, buf, sizeof buf);
    return 0;
}

static int opt_trace(const char *name, const char *v)
{
    static char buf[4096];
    if (a_path(name, v, "prog.rep"))
        slz_opt.trace = absolute(name, v, buf, sizeof buf);
    return 0;
}

static const struct {
    const char *name;
    int (*parse)(const char *name, const char *value);
    /* help: one line each, for the README and slz-run --help */
} options[] = {
    {"SLZ_HEAP_SIZE", opt_heap_size},   /* bytes of the slz heap; K/M/G; default one page */
    {"SLZ_STATS", opt_stats},           /* 1: a statistics table at exit; json: the same as JSON */
    {"SLZ_STATS_FILE", opt_stats_file}, /* the statistics to this file instead of stderr; implies SLZ_STATS=1 */
    {"SLZ_CHECK", opt_check},           /* 1: check the heap around every operation (shim.c, check_heap) */
    {"SLZ_HEAPMAP", opt_heapmap},       /* an SVG map of the heap to this file at exit (and on SIGUSR1) */
    {"SLZ_TRACE", opt_trace},           /* record every allocation call to this .rep file */
    {"SLZ_CACHE", opt_cache},           /* 1: the fast mode: a cache of recently freed small blocks in front of first fit */
    {"SLZ_SECURE", opt_secure},         /* 1: the secure profile: freed blocks zeroed and held in a quarantine (no reuse cache) */
    {"SLZ_SITES", opt_sites},           /* 1: remember where blocks were allocated and freed: misuse reports and the exit report's leaks name them */
};

#define N_OPTIONS (sizeof options / sizeof options[0])

/* In secure-execution mode (AT_SECURE: set-user-ID, set-group-ID or file
 * capabilities) every SLZ_* variable is ignored, as glibc ignores its
 * MALLOC_* tunables there: the environment belongs to a less privileged
 * user. The file names would be written with the program's privileges, and
 * the others let that user choose the heap's size (so which allocator serves
 * a block), turn on checks, call-site records or reports on stderr. One
 * warning line names the ones that were set. */
static void ignore_all(const char *const *names, int n)
{
    const char *p[2 * N_OPTIONS + 2];
    int k = 0;
    p[k++] = "secure-execution mode (set-user-ID, set-group-ID or capabilities): ignoring";
    for (int i = 0; i < n; i++) {
        p[k++] = i ? ", " : " ";
        p[k++] = names[i];
    }
    p[k++] = "; defaults used, no report files are written";
    say(2, p, k);
}

void options_read(void)
{
    const char *ignored[N_OPTIONS];
    int n_ignored = 0, secure = getauxval(AT_SECURE) != 0;
    slz_opt.heap_size = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < N_OPTIONS; i++) {
        const char *v = getenv(options[i].name);
        if (v != NULL && secure) {
            if (*v)
                ignored[n_ignored++] = options[i].name;
        } else if (v != NULL)
            options[i].parse(options[i].name, v);
    }
    if (n_ignored)
        ignore_all(ignored, n_ignored);
    if (slz_opt.stats_file && !stats_given) /* naming a report file asks for the report */
        slz_opt.stats = 1;
}
