// Stands in for a container runtime that keeps a seccomp listener for its task:
//   hold_listener CMD [ARGS...]
// loads a filter with SECCOMP_FILTER_FLAG_NEW_LISTENER (notifying only the obsolete uselib
// syscall), keeps the listener fd open across execve, and execs CMD. A later filter asking for
// a listener in this task tree then gets EBUSY.
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    struct sock_filter insns[] = {
        BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
        BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_uselib, 0, 1),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
        BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
    };
    struct sock_fprog prog = {sizeof insns / sizeof insns[0], insns};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) { perror("no_new_privs"); return 2; }
    int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
    if (fd < 0) { perror("seccomp"); return 2; }
    // The kernel creates the listener close-on-exec; closing it would detach it.
    if (fcntl(fd, F_SETFD, 0) < 0) { perror("fcntl"); return 2; }
    execvp(argv[1], argv + 1);  // fd stays open: the listener lives on
    perror(argv[1]);
    return 127;
}
