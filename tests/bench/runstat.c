/*
 * runstat.c - runs a command and reports its wall time and peak RSS.
 *
 *   runstat [-o FILE] cmd args...
 *
 * Prints (to FILE, or stderr) one line:
 *   "runstat: WALL_SECONDS MAXRSS_KIB STATUS CPU_SECONDS"
 * where MAXRSS_KIB is the largest resident set of the command or of any of
 * its descendants it waited for (wait4's ru_maxrss), STATUS is the exit code
 * (128+signal when killed) and CPU_SECONDS is user + system time of the
 * command and those descendants. The command's own output is untouched.
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *out = NULL;
    int i = 1;
    if (i + 1 < argc && strcmp(argv[i], "-o") == 0) {
        out = argv[i + 1];
        i += 2;
    }
    if (i >= argc) {
        fprintf(stderr, "usage: runstat [-o FILE] cmd args...\n");
        return 2;
    }
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    pid_t pid = fork();
    if (pid < 0) {
        perror("runstat: fork");
        return 2;
    }
    if (pid == 0) {
        execvp(argv[i], argv + i);
        perror("runstat: exec");
        _exit(127);
    }
    int status;
    struct rusage ru;
    if (wait4(pid, &status, 0, &ru) < 0) {
        perror("runstat: wait4");
        return 2;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double wall = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    int code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    FILE *f = out ? fopen(out, "w") : stderr;
    if (!f) {
        perror("runstat: -o");
        return 2;
    }
    double cpu = (double)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) +
                 (double)(ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1e6;
    fprintf(f, "runstat: %.6f %ld %d %.6f\n", wall, ru.ru_maxrss, code, cpu);
    if (out)
        fclose(f);
    return code;
}
