// The notify session: receives notifications on the event loop, gathers the facts a decision
// needs (registers first; app memory and a copy of the app's socket only when the registers do
// not decide), asks decide() (src/notify/decide.cpp), and carries the decision out: continue,
// deny, or perform the call itself on a bounded worker pool. Audits each decision.
//
// vigil never opens a path or execs for the app, and never continues a call on something it
// read from the app (see decide.cpp). The calls it performs (connect, bind, send) run on its
// copy of the app's socket with the copied arguments, on a worker thread that carries the
// app's file-system identity and no capability.
#include <seccomp.h>
#include <signal.h>
#include <fcntl.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <array>
#include <cstring>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include "vigil/log.hpp"

#include "vigil/error.hpp"
#include "vigil/notify.hpp"
#include "vigil/syscalls.hpp"
#include "custody.hpp"
#include "worker_pool.hpp"

namespace vigil {

namespace {

constexpr int kListenerPriority = 100;  // before signals, output and probes
// Calls vigil performs for the app at the same time at most (blocking connects included);
// one more is answered EAGAIN and audited, so the app can never tie up vigil's threads.
constexpr size_t kMaxWorkers = 16;
constexpr size_t kMaxArgv = 16;
constexpr size_t kMaxIov = 1024;  // UIO_MAXIOV: the kernel refuses more

std::string rule_text(const SourcePos& where) {
    if (where.file.empty()) return "profile";
    return where.line > 0 ? fmt::format("{}:{}", where.file, where.line) : where.file;
}

std::string errno_text(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : std::to_string(e);
}

AuditOutcome outcome_of(const Action& a) {
    switch (a.kind) {
        case ActionKind::Allow:
        case ActionKind::Log: return AuditOutcome::Allowed;
        case ActionKind::KillProcess:
        case ActionKind::KillThread: return AuditOutcome::Killed;
        default: return AuditOutcome::Denied;
    }
}

const char* op_name(Emulate::Op op) {
    switch (op) {
        case Emulate::Op::Connect: return "connect";
        case Emulate::Op::Bind: return "bind";
        case Emulate::Op::Send: return "send";
        case Emulate::Op::Socket: return "socket";
    }
    return "?";
}

// Copies one struct msghdr and what it points to, within BUDGET payload bytes.
void read_message(pid_t tid, uint64_t at, size_t& budget, CopiedMessage& out) {
    msghdr m{};
    if (read_memory(tid, at, &m, sizeof m) != static_cast<ssize_t>(sizeof m)) return;
    out.has_control = m.msg_control != nullptr && m.msg_controllen > 0;
    if (m.msg_name && m.msg_namelen > 0) {
        if (m.msg_namelen > sizeof(sockaddr_storage)) {
            out.dest_too_long = true;
        } else {
            SockAddr a;
            a.len = m.msg_namelen;
            if (read_memory(tid, reinterpret_cast<uint64_t>(m.msg_name), &a.ss, a.len) != a.len) return;
            out.dest = a;
        }
    }
    if (m.msg_iovlen > kMaxIov) return;
    std::vector<iovec> iov(m.msg_iovlen);
    size_t bytes = iov.size() * sizeof(iovec);
    if (bytes && read_memory(tid, reinterpret_cast<uint64_t>(m.msg_iov), iov.data(), bytes) !=
                     static_cast<ssize_t>(bytes))
        return;
    for (const iovec& v : iov) {
        size_t take = std::min(v.iov_len, budget);
        if (take < v.iov_len) out.truncated = true;
        size_t had = out.payload.size();
        out.payload.resize(had + take);
        if (take && read_memory(tid, reinterpret_cast<uint64_t>(v.iov_base), out.payload.data() + had,
                                take) != static_cast<ssize_t>(take))
            return;
        budget -= take;
        if (out.truncated) break;
    }
    out.readable = true;
}

}  // namespace

// A performed call's result, handed from the worker back to the event loop's thread, which
// answers, stores msg_len for sendmmsg and audits (one thread touches the listener's answers
// and the trail).
struct Completion {
    Notification n;
    AuditEvent ev;
    Emulate e;
    long result = 0;              // >= 0: the syscall's value; < 0: -errno
    std::vector<uint32_t> lens;   // bytes sent per message
    uint64_t custody_ino = 0;     // the socket in custody the call was performed on
    bool audited = true;          // Socket: only when [notify.socket] decided it
};

struct NotifySession::Impl {
    const Profile& profile;
    NotifyConfig cfg;
    AuditSink& audit;
    // The current run's phase, told by the supervisor (which owns the probes); read by the
    // decisions on the loop thread and by workers.
    std::atomic<Phase> phase_now{Phase::Startup};
    Listener listener{-1};
    EventLoop* loop = nullptr;
    WorkerPool workers{kMaxWorkers};
    std::map<int, std::string> names;
    ThreadGroups groups;  // tid -> process, validated per lookup (no /proc read per call)
    bool copy_refusal_said = false;
    int done_fd = -1;  // eventfd: completions are waiting
    std::mutex mu;
    std::vector<Completion> done;
    std::set<int> inflight;  // socket copies a worker is using
    // Socket custody (Profile::socket_custody): the app's IP sockets, made by vigil.
    SocketCustody custody;
    SocketCustody::Clock::time_point last_sweep{};
    std::map<std::array<uint64_t, 3>, Verdict> socket_verdicts;  // the profile's, per registers
    bool socket_verdicts_cacheable = true;  // no socket() rule looks at arguments 3..5

    Impl(const Profile& p, NotifyConfig c, AuditSink& a) : profile(p), cfg(std::move(c)), audit(a) {}

    Phase phase() const { return phase_now.load(std::memory_order_acquire); }

    const std::string& name_of(const Notification& n) {
        auto it = names.find(n.nr);
        if (it != names.end()) return it->second;
        // vigil's own table first: it names x86_64 syscalls newer than libseccomp (mseal, ...).
        std::string name = n.arch == SCMP_ARCH_X86_64 ? syscall_name(n.nr).value_or("") : "";
        if (name.empty()) {
            char* s = seccomp_syscall_resolve_num_arch(n.arch, n.nr);
            name = s ? s : fmt::format("syscall_{}", n.nr);
            free(s);
        }
        return names.emplace(n.nr, name).first->second;
    }

    void start(EventLoop& l, const SpawnResult& spawned);
    void on_readable(uint32_t events);
    void handle(const Notification& n);
    AuditEvent base_event(const Notification& n, pid_t pid);
    // Fills facts.app; false when the caller went away meanwhile. SOCK_FD receives vigil's
    // copy of the app's socket (or -1).
    bool gather(const NotifyPolicy& p, const Notification& n, pid_t pid, CallFacts& facts,
                AuditEvent& ev, int& sock_fd);
    void copy_socket(const Notification& n, pid_t pid, int app_fd, SocketFacts& s, int& sock_fd);
    void describe_copy(int fd, SocketFacts& s, int& sock_fd);
    void socket_in_custody(const Notification& n, pid_t pid, AuditEvent& ev);
    Verdict socket_verdict(const Notification& n);
    void carry_out(const Notification& n, pid_t pid, AuditEvent& ev, const std::string& rule,
                   Decision d, int sock_fd, uint64_t custody_ino = 0);
    void answer(const Notification& n, pid_t pid, AuditEvent& ev, const Action& a,
                const std::string& rule, const std::string& reason);
    void decode_for_audit(const Notification& n, AuditEvent& ev);
    void perform(Completion c, int fd, bool identity_ok);
    void complete(Completion& c);
    void complete_socket(Completion& c);
    void drain();
    void on_phase(Phase p, const std::string& reason);
    // The end of one run of the app (last: of the session): listener and completions go.
    void stop_run(bool last = false);
};

NotifySession::NotifySession(const Profile& profile, NotifyConfig config) {
    if (config.complain && !config.evaluate)
        throw Error("complain mode needs the profile's evaluate function");
    audit_ = std::make_unique<AuditSink>(config.audit_sink, config.audit_format);
    if (!config.service.empty()) audit_->set_service(config.service);
    impl_ = std::make_unique<Impl>(profile, std::move(config), *audit_);
}

NotifySession::~NotifySession() {
    if (impl_) {
        impl_->workers.stop();
        if (impl_->done_fd >= 0) close(impl_->done_fd);
    }
}

Phase NotifySession::phase() const { return impl_->phase(); }

void NotifySession::started(EventLoop& loop, const SpawnResult& spawned) {
    impl_->start(loop, spawned);
}

void NotifySession::phase_changed(Phase phase, const std::string& reason) {
    impl_->phase_now.store(phase, std::memory_order_release);
    impl_->on_phase(phase, reason);
}

// The app ended and is started again: this run's listener goes, the next run starts in startup.
void NotifySession::restarting() {
    impl_->stop_run();
    impl_->phase_now.store(Phase::Startup, std::memory_order_release);
}

AuditSink* NotifySession::audit_sink() { return audit_.get(); }

// The kernel kills a process for a kill-process rule without asking vigil: the exit status
// (SIGSYS) is the only trace, so it goes into the trail too.
void NotifySession::app_exited(int wait_status) {
    AuditEvent ev;
    ev.kind = AuditKind::Notice;
    ev.phase = phase_name(phase());
    bool by_seccomp = WIFSIGNALED(wait_status) && WTERMSIG(wait_status) == SIGSYS;
    ev.outcome = by_seccomp ? AuditOutcome::Killed : AuditOutcome::Info;
    ev.decision = by_seccomp ? "kill-process" : "";
    ev.reason = WIFSIGNALED(wait_status)
                    ? "app killed by signal " + std::to_string(WTERMSIG(wait_status)) +
                          (by_seccomp ? " (SIGSYS: the seccomp filter killed it)" : "")
                    : "app exited with status " + std::to_string(WEXITSTATUS(wait_status));
    audit_->write(ev);
}

void NotifySession::finished() {
    // The run command destroys the loop before the hooks: nothing may refer to it afterwards.
    impl_->stop_run(true);
    impl_->loop = nullptr;
    audit_->write_summary();
}

void NotifySession::Impl::stop_run(bool last) {
    {
        // Every app process is gone: abort the calls still in progress on their behalf.
        std::lock_guard lock(mu);
        for (int fd : inflight) shutdown(fd, SHUT_RDWR);
    }
    if (last) workers.stop();
    drain();
    custody.clear();
    if (loop && listener.fd() >= 0) loop->unwatch(listener.fd());
    if (loop && done_fd >= 0) loop->unwatch(done_fd);
    listener.close();
    if (!last && done_fd >= 0) {
        close(done_fd);
        done_fd = -1;
    }
}

void NotifySession::Impl::start(EventLoop& l, const SpawnResult& spawned) {
    loop = &l;
    protect_self();
    if (spawned.listener_refused) {
        AuditEvent ev;
        ev.kind = AuditKind::Notice;
        ev.reason = "the kernel refused vigil a seccomp listener (EBUSY); the profile's static "
                    "fallback actions are in force instead of run-time decisions";
        audit.write(ev);
    }
    if (spawned.listener_fd < 0) return;
    if (profile.socket_custody)
        for (const auto& r : profile.rules)
            for (const auto& c : r.conditions)
                if (r.syscall == "socket" && c.index >= 3) socket_verdicts_cacheable = false;
    auto ids = process_ids(spawned.pid);
    if (!ids)
        log::warn("cannot read the app's ids from /proc/{}/status: calls vigil performs for "
                     "the app will be refused", spawned.pid);
    workers.set_identity(ids ? ids : std::optional<ProcessIds>(ProcessIds{uid_t(-1), gid_t(-1), {}}));
    listener = Listener(spawned.listener_fd);
    if (!listener.set_sync_wake_up())
        log::debug("kernel without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP");
    done_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (done_fd < 0) throw_errno("eventfd (notify completions)");
    l.watch(done_fd, EPOLLIN, [this](uint32_t) {
        uint64_t count;
        while (read(done_fd, &count, sizeof count) == sizeof count) {}
        drain();
    }, kListenerPriority);
    l.watch_direct(listener.fd(), [this](uint32_t ev) { on_readable(ev); });
}

void NotifySession::Impl::on_readable(uint32_t events) {
    if (events & EPOLLIN) {
        if (auto n = listener.receive()) handle(*n);
        return;
    }
    // EPOLLHUP without EPOLLIN: every task under the filter is gone.
    if (events & (EPOLLHUP | EPOLLERR)) loop->unwatch(listener.fd());
}

// Thread name and executable for the audit trail. Read after the answer, so they cost the app
// nothing, except for exec: a continued execve replaces the executable. The audit sink calls
// it only for the events it writes in full (not for those it aggregates or rate-limits).
static void add_process_facts(AuditEvent& ev) {
    if (!ev.exe.empty()) return;
    ev.thread = thread_name(ev.pid, ev.tid);
    ev.exe = executable(ev.pid);
}

AuditEvent NotifySession::Impl::base_event(const Notification& n, pid_t pid) {
    AuditEvent ev;
    ev.pid = pid;
    ev.tid = n.tid;
    ev.syscall = name_of(n);
    ev.nr = n.nr;
    ev.args = std::vector<uint64_t>(n.args, n.args + 6);
    ev.phase = phase_name(phase());
    return ev;
}

void NotifySession::Impl::handle(const Notification& n) {
    pid_t pid = n.tid > 0 ? groups.of(n.tid) : -1;
    if (pid < 0) {
        // Gone already (or not visible in vigil's PID namespace): nothing to answer, or fail closed.
        if (n.tid <= 0) listener.respond_errno(n.id, EPERM);
        return;
    }
    AuditEvent ev = base_event(n, pid);
    if (profile.socket_custody && n.nr == SYS_socket) {
        socket_in_custody(n, pid, ev);
        return;
    }
    if (arg_index(n.nr, ArgRole::Argv)) add_process_facts(ev);
    auto it = profile.notify.find(ev.syscall);
    if (it == profile.notify.end()) {
        // Not a notify syscall: the filter sent it because of complain mode. Say which rule
        // would have decided it.
        Verdict v = cfg.evaluate ? cfg.evaluate(n.nr, n.args) : Verdict{};
        Action a = v.action.kind == ActionKind::Notify ? Action{ActionKind::Errno, EPERM} : v.action;
        decode_for_audit(n, ev);
        answer(n, pid, ev, a, v.rule ? rule_text(v.rule->where) : "seccomp.default",
               v.rule ? "rule for " + ev.syscall : "the profile's default action");
        return;
    }
    const NotifyPolicy& p = it->second;
    CallFacts facts;
    facts.regs.syscall = ev.syscall;
    facts.regs.nr = n.nr;
    facts.regs.phase = phase();
    std::copy(std::begin(n.args), std::end(n.args), facts.regs.args);
    std::string rule = rule_text(p.where);
    if (auto d = decide_on_registers(p, facts.regs)) {
        decode_for_audit(n, ev);
        carry_out(n, pid, ev, rule, std::move(*d), -1);
        return;
    }
    int sock_fd = -1;
    if (!gather(p, n, pid, facts, ev, sock_fd)) {
        if (sock_fd >= 0) close(sock_fd);
        return;
    }
    carry_out(n, pid, ev, rule, decide(p, facts), sock_fd, facts.app.socket.inode);
}

void NotifySession::Impl::copy_socket(const Notification& n, pid_t pid, int app_fd,
                                      SocketFacts& s, int& sock_fd) {
    if (profile.socket_custody) {
        // Which socket the fd names now (another thread may swap it right after: then vigil
        // still performs the call on the socket it found, one the app made, never on the
        // app's fd). The notification still pending proves PID is the caller's process.
        int64_t ino = socket_inode(pid, app_fd);
        if (!listener.id_valid(n.id)) {
            s.copy = SocketFacts::Copy::Refused;
            s.error = ESRCH;
            return;
        }
        if (ino <= 0) {
            s.copy = SocketFacts::Copy::NoSuchFd;
            s.error = ino == 0 ? ENOTSOCK : EBADF;
            return;
        }
        int fd = custody.copy(static_cast<uint64_t>(ino));
        if (fd >= 0) {
            s.inode = static_cast<uint64_t>(ino);
            describe_copy(fd, s, sock_fd);
            return;
        }
        // Not one vigil made (a unix socket, an accepted one): a copy may still work (the app
        // under vigil's own uid), else the call is refused.
        s.custody_miss = true;
    }
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
    if (pidfd < 0) {
        s.copy = SocketFacts::Copy::Refused;
        s.error = errno;
        return;
    }
    // The pid may have been reused before pidfd_open: the notification still pending proves
    // the pidfd names the caller's process.
    int fd = listener.id_valid(n.id) ? copy_caller_fd(pidfd, app_fd) : -ESRCH;
    close(pidfd);
    if (fd == -EBADF || fd == -ESRCH) {
        s.copy = fd == -EBADF ? SocketFacts::Copy::NoSuchFd : SocketFacts::Copy::Refused;
        s.error = -fd;
        return;
    }
    if (fd < 0) {
        s.copy = SocketFacts::Copy::Refused;
        s.error = -fd;
        return;
    }
    describe_copy(fd, s, sock_fd);
}

void NotifySession::Impl::describe_copy(int fd, SocketFacts& s, int& sock_fd) {
    socklen_t len = sizeof(int);
    if (getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &s.family, &len) != 0) {
        s.copy = SocketFacts::Copy::NoSuchFd;
        s.error = errno == ENOTSOCK ? ENOTSOCK : EBADF;
        close(fd);
        return;
    }
    len = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_TYPE, &s.type, &len);
    len = sizeof(int);
    getsockopt(fd, SOL_SOCKET, SO_PROTOCOL, &s.protocol, &len);
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    s.connected = getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0;
    s.copy = SocketFacts::Copy::Copied;
    sock_fd = fd;
}

// Socket custody: the profile's own decision for this socket() call (registers only), then
// vigil makes the socket itself when it is an IP one. The filter notifies socket() for
// AF_INET and AF_INET6 (and whatever the profile notifies); the profile's rules still say
// what each call gets, through evaluate().
Verdict NotifySession::Impl::socket_verdict(const Notification& n) {
    std::array<uint64_t, 3> key{n.args[0], n.args[1], n.args[2]};
    if (socket_verdicts_cacheable)
        if (auto it = socket_verdicts.find(key); it != socket_verdicts.end()) return it->second;
    Verdict v = cfg.evaluate(n.nr, n.args);
    // Bounded: an app making up argument values only slows its own socket() calls.
    if (socket_verdicts_cacheable && socket_verdicts.size() < 256) socket_verdicts.emplace(key, v);
    return v;
}

void NotifySession::Impl::socket_in_custody(const Notification& n, pid_t pid, AuditEvent& ev) {
    auto now = SocketCustody::Clock::now();
    if (now - last_sweep > std::chrono::seconds(1)) {
        custody.sweep(now);
        last_sweep = now;
    }
    Verdict v = socket_verdict(n);
    std::string rule = v.rule ? rule_text(v.rule->where) : "seccomp.default";
    bool run_time = v.action.kind == ActionKind::Notify;  // [notify.socket] decides
    std::string why = "allowed by " + rule;
    if (run_time) {
        auto it = profile.notify.find("socket");
        if (it == profile.notify.end()) {
            answer(n, pid, ev, Action{ActionKind::Errno, EPERM}, rule, "socket is notified without [notify.socket]");
            return;
        }
        const NotifyPolicy& p = it->second;
        rule = rule_text(p.where);
        RegisterFacts regs;
        regs.syscall = "socket";
        regs.nr = n.nr;
        regs.phase = phase();
        std::copy(std::begin(n.args), std::end(n.args), regs.args);
        auto d = decide_on_registers(p, regs);
        if (!d) {
            answer(n, pid, ev, p.otherwise, rule, "an allow-list does not apply to socket");
            return;
        }
        if (auto* deny = std::get_if<Deny>(&*d)) {
            answer(n, pid, ev, deny->action, rule, deny->reason);
            return;
        }
        if (auto* c = std::get_if<Continue>(&*d)) why = c->reason();
    } else if (v.action.kind != ActionKind::Allow && v.action.kind != ActionKind::Log) {
        answer(n, pid, ev, v.action, rule, "rule for socket");  // (the filter decides these itself)
        return;
    }
    int domain = static_cast<int>(static_cast<uint32_t>(n.args[0]));  // the kernel reads an int
    if (domain != AF_INET && domain != AF_INET6) {
        // Notified by the profile, not for custody: the kernel makes it.
        if (run_time) answer(n, pid, ev, Action{ActionKind::Allow, 0}, rule, why);
        else listener.respond_continue(n.id);
        return;
    }
    // vigil makes the socket in its own network namespace: only where that is the app's.
    if (!same_net_namespace(pid)) {
        answer(n, pid, ev, Action{ActionKind::Errno, EPERM}, rule,
               "the app is in another network namespace than vigil, which makes its IP sockets (socket custody)");
        return;
    }
    Emulate e;
    e.op = Emulate::Op::Socket;
    e.domain = domain;
    e.type = static_cast<int>(static_cast<uint32_t>(n.args[1]));
    e.protocol = static_cast<int>(static_cast<uint32_t>(n.args[2]));
    e.reason = why;
    Completion c{n, ev, std::move(e), 0, {}};
    c.audited = run_time;
    bool posted = workers.try_post([this, c](bool identity_ok) mutable { perform(std::move(c), -1, identity_ok); });
    if (!posted)
        answer(n, pid, ev, Action{ActionKind::Errno, EAGAIN}, rule,
               fmt::format("allowed ({}), but {} calls vigil performs for the app are already in "
                           "progress (the limit): EAGAIN, try again", why, workers.max_threads()));
}

bool NotifySession::Impl::gather(const NotifyPolicy& p, const Notification& n, pid_t pid,
                                 CallFacts& facts, AuditEvent& ev, int& sock_fd) {
    AppFacts& f = facts.app;
    const auto& a = n.args;
    if (auto i = arg_index(n.nr, ArgRole::Path)) {
        auto path = read_string(n.tid, a[*i], 4096);
        f.path_read = path.has_value();
        if (path) f.path = *path;
        // argv only for the audit trail (never used to decide).
        std::string argv;
        auto argv_at = arg_index(n.nr, ArgRole::Argv);
        for (size_t k = 0; argv_at && a[*argv_at] && k < kMaxArgv; ++k) {
            uint64_t arg = 0;
            if (read_memory(n.tid, a[*argv_at] + k * 8, &arg, 8) != 8 || arg == 0) break;
            auto s = read_string(n.tid, arg, 256);
            if (!s) break;
            argv += (argv.empty() ? "" : " ") + *s;
        }
        if (path) ev.decoded.emplace_back("path", *path);
        if (!argv.empty()) ev.decoded.emplace_back("argv", argv);
    }
    auto addr_at = arg_index(n.nr, ArgRole::Sockaddr);
    auto addr_len_at = arg_index(n.nr, ArgRole::SockaddrLen);
    size_t budget = kMaxEmulatedPayload;
    if (addr_at && !arg_index(n.nr, ArgRole::Buffer)) {  // connect, bind
        uint64_t len = a[*addr_len_at];
        if (len > sizeof(sockaddr_storage)) {
            f.address_too_long = true;
        } else {
            f.address.len = static_cast<socklen_t>(len);
            f.address_read = read_memory(n.tid, a[*addr_at], &f.address.ss, len) == static_cast<ssize_t>(len);
        }
        if (f.address_read)
            ev.decoded.emplace_back("address", format_sockaddr(f.address.sa(), f.address.len));
    } else if (auto buf_at = arg_index(n.nr, ArgRole::Buffer)) {  // sendto with a destination
        CopiedMessage m;
        uint64_t len = a[*addr_len_at];
        if (len > sizeof(sockaddr_storage)) {
            m.dest_too_long = true;
        } else {
            SockAddr d;
            d.len = static_cast<socklen_t>(len);
            bool ok = read_memory(n.tid, a[*addr_at], &d.ss, len) == static_cast<ssize_t>(len);
            if (ok) m.dest = d;
            m.readable = ok;
        }
        uint64_t size = a[*arg_index(n.nr, ArgRole::BufferLen)];
        size_t take = std::min<uint64_t>(size, budget);
        m.truncated = take < size;
        m.payload.resize(take);
        if (take && read_memory(n.tid, a[*buf_at], m.payload.data(), take) != static_cast<ssize_t>(take))
            m.readable = false;
        f.messages.push_back(std::move(m));
    } else if (auto msg_at = arg_index(n.nr, ArgRole::Msghdr)) {
        CopiedMessage m;
        read_message(n.tid, a[*msg_at], budget, m);
        f.messages.push_back(std::move(m));
    } else if (auto vec_at = arg_index(n.nr, ArgRole::Mmsghdr)) {
        uint64_t vlen = a[*arg_index(n.nr, ArgRole::VecLen)];
        size_t count = std::min<uint64_t>(vlen, kMaxEmulatedMessages);
        f.more_messages = vlen > count;
        for (size_t k = 0; k < count && budget > 0; ++k) {
            CopiedMessage m;
            uint64_t at = a[*vec_at] + k * sizeof(mmsghdr);
            read_message(n.tid, at, budget, m);
            m.len_addr = at + offsetof(mmsghdr, msg_len);
            bool stop = !m.readable || m.truncated;
            f.messages.push_back(std::move(m));
            if (stop) break;
        }
    }
    if (!f.messages.empty() && f.messages[0].dest)
        ev.decoded.emplace_back("address", format_sockaddr(f.messages[0].dest->sa(), f.messages[0].dest->len));
    // The thread may have died and its TID been reused: then the bytes are someone else's.
    if (!listener.id_valid(n.id)) return false;
    if (allow_list_kind(p.syscall) == AllowListKind::Address)
        if (auto fd_at = arg_index(n.nr, ArgRole::Fd))
            copy_socket(n, pid, static_cast<int>(a[*fd_at]), f.socket, sock_fd);
    if (f.socket.copy == SocketFacts::Copy::Refused && f.socket.error == ESRCH) return false;
    return true;
}

void NotifySession::Impl::carry_out(const Notification& n, pid_t pid, AuditEvent& ev,
                                    const std::string& rule, Decision d, int sock_fd, uint64_t custody_ino) {
    if (auto* c = std::get_if<Continue>(&d)) {
        if (sock_fd >= 0) close(sock_fd);
        answer(n, pid, ev, Action{ActionKind::Allow, 0}, rule, c->reason());
        return;
    }
    if (auto* deny = std::get_if<Deny>(&d)) {
        if (sock_fd >= 0) close(sock_fd);
        if (deny->copy_refused && !copy_refusal_said) {
            copy_refusal_said = true;
            log::error("vigil could not copy one of the app's sockets ({}): it performs allowed "
                       "connects and sends itself on such a copy, so that call was refused. Give vigil "
                       "CAP_SYS_PTRACE (docker run --cap-add SYS_PTRACE) for copies of every socket",
                       deny->reason);
        }
        answer(n, pid, ev, deny->action, rule, deny->reason);
        return;
    }
    Emulate& e = std::get<Emulate>(d);
    Completion c{n, ev, std::move(e), 0, {}};
    c.custody_ino = custody_ino;
    {
        std::lock_guard lock(mu);
        inflight.insert(sock_fd);
    }
    bool posted = workers.try_post([this, c, sock_fd](bool identity_ok) mutable {
        perform(std::move(c), sock_fd, identity_ok);
    });
    if (posted) return;
    {
        std::lock_guard lock(mu);
        inflight.erase(sock_fd);
    }
    close(sock_fd);
    answer(n, pid, ev, Action{ActionKind::Errno, EAGAIN}, rule,
           fmt::format("allowed ({}), but {} calls vigil performs for the app are already in "
                       "progress (the limit): EAGAIN, try again",
                       std::get<Emulate>(d).reason, workers.max_threads()));
}

// On a worker thread: the call itself, on vigil's copies. Its answer goes back to the loop.
void NotifySession::Impl::perform(Completion c, int fd, bool identity_ok) {
    const Emulate& e = c.e;
    long r = 0;
    if (!identity_ok) {
        r = -EPERM;
    } else if (e.op == Emulate::Op::Socket) {
        // With the app's file-system identity (the socket's owner) and no capability: a kind
        // of socket the app could not make, vigil does not make either.
        int made = socket(e.domain, e.type | SOCK_CLOEXEC, e.protocol);
        r = made < 0 ? -errno : made;
    } else if (e.op == Emulate::Op::Connect) {
        r = connect(fd, e.address.sa(), e.address.len) < 0 ? -errno : 0;
    } else if (e.op == Emulate::Op::Bind) {
        r = bind(fd, e.address.sa(), e.address.len) < 0 ? -errno : 0;
    } else {
        for (const CopiedMessage& m : e.messages) {
            iovec iov{const_cast<char*>(m.payload.data()), m.payload.size()};
            msghdr mh{};
            if (m.dest) {
                mh.msg_name = const_cast<sockaddr_storage*>(&m.dest->ss);
                mh.msg_namelen = m.dest->len;
            }
            mh.msg_iov = &iov;
            mh.msg_iovlen = 1;
            // MSG_NOSIGNAL: a SIGPIPE would hit vigil, not the app; the app still gets EPIPE.
            ssize_t sent = sendmsg(fd, &mh, e.flags | MSG_NOSIGNAL);
            if (sent < 0) {
                if (c.lens.empty()) r = -errno;
                break;
            }
            c.lens.push_back(static_cast<uint32_t>(sent));
            if (static_cast<size_t>(sent) < m.payload.size()) break;  // a short write ends it
        }
        if (!c.lens.empty()) r = e.multi ? static_cast<long>(c.lens.size()) : c.lens[0];
    }
    c.result = r;
    {
        std::lock_guard lock(mu);
        if (fd >= 0) inflight.erase(fd);
        done.push_back(std::move(c));
    }
    if (fd >= 0) close(fd);
    uint64_t one = 1;
    if (done_fd >= 0 && write(done_fd, &one, sizeof one) < 0 && errno != EAGAIN)
        log::warn("notify: eventfd write: {}", strerror(errno));
}

void NotifySession::Impl::drain() {
    std::vector<Completion> ready;
    {
        std::lock_guard lock(mu);
        ready.swap(done);
    }
    for (auto& c : ready) complete(c);
}

// On the loop's thread: store what the kernel would have stored, answer, audit.
void NotifySession::Impl::complete(Completion& c) {
    if (c.e.op == Emulate::Op::Socket) {
        complete_socket(c);
        return;
    }
    // A stream connected by vigil needs no copy again (the kernel ignores any later
    // destination on it), and holding it would keep the connection open after the app closed it.
    if (c.e.op == Emulate::Op::Connect && c.custody_ino) custody.settle(c.custody_ino);
    if (c.e.multi)
        for (size_t i = 0; i < c.lens.size() && i < c.e.messages.size(); ++i)
            write_memory(c.n.tid, c.e.messages[i].len_addr, &c.lens[i], sizeof(uint32_t));
    bool delivered = c.result < 0 ? listener.respond_errno(c.n.id, static_cast<int>(-c.result))
                                  : listener.respond_value(c.n.id, c.result);
    AuditEvent& ev = c.ev;
    ev.decision = "allow";
    ev.outcome = AuditOutcome::Allowed;
    ev.rule = rule_text(profile.notify.at(ev.syscall).where);
    ev.reason = fmt::format("{}; {} performed by vigil on the checked copy, with the app's socket: {}",
                            c.e.reason, op_name(c.e.op),
                            c.result < 0 ? errno_text(static_cast<int>(-c.result)) : "ok");
    if (!delivered) ev.reason += " (the caller went away before the answer)";
    audit.write(ev, add_process_facts);
}

// The socket vigil made goes into the caller's fd table as the call's result (ADDFD with
// SEND: one atomic answer); vigil keeps its own reference in custody.
void NotifySession::Impl::complete_socket(Completion& c) {
    bool delivered;
    if (c.result < 0) {
        delivered = listener.respond_errno(c.n.id, static_cast<int>(-c.result));
    } else {
        int made = static_cast<int>(c.result);
        uint32_t fd_flags = (static_cast<uint32_t>(c.n.args[1]) & SOCK_CLOEXEC) ? O_CLOEXEC : 0;
        int installed = listener.add_fd(c.n.id, made, SECCOMP_ADDFD_FLAG_SEND, fd_flags);
        delivered = installed >= 0;
        if (delivered) {
            custody.adopt(made);
        } else {
            close(made);
            // Not installed (the caller went away, or its fd table is full): say so to the caller
            // if it is still there.
            if (installed != -ENOENT) delivered = listener.respond_errno(c.n.id, -installed);
            c.result = installed;
        }
    }
    if (!c.audited) return;
    AuditEvent& ev = c.ev;
    ev.decision = "allow";
    ev.outcome = AuditOutcome::Allowed;
    ev.rule = rule_text(profile.notify.at("socket").where);
    ev.reason = fmt::format("{}; made by vigil for the app (socket custody): {}", c.e.reason,
                            c.result < 0 ? errno_text(static_cast<int>(-c.result)) : "ok");
    if (!delivered) ev.reason += " (the caller went away before the answer)";
    audit.write(ev, add_process_facts);
}

// Decisions on registers alone still name the path or address in the audit trail. This read
// is as racy as any other and only informs; it never changes the decision.
void NotifySession::Impl::decode_for_audit(const Notification& n, AuditEvent& ev) {
    if (!ev.decoded.empty()) return;
    if (auto i = arg_index(n.nr, ArgRole::Path)) {
        if (auto path = read_string(n.tid, n.args[*i], 4096)) ev.decoded.emplace_back("path", *path);
        return;
    }
    auto at = arg_index(n.nr, ArgRole::Sockaddr), len_at = arg_index(n.nr, ArgRole::SockaddrLen);
    if (at && len_at && n.args[*at] && n.args[*len_at] <= sizeof(sockaddr_storage)) {
        sockaddr_storage addr{};
        uint64_t len = n.args[*len_at];
        if (read_memory(n.tid, n.args[*at], &addr, len) == static_cast<ssize_t>(len))
            ev.decoded.emplace_back("address", format_sockaddr(reinterpret_cast<sockaddr*>(&addr),
                                                               static_cast<socklen_t>(len)));
    }
}

void NotifySession::Impl::answer(const Notification& n, pid_t pid, AuditEvent& ev, const Action& a,
                                 const std::string& rule, const std::string& reason) {
    bool allow = a.kind == ActionKind::Allow || a.kind == ActionKind::Log;
    bool delivered;
    if (allow || cfg.complain) {
        delivered = listener.respond_continue(n.id);
    } else if (a.kind == ActionKind::KillProcess || a.kind == ActionKind::KillThread ||
               a.kind == ActionKind::Trap) {
        // Signal first, through a pidfd checked against the notification (no pid reuse).
        int pidfd = static_cast<int>(syscall(SYS_pidfd_open, pid, 0));
        if (pidfd >= 0 && listener.id_valid(n.id)) {
            if (a.kind == ActionKind::Trap) syscall(SYS_tgkill, pid, n.tid, SIGSYS);
            else syscall(SYS_pidfd_send_signal, pidfd, SIGKILL, nullptr, 0);
        }
        if (pidfd >= 0) close(pidfd);
        delivered = listener.respond_errno(n.id, a.kind == ActionKind::Trap ? ENOSYS : EPERM);
    } else {
        int e = a.kind == ActionKind::Errno ? a.errno_value : EPERM;
        delivered = listener.respond_errno(n.id, e);
    }
    ev.decision = a.str();
    ev.outcome = outcome_of(a);
    ev.complain = cfg.complain && !allow;
    ev.rule = rule;
    ev.reason = reason;
    if (!delivered) ev.reason += " (the caller went away before the answer)";
    audit.write(ev, add_process_facts);
}

void NotifySession::Impl::on_phase(Phase p, const std::string& reason) {
    AuditEvent ev;
    ev.kind = AuditKind::Phase;
    ev.phase = phase_name(p);
    ev.reason = reason;
    ev.rule = profile.ready ? "phases.ready" : "";
    // `vigil up`: several sessions log side by side; each line says whose phase it is.
    std::string who = cfg.service.empty() ? "" : "service " + cfg.service + ": ";
    if (p == Phase::Ready) log::info("{}phase ready: {}", who, reason);
    else log::warn("{}phase: {}", who, reason);
    audit.write(ev);
}

}  // namespace vigil
