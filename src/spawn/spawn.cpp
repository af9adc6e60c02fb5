// fork + child set-up + execve.
//
// Everything the child needs (argv, environment, the BPF program, ids, the list of fds to
// close) is built before fork(); the child only makes raw system calls, all async-signal-safe.
//
// The child loads the seccomp filter before execve, so its last few calls (passing the listener
// fd to vigil, closing it, execve itself, reporting an execve failure, exiting) go through the
// filter. They are let through by a short BPF prefix that allows exactly those syscalls when
// argument registers 3-5 hold a 192-bit random launch token that only this child knows. The
// kernel ignores those registers for these calls, the app cannot guess the token, and so the
// app's profile need not allow execve for vigil to start it.
#include "vigil/spawn.hpp"

#include <dirent.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstddef>
#include <cstdlib>
#include <cstdio>
#include <cstring>
#include <set>
#include <string>

#include "vigil/error.hpp"
#include "vigil/landlock.hpp"
#include "vigil/text.hpp"

extern char** environ;

namespace vigil {

namespace {

sigset_t g_original_mask;
struct sigaction g_original_sigchld;
std::set<int> g_inherited_fds;

// ---- launch token -------------------------------------------------------------------------


LaunchToken make_token() {
    LaunchToken t{};
    if (getrandom(t.word, sizeof t.word, 0) != sizeof t.word) throw_errno("getrandom (launch token)");
    return t;
}

// BPF that allows the child's own pre-exec syscalls when args 3..5 equal the token, and
// falls through to the profile's program otherwise. The syscall number is tested before any
// argument is loaded: the kernel caches "always allowed" per syscall only for filters that
// never read arguments on that syscall's path, so reading args first would make every
// syscall of the app run the whole filter.
}  // namespace

std::vector<sock_filter> launch_prefix(const LaunchToken& t) {
    const uint32_t kOut = 0xffffffff, kAllow = 0xfffffffe, kCheck = 0xfffffffd;  // patched below
    struct Insn {
        sock_filter f;
        uint32_t jt_to = 0, jf_to = 0;  // kOut/kAllow/kCheck or 0 (= next)
    };
    std::vector<Insn> p;
    auto ld = [&](uint32_t off) { p.push_back({BPF_STMT(BPF_LD | BPF_W | BPF_ABS, off)}); };
    auto jeq_or_out = [&](uint32_t k) { p.push_back({BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, k, 0, 0), 0, kOut}); };

    ld(offsetof(seccomp_data, arch));
    jeq_or_out(AUDIT_ARCH_X86_64);
    ld(offsetof(seccomp_data, nr));
    // The syscalls listed here lose the kernel's action cache (their path reads arguments):
    // close, which every app makes all the time, is not among them (the listener is left to
    // close-on-exec); sendmsg is (the only 3-argument call that passes an fd), which costs
    // the filter's run on each sendmsg of the app (bench/README.md, seccomp filter cost).
    for (long nr : {SYS_execve, SYS_sendmsg, SYS_exit_group})
        p.push_back({BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, static_cast<uint32_t>(nr), 0, 0), kCheck, 0});
    p.push_back({BPF_STMT(BPF_JMP | BPF_JA, 0), kOut, 0});
    size_t check_at = p.size();
    // All six 32-bit halves are compared before the one decision (A = OR of arg ^ token), so
    // the filter runs the same instructions however much of a guess is right: its timing
    // cannot tell a guessing app which part of the token it has.
    for (int half = 0; half < 6; ++half) {
        int i = half / 2;
        bool high = half % 2;
        ld(offsetof(seccomp_data, args) + 8 * (3 + i) + (high ? 4 : 0));  // little-endian
        uint32_t k = static_cast<uint32_t>(high ? t.word[i] >> 32 : t.word[i]);
        p.push_back({BPF_STMT(BPF_ALU | BPF_XOR | BPF_K, k)});
        if (half > 0) p.push_back({BPF_STMT(BPF_ALU | BPF_OR | BPF_X, 0)});
        if (half < 5) p.push_back({BPF_STMT(BPF_MISC | BPF_TAX, 0)});
    }
    jeq_or_out(0);
    size_t allow_at = p.size();
    p.push_back({BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW)});
    size_t out_at = p.size();

    std::vector<sock_filter> out;
    for (size_t i = 0; i < p.size(); ++i) {
        auto target = [&](uint32_t to) -> uint32_t {
            if (to == kOut) return static_cast<uint32_t>(out_at - i - 1);
            if (to == kAllow) return static_cast<uint32_t>(allow_at - i - 1);
            if (to == kCheck) return static_cast<uint32_t>(check_at - i - 1);
            return 0;
        };
        sock_filter f = p[i].f;
        if (f.code == (BPF_JMP | BPF_JA)) {
            f.k = target(p[i].jt_to);
        } else if (BPF_CLASS(f.code) == BPF_JMP) {
            f.jt = static_cast<uint8_t>(target(p[i].jt_to));
            f.jf = static_cast<uint8_t>(target(p[i].jf_to));
        }
        out.push_back(f);
    }
    return out;
}

namespace {

// ---- what the child is handed -------------------------------------------------------------

enum class Step : int { None, Setsid, Setpgid, Notty, Privileges, Pdeathsig, Sigmask, NoNewPrivs, Landlock, Seccomp, PassListener, Dup, Exec };

const char* step_name(Step s) {
    switch (s) {
        case Step::Setsid: return "setsid";
        case Step::Setpgid: return "setpgid";
        case Step::Notty: return "giving up the controlling terminal (TIOCNOTTY)";
        case Step::Privileges: return "dropping privileges";
        case Step::Pdeathsig: return "prctl(PR_SET_PDEATHSIG)";
        case Step::Sigmask: return "sigprocmask";
        case Step::NoNewPrivs: return "prctl(PR_SET_NO_NEW_PRIVS)";
        case Step::Landlock: return "landlock_restrict_self";
        case Step::Seccomp: return "seccomp(SECCOMP_SET_MODE_FILTER)";
        case Step::PassListener: return "passing the seccomp listener to vigil";
        case Step::Dup: return "redirecting output";
        case Step::Exec: return "execve";
        default: return "set-up";
    }
}

// One message from child to parent over the socketpair; EOF (close-on-exec) means execve worked.
struct ChildReport {
    enum Kind : int { Listener, Refused, Failed } kind;
    Step step;
    int err;
    char detail[64];  // e.g. the privilege step that failed
};

struct ChildPlan {
    const char* path;
    char* const* argv;
    char* const* envp;
    LaunchToken token;
    sock_fprog filter{};
    sock_fprog fallback{};
    bool has_filter = false, wants_listener = false, has_fallback = false;
    const PreparedPrivileges* privileges = nullptr;
    bool no_new_privs = false;
    int landlock_fd = -1;
    // vigil's controlling terminal as one of fds 0-2, which the child gives up; -1 for none.
    // own_session: vigil could not tell, so the child leaves the session instead.
    int ctty_fd = -1;
    bool own_session = false;
    pid_t parent = 0;
    int report_fd = -1;
    int out_w = -1, err_w = -1;
    const int* close_fds = nullptr;
    size_t close_count = 0;
};

// The child's calls after the filter is loaded carry the token in args 3..5.
long token_syscall(const ChildPlan& c, long nr, long a, long b, long d) {
    return syscall(nr, a, b, d, c.token.word[0], c.token.word[1], c.token.word[2]);
}

void send_report(const ChildPlan& c, ChildReport r, int fd_to_pass) {
    iovec iov{&r, sizeof r};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    if (fd_to_pass >= 0) {
        std::memset(control, 0, sizeof control);
        msg.msg_control = control;
        msg.msg_controllen = sizeof control;
        cmsghdr* cm = CMSG_FIRSTHDR(&msg);
        cm->cmsg_level = SOL_SOCKET;
        cm->cmsg_type = SCM_RIGHTS;
        cm->cmsg_len = CMSG_LEN(sizeof(int));
        std::memcpy(CMSG_DATA(cm), &fd_to_pass, sizeof(int));
    }
    token_syscall(c, SYS_sendmsg, c.report_fd, reinterpret_cast<long>(&msg), MSG_NOSIGNAL);
}

[[noreturn]] void child_fail(const ChildPlan& c, Step step, int err, const char* detail = nullptr) {
    ChildReport r{ChildReport::Failed, step, err, {}};
    if (detail) std::strncpy(r.detail, detail, sizeof r.detail - 1);
    send_report(c, r, -1);
    int code = kExitVigilError;
    if (step == Step::Exec) code = err == ENOENT ? kExitNotFound : kExitCannotExec;
    token_syscall(c, SYS_exit_group, code, 0, 0);
    _exit(code);  // not reached
}

int load_filter(const sock_fprog& prog, unsigned flags) {
    return static_cast<int>(syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, flags, &prog));
}

// Returns the listener fd, -1 without one, or calls child_fail. *refused_err is the errno
// of the refused listener when the fallback program was loaded instead.
int child_load_seccomp(const ChildPlan& c, int* refused_err) {
    if (!c.wants_listener) {
        if (load_filter(c.filter, 0) < 0) child_fail(c, Step::Seccomp, errno);
        return -1;
    }
    bool killable = true;
    for (;;) {
        unsigned flags = SECCOMP_FILTER_FLAG_NEW_LISTENER | (killable ? SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV : 0);
        int fd = load_filter(c.filter, flags);
        if (fd >= 0) return fd;
        int err = errno;
        switch (listener_refusal(err, killable, c.has_fallback)) {
            case ListenerRefusal::RetryPlain:
                killable = false;
                continue;
            case ListenerRefusal::LoadFallback:
                if (load_filter(c.fallback, 0) < 0) child_fail(c, Step::Seccomp, errno);
                *refused_err = err;
                return -1;
            case ListenerRefusal::Fail:
                child_fail(c, Step::Seccomp, err,
                           err == EBUSY || err == EINVAL ? "the kernel refused a listener; no fallback program" : nullptr);
        }
    }
}

[[noreturn]] void child_main(const ChildPlan& c) {
    // Own process group (for group forwarding) and no controlling terminal: the app must not
    // be able to type into the terminal vigil was started on (TIOCSTI and TIOCLINUX need it to
    // be the caller's controlling terminal) nor take it over (only a session leader acquires a
    // terminal, and TIOCSCTTY on one that is another session's needs CAP_SYS_ADMIN). The app
    // stays in vigil's session and gives the terminal up with TIOCNOTTY (a non-leader loses it
    // for its whole process; nothing is sent to anyone): a session of its own would also be a
    // scheduling group of its own under autogroup, and every notification round trip would
    // then wake a task of another group (bench/README.md, "Seccomp user-notification round
    // trip"). Where vigil could not tell whether it has a terminal, the app gets its own
    // session, as setsid gives. The terminal's signals (Ctrl-C, Ctrl-\, window size, hang-up)
    // go to vigil's foreground group, and vigil forwards them.
    if (c.own_session) {
        if (setsid() < 0) child_fail(c, Step::Setsid, errno);
    } else {
        if (setpgid(0, 0) < 0) child_fail(c, Step::Setpgid, errno);
        if (c.ctty_fd >= 0 && ioctl(c.ctty_fd, TIOCNOTTY) < 0) child_fail(c, Step::Notty, errno);
    }

    for (size_t i = 0; i < c.close_count; ++i) close(c.close_fds[i]);
    if (c.out_w >= 0 && (dup2(c.out_w, STDOUT_FILENO) < 0 || dup2(c.err_w, STDERR_FILENO) < 0))
        child_fail(c, Step::Dup, errno);
    if (c.out_w >= 0) close(c.out_w), close(c.err_w);

    if (c.privileges) {
        const char* what = "privileges";
        if (int e = apply_privileges(*c.privileges, &what)) child_fail(c, Step::Privileges, e, what);
    }
    // After the uid change: a credential change clears the parent-death signal.
    if (prctl(PR_SET_PDEATHSIG, SIGKILL) < 0) child_fail(c, Step::Pdeathsig, errno);
    if (getppid() != c.parent) _exit(kExitVigilError);  // vigil is already gone

    if (sigaction(SIGCHLD, &g_original_sigchld, nullptr) < 0 ||
        sigprocmask(SIG_SETMASK, &g_original_mask, nullptr) < 0)
        child_fail(c, Step::Sigmask, errno);
    if (c.no_new_privs && prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) < 0) child_fail(c, Step::NoNewPrivs, errno);
    // Before the seccomp filter, so that the filter need not allow the Landlock syscalls.
    if (int e = landlock_restrict(c.landlock_fd)) child_fail(c, Step::Landlock, e);

    int refused_err = 0;
    int listener = c.has_filter ? child_load_seccomp(c, &refused_err) : -1;
    // From here on only token-carrying calls: the filter is in force.
    if (listener >= 0) {
        // The kernel made the listener close-on-exec: execve closes the app's copy.
        send_report(c, {ChildReport::Listener, Step::None, 0, {}}, listener);
    } else if (refused_err) {
        send_report(c, {ChildReport::Refused, Step::None, refused_err, {}}, -1);
    }
    token_syscall(c, SYS_execve, reinterpret_cast<long>(c.path), reinterpret_cast<long>(c.argv),
                  reinterpret_cast<long>(c.envp));
    child_fail(c, Step::Exec, errno);
}

// ---- parent side --------------------------------------------------------------------------

constexpr int kCannotTell = -2;

// vigil's controlling terminal, as the one of fds 0-2 that is it (the child gives it up through
// that fd before its output is redirected); -1: vigil has none; kCannotTell: no /proc, or the
// terminal is on none of them. Nothing is opened but vigil's own /proc/self/stat: a device
// path (/dev/tty) could have been replaced by an earlier run of the app.
int controlling_terminal_fd() {
    std::string stat = text::read_small_file("/proc/self/stat");
    size_t close_paren = stat.rfind(')');
    if (close_paren == std::string::npos) return kCannotTell;
    // After "pid (comm) ": state ppid pgrp session tty_nr.
    char state;
    long long ppid, pgrp, session, tty_nr;
    if (std::sscanf(stat.c_str() + close_paren + 1, " %c %lld %lld %lld %lld", &state, &ppid, &pgrp, &session,
                    &tty_nr) != 5)
        return kCannotTell;
    if (tty_nr == 0) return -1;
    // The kernel's encoding of the device number in tty_nr (new_encode_dev).
    auto nr = static_cast<unsigned long long>(tty_nr);
    dev_t dev = makedev((nr >> 8) & 0xfff, (nr & 0xff) | ((nr >> 12) & 0xfff00));
    for (int fd = 0; fd < 3; ++fd) {
        struct stat st;
        if (fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == dev) return fd;
    }
    return kCannotTell;
}

std::string find_in_path(const std::string& name) {
    if (name.empty()) throw Error("empty command", kExitNotFound);
    if (name.find('/') != std::string::npos) return name;
    const char* env = std::getenv("PATH");
    std::string path = env && *env ? env : "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";
    std::string not_executable;
    size_t start = 0;
    while (start <= path.size()) {
        size_t end = path.find(':', start);
        if (end == std::string::npos) end = path.size();
        std::string dir = path.substr(start, end - start);
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return candidate;
        if (not_executable.empty() && access(candidate.c_str(), F_OK) == 0) not_executable = candidate;
        start = end + 1;
    }
    // Let execve report the precise reason (EACCES) for a file that exists but cannot run.
    if (!not_executable.empty()) return not_executable;
    throw Error(name + ": command not found in PATH", kExitNotFound);
}

std::vector<int> fds_to_close(std::initializer_list<int> keep) {
    std::vector<int> fds;
    DIR* d = opendir("/proc/self/fd");
    if (!d) throw_errno("opendir /proc/self/fd");
    int self = dirfd(d);
    while (dirent* e = readdir(d)) {
        if (e->d_name[0] == '.') continue;
        int fd = std::atoi(e->d_name);
        if (fd == self || g_inherited_fds.count(fd) || std::find(keep.begin(), keep.end(), fd) != keep.end()) continue;
        fds.push_back(fd);
    }
    closedir(d);
    return fds;
}

int receive_report(int sock, ChildReport* r) {
    iovec iov{r, sizeof *r};
    msghdr msg{};
    msg.msg_iov = &iov;
    msg.msg_iovlen = 1;
    alignas(cmsghdr) char control[CMSG_SPACE(sizeof(int))];
    msg.msg_control = control;
    msg.msg_controllen = sizeof control;
    ssize_t n;
    do n = recvmsg(sock, &msg, MSG_CMSG_CLOEXEC);
    while (n < 0 && errno == EINTR);
    if (n < 0) throw_errno("reading the child's start-up report");
    if (n == 0) return -2;  // EOF: execve succeeded
    int fd = -1;
    if (cmsghdr* cm = CMSG_FIRSTHDR(&msg); cm && cm->cmsg_type == SCM_RIGHTS) std::memcpy(&fd, CMSG_DATA(cm), sizeof fd);
    return fd;
}

[[noreturn]] void report_child_failure(pid_t pid, const ChildReport& r, const std::string& cmd) {
    int status;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {}
    std::string msg = cmd + ": " + step_name(r.step);
    if (r.detail[0]) msg += std::string(" (") + r.detail + ")";
    msg += std::string(": ") + std::strerror(r.err);
    int code = kExitVigilError;
    if (r.step == Step::Exec) code = r.err == ENOENT ? kExitNotFound : kExitCannotExec;
    throw Error(msg, code);
}

}  // namespace

ListenerRefusal listener_refusal(int err, bool with_wait_killable, bool has_fallback) noexcept {
    // EINVAL with WAIT_KILLABLE_RECV: a kernel older than 5.19, which does not know that flag.
    if (err == EINVAL && with_wait_killable) return ListenerRefusal::RetryPlain;
    // EBUSY: another listener exists for this task (the container runtime's). EINVAL without
    // the new flag: no user notification at all (gVisor). Either way run-time decisions are
    // impossible, and the profile's static fallback is the sandbox that can be had.
    if ((err == EBUSY || err == EINVAL) && has_fallback) return ListenerRefusal::LoadFallback;
    return ListenerRefusal::Fail;
}

void block_all_signals(const sigset_t* original) {
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_SETMASK, &all, &g_original_mask);
    if (original) g_original_mask = *original;  // blocked earlier, in the executable's preinit
    // An inherited SIG_IGN for SIGCHLD would make the kernel reap children behind our back.
    struct sigaction dfl {};
    dfl.sa_handler = SIG_DFL;
    sigaction(SIGCHLD, &dfl, &g_original_sigchld);
}

void remember_inherited_fds() {
    DIR* d = opendir("/proc/self/fd");
    if (!d) return;  // no /proc: then every open fd is treated as inherited
    int self = dirfd(d);
    while (dirent* e = readdir(d))
        if (e->d_name[0] != '.' && std::atoi(e->d_name) != self) g_inherited_fds.insert(std::atoi(e->d_name));
    closedir(d);
}

SpawnResult spawn(const SpawnOptions& o) {
    if (o.argv.empty()) throw Error("no command given", kExitVigilError);
    std::string path = find_in_path(o.argv[0]);

    std::vector<char*> argv;
    for (const auto& a : o.argv) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);

    ChildPlan plan;
    plan.path = path.c_str();
    plan.argv = argv.data();
    plan.envp = environ;
    plan.token = make_token();
    plan.privileges = o.privileges;
    plan.no_new_privs = o.no_new_privs;
    plan.landlock_fd = o.landlock ? o.landlock->fd() : -1;
    plan.parent = getpid();
    plan.ctty_fd = controlling_terminal_fd();
    plan.own_session = plan.ctty_fd == kCannotTell;

    std::vector<sock_filter> program, fallback;
    if (o.filter) {
        auto prefix = launch_prefix(plan.token);
        program = prefix;
        program.insert(program.end(), o.filter->insns.begin(), o.filter->insns.end());
        plan.filter = {static_cast<unsigned short>(program.size()), program.data()};
        plan.has_filter = true;
        plan.wants_listener = o.filter->uses_notify;
        if (o.fallback) {
            fallback = prefix;
            fallback.insert(fallback.end(), o.fallback->insns.begin(), o.fallback->insns.end());
            plan.fallback = {static_cast<unsigned short>(fallback.size()), fallback.data()};
            plan.has_fallback = true;
        }
        if (program.size() > BPF_MAXINSNS || fallback.size() > BPF_MAXINSNS)
            throw Error("the seccomp program has " + std::to_string(program.size()) +
                        " instructions, more than the kernel's limit of " + std::to_string(BPF_MAXINSNS));
    }

    int sv[2];
    if (socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_CLOEXEC, 0, sv) < 0) throw_errno("socketpair");
    plan.report_fd = sv[1];
    int out[2] = {-1, -1}, err[2] = {-1, -1};
    if (o.capture_output) {
        if (pipe2(out, O_CLOEXEC) < 0 || pipe2(err, O_CLOEXEC) < 0) throw_errno("pipe2");
        // vigil's ends never block the event loop; the app's ends stay blocking as it expects.
        if (fcntl(out[0], F_SETFL, O_NONBLOCK) < 0 || fcntl(err[0], F_SETFL, O_NONBLOCK) < 0)
            throw_errno("fcntl(O_NONBLOCK) on the output pipes");
    }
    plan.out_w = out[1];
    plan.err_w = err[1];
    auto closing = fds_to_close({sv[1], out[1], err[1], plan.landlock_fd});
    plan.close_fds = closing.data();
    plan.close_count = closing.size();

    pid_t pid = fork();
    if (pid < 0) throw_errno("fork");
    if (pid == 0) child_main(plan);

    close(sv[1]);
    if (o.capture_output) close(out[1]), close(err[1]);

    SpawnResult res;
    res.pid = pid;
    res.stdout_fd = out[0];
    res.stderr_fd = err[0];
    for (;;) {
        ChildReport r{};
        int fd = receive_report(sv[0], &r);
        if (fd == -2) break;
        if (r.kind == ChildReport::Failed) {
            close(sv[0]);
            report_child_failure(pid, r, o.argv[0]);
        }
        if (r.kind == ChildReport::Listener) res.listener_fd = fd;
        if (r.kind == ChildReport::Refused) res.listener_refused = true, res.listener_refused_errno = r.err;
    }
    close(sv[0]);
    res.pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (res.pidfd < 0) throw_errno("pidfd_open");
    return res;
}

}  // namespace vigil
