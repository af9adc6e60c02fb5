// Test support for the filter and privileges tests: build Profile values by hand and run
// test/helpers/sys_probe under a compiled filter in a forked child (what spawn does, minus
// everything else), so every assertion is about a real process.
#pragma once

#include <errno.h>
#include <fcntl.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <functional>
#include <stdexcept>
#include <string>
#include <vector>

#include <linux/audit.h>

#include "../../src/filter/internal.hpp"
#include "vigil/filter.hpp"
#include "vigil/profile.hpp"

namespace vigil::test {

inline Action allow() { return {ActionKind::Allow}; }
inline Action err(int e) { return {ActionKind::Errno, e}; }
inline Action act(ActionKind k) { return {k}; }

inline SyscallRule rule(const std::string& name, Action a, std::vector<ArgCondition> when = {}) {
    SyscallRule r;
    r.syscall = name;
    r.action = a;
    r.conditions = std::move(when);
    r.where = {"test.toml", 1, 1};
    return r;
}

inline ArgCondition cond(unsigned index, CmpOp op, uint64_t value, uint64_t mask = 0) {
    ArgCondition c;
    c.index = index;
    c.op = op;
    c.value = value;
    c.mask = mask;
    return c;
}

// What PROG answers for a native x86_64 call NR(ARGS), through vigil's BPF interpreter.
inline uint32_t full_decision(const std::vector<sock_filter>& prog, int nr, const uint64_t args[6]) {
    seccomp_data d{};
    d.nr = nr;
    d.arch = AUDIT_ARCH_X86_64;
    for (int i = 0; i < 6; ++i) d.args[i] = args[i];
    return filter_detail::run_bpf(prog, d);
}

inline Profile profile_with(Action def, std::vector<SyscallRule> rules) {
    Profile p;
    p.has_seccomp = true;
    p.default_action = def;
    p.rules = std::move(rules);
    p.files = {"test.toml"};
    return p;
}

// What the dynamic loader and libc need to start sys_probe and exit.
inline std::vector<SyscallRule> startup_rules() {
    std::vector<SyscallRule> out;
    for (const char* n : {"execve", "brk", "arch_prctl", "mmap", "mprotect", "munmap", "openat", "read", "write",
                          "close", "fstat", "newfstatat", "pread64", "access", "set_tid_address", "set_robust_list",
                          "rseq", "prlimit64", "getrandom", "exit_group", "exit", "futex", "rt_sigaction",
                          "rt_sigprocmask", "clone", "madvise", "mremap", "lseek", "fcntl"})
        out.push_back(rule(n, allow()));
    return out;
}

inline std::string helper_path(const std::string& name) {
    char exe[4096];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n < 0) throw std::runtime_error("readlink /proc/self/exe");
    std::string dir(exe, static_cast<size_t>(n));
    dir = dir.substr(0, dir.rfind('/'));
    return dir + "/../helpers/" + name;  // BUILD/test/vigil_unit -> BUILD/helpers/NAME
}

struct Outcome {
    std::string out;
    int exit_code = -1;  // -1 when killed
    int signal = 0;      // the killing signal
};

inline void load_or_die(const BpfProgram& prog, unsigned flags, int* listener) {
    sock_fprog fprog{static_cast<unsigned short>(prog.insns.size()), const_cast<sock_filter*>(prog.insns.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) _exit(120);
    long rc = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &fprog);
    if (rc < 0) _exit(121);
    if (listener) *listener = static_cast<int>(rc);
}

inline Outcome wait_outcome(pid_t pid, int out_fd) {
    Outcome o;
    char buf[4096];
    ssize_t n;
    while ((n = read(out_fd, buf, sizeof buf)) > 0 || (n < 0 && errno == EINTR))
        if (n > 0) o.out.append(buf, static_cast<size_t>(n));
    close(out_fd);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    if (WIFEXITED(status)) o.exit_code = WEXITSTATUS(status);
    if (WIFSIGNALED(status)) o.signal = WTERMSIG(status);
    return o;
}

inline std::vector<char*> c_argv(std::vector<std::string>& args) {
    std::vector<char*> v;
    for (auto& a : args) v.push_back(a.data());
    v.push_back(nullptr);
    return v;
}

// fork; child: optional SETUP (e.g. apply_privileges), no_new_privs + filter, exec ARGS.
inline Outcome run_filtered(const BpfProgram* prog, std::vector<std::string> args,
                            const std::function<void()>& setup = {}) {
    auto argv = c_argv(args);
    int p[2];
    if (pipe2(p, O_CLOEXEC) != 0) throw std::runtime_error("pipe2");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        dup2(p[1], 1);
        if (setup) setup();
        if (prog) load_or_die(*prog, 0, nullptr);
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(p[1]);
    return wait_outcome(pid, p[0]);
}

// Like run_filtered with a user-notification listener: the parent takes the child's
// listener with pidfd_getfd and answers each notification with ANSWER.
inline Outcome run_notified(const BpfProgram& prog, std::vector<std::string> args,
                            const std::function<seccomp_notif_resp(const seccomp_notif&)>& answer,
                            std::vector<int>* seen = nullptr) {
    auto argv = c_argv(args);
    int out[2], fdpipe[2], go[2];
    if (pipe2(out, O_CLOEXEC) || pipe2(fdpipe, O_CLOEXEC) || pipe2(go, O_CLOEXEC)) throw std::runtime_error("pipe2");
    pid_t pid = fork();
    if (pid < 0) throw std::runtime_error("fork");
    if (pid == 0) {
        dup2(out[1], 1);
        int listener = -1;
        load_or_die(prog, SECCOMP_FILTER_FLAG_NEW_LISTENER, &listener);
        if (write(fdpipe[1], &listener, sizeof listener) != sizeof listener) _exit(122);
        char c;
        if (read(go[0], &c, 1) != 1) _exit(123);  // the parent holds a copy of the listener now
        execv(argv[0], argv.data());
        _exit(127);
    }
    close(out[1]);
    close(fdpipe[1]);
    close(go[0]);
    int child_fd = -1;
    if (read(fdpipe[0], &child_fd, sizeof child_fd) != sizeof child_fd) throw std::runtime_error("listener fd");
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    int listener = static_cast<int>(syscall(SYS_pidfd_getfd, pidfd, child_fd, 0));
    if (pidfd < 0 || listener < 0) throw std::runtime_error(std::string("pidfd_getfd: ") + std::strerror(errno));
    if (write(go[1], "g", 1) != 1) throw std::runtime_error("go");
    close(go[1]);
    for (;;) {
        pollfd pfd[2] = {{listener, POLLIN, 0}, {pidfd, POLLIN, 0}};
        if (poll(pfd, 2, 10000) <= 0) break;
        if (pfd[0].revents & POLLIN) {
            seccomp_notif req{};
            if (ioctl(listener, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0) continue;
            if (seen) seen->push_back(req.data.nr);
            seccomp_notif_resp resp = answer(req);
            resp.id = req.id;
            ioctl(listener, SECCOMP_IOCTL_NOTIF_SEND, &resp);
        } else if (pfd[1].revents & POLLIN) {
            break;
        }
    }
    close(listener);
    close(pidfd);
    return wait_outcome(pid, out[0]);
}

}  // namespace vigil::test
