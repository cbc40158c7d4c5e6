/* deny_vm_readv PROG ARGS...: run PROG with process_vm_readv(2) failing
 * ENOSYS, as it does under qemu-user (7.2 has no such call) and under a
 * seccomp filter that refuses it: a seccomp filter on this process (no new
 * privileges), then exec. The shim reads glibc's chunk headers with that
 * call (preload/places.c); tests/registry.bats runs it so. */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    struct sock_filter f[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_process_vm_readv, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof f / sizeof f[0], f};
    if (argc < 2) {
        fprintf(stderr, "usage: deny_vm_readv PROG ARGS...\n");
        return 2;
    }
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog) != 0) {
        perror("deny_vm_readv: seccomp");
        return 2;
    }
    execvp(argv[1], argv + 1);
    perror("deny_vm_readv: exec");
    return 2;
}
