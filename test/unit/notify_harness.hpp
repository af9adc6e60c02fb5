// Test harness for the notify tests: forks a child that installs a small seccomp filter
// sending the given syscalls to a listener, passes the listener to the parent over a
// socketpair, then runs `body` and exits with its return value. No vigil code involved in
// the child, so the tests exercise the real kernel API against the parent's code.
#pragma once

#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstddef>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <vector>

namespace notify_test {

inline std::vector<sock_filter> notify_program(const std::vector<int>& nrs) {
    std::vector<sock_filter> p;
    p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)));
    p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 1, 0));
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_KILL_PROCESS));
    p.push_back(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)));
    for (int nr : nrs) {
        p.push_back(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<unsigned>(nr), 0, 1));
        p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF));
    }
    p.push_back(BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW));
    return p;
}

struct Child {
    pid_t pid = -1;
    int listener = -1;

    // Waits for the child; returns its exit code, or 128+signal.
    int wait() {
        int st = 0;
        while (waitpid(pid, &st, 0) < 0)
            if (errno != EINTR) return -1;
        pid = -1;
        return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    }
    ~Child() {
        if (pid > 0) {
            kill(pid, SIGKILL);
            wait();
        }
        if (listener >= 0) close(listener);
    }
};

inline void send_fd(int sock, int fd) {
    char data = 'L';
    iovec iov{&data, 1};
    alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl;
    msg.msg_controllen = sizeof ctrl;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    c->cmsg_level = SOL_SOCKET;
    c->cmsg_type = SCM_RIGHTS;
    c->cmsg_len = CMSG_LEN(sizeof(int));
    memcpy(CMSG_DATA(c), &fd, sizeof(int));
    if (sendmsg(sock, &msg, 0) != 1) _exit(101);
}

inline int recv_fd(int sock) {
    char data;
    iovec iov{&data, 1};
    alignas(cmsghdr) char ctrl[CMSG_SPACE(sizeof(int))] = {};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    msg.msg_control = ctrl;
    msg.msg_controllen = sizeof ctrl;
    if (recvmsg(sock, &msg, MSG_CMSG_CLOEXEC) != 1) return -1;
    cmsghdr* c = CMSG_FIRSTHDR(&msg);
    if (!c || c->cmsg_type != SCM_RIGHTS) return -1;
    int fd;
    memcpy(&fd, CMSG_DATA(c), sizeof(int));
    return fd;
}

// Starts the child. `before_filter` runs in the child before the filter is loaded (e.g. to
// drop privileges); `body` runs under the filter.
inline void start(Child& child, const std::vector<int>& nrs, std::function<int()> body,
                  std::function<void()> before_filter = {}) {
    int sp[2];
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sp) != 0)
        throw std::runtime_error("socketpair");
    std::vector<sock_filter> prog = notify_program(nrs);
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        close(sp[0]);
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (before_filter) before_filter();
        if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(102);
        sock_fprog fprog{static_cast<unsigned short>(prog.size()), prog.data()};
        long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER,
                          &fprog);
        if (fd < 0) _exit(103);
        send_fd(sp[1], static_cast<int>(fd));
        close(static_cast<int>(fd));
        close(sp[1]);
        _exit(body());
    }
    close(sp[1]);
    child.pid = pid;
    child.listener = recv_fd(sp[0]);
    close(sp[0]);
    if (child.listener < 0) throw std::runtime_error("no listener from the child");
}

}  // namespace notify_test
