/* The smallest possible seccomp user-notification supervisor, as the baseline for vigil's
 * notification round trip: the child sends getppid() to the listener, this loop answers
 * CONTINUE with blocking RECV/SEND ioctls, nothing else (no epoll, no /proc, no audit).
 * usage: notify_raw_supervisor PROGRAM ARGS...   (PROGRAM runs under the filter)
 * RAW_SETSID=1: the child calls setsid() first, as vigil's does (src/spawn: no controlling
 * terminal for the app). With the kernel's autogroup scheduling (kernel.sched_autogroup_enabled
 * =1, tasks in the root cgroup) a new session is a new scheduling group, and every round trip
 * then wakes a task of the other group: bench/README.md shows what that costs. */
#define _GNU_SOURCE
#include <errno.h>
#include <poll.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP 1
#endif

static void send_fd(int sock, int fd) {
    char c = 'L';
    struct iovec iov = {&c, 1};
    char ctrl[CMSG_SPACE(sizeof(int))] = {0};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    struct cmsghdr* h = CMSG_FIRSTHDR(&m);
    h->cmsg_level = SOL_SOCKET;
    h->cmsg_type = SCM_RIGHTS;
    h->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(h), &fd, sizeof fd);
    if (sendmsg(sock, &m, 0) != 1) _exit(120);
}

static int recv_fd(int sock) {
    char c;
    struct iovec iov = {&c, 1};
    char ctrl[CMSG_SPACE(sizeof(int))] = {0};
    struct msghdr m = {.msg_iov = &iov, .msg_iovlen = 1, .msg_control = ctrl, .msg_controllen = sizeof ctrl};
    if (recvmsg(sock, &m, 0) != 1) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(CMSG_FIRSTHDR(&m)), sizeof fd);
    return fd;
}

int main(int argc, char** argv) {
    if (argc < 2) return 2;
    int sv[2];
    if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
    pid_t pid = fork();
    if (pid == 0) {
        struct sock_filter f[] = {
            BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
            BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_getppid, 0, 1),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
            BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
        };
        struct sock_fprog prog = {sizeof f / sizeof f[0], f};
        prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0);
        int fd = (int)syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
        if (fd < 0) _exit(121);
        send_fd(sv[1], fd);
        close(fd);
        close(sv[0]);
        close(sv[1]);
        if (getenv("RAW_SETSID") && setsid() < 0) _exit(122);
        execv(argv[1], argv + 1);
        _exit(127);
    }
    int fd = recv_fd(sv[0]);
    if (fd < 0) return 1;
    ioctl(fd, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP);
    struct seccomp_notif_sizes sz;
    syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &sz);
    struct seccomp_notif* req = calloc(1, sz.seccomp_notif);
    struct seccomp_notif_resp* resp = calloc(1, sz.seccomp_notif_resp);
    for (;;) {
        /* A blocking RECV never returns once the child is gone: poll reports that as POLLHUP. */
        struct pollfd p = {fd, POLLIN, 0};
        if (poll(&p, 1, -1) < 0 && errno != EINTR) break;
        if (!(p.revents & POLLIN)) break;
        memset(req, 0, sz.seccomp_notif);
        if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, req) != 0) {
            if (errno == EINTR || errno == ENOENT) continue;
            break;  /* the child is gone */
        }
        memset(resp, 0, sz.seccomp_notif_resp);
        resp->id = req->id;
        resp->flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE;
        ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, resp);
    }
    int st;
    waitpid(pid, &st, 0);
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
