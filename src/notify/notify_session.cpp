// The notify decision engine: receives notifications on the event loop, decides by phase and
// allow-lists, answers (or hands a blocking emulation to a worker), and audits each decision.
//
// Safety (DESIGN.md §4): CONTINUE is answered only on register values and vigil's own state
// (phase), or after a racy read when the profile said racy_allow = true. A decision on caller
// memory otherwise either denies or performs the call itself on the copy (connect/sendto on
// the app's socket obtained with pidfd_getfd).
#include <seccomp.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcntl.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <mutex>
#include <set>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include "vigil/error.hpp"
#include "vigil/notify.hpp"
#include "worker_pool.hpp"

namespace vigil {

namespace {

constexpr int kListenerPriority = 100;  // before signals, output and probes
constexpr size_t kWorkers = 4;
constexpr size_t kMaxEmulatedSend = 65536;
constexpr size_t kMaxArgv = 16;

std::string rule_text(const SourcePos& where) {
    if (where.file.empty()) return "profile";
    return where.line > 0 ? fmt::format("{}:{}", where.file, where.line) : where.file;
}

std::string errno_name(int e) {
    const char* n = strerrorname_np(e);
    return n ? n : std::to_string(e);
}

// What the engine decided for one call.
struct Outcome {
    Action action;  // Allow: CONTINUE
    std::string rule;
    std::string reason;
    bool gone = false;  // the caller went away while vigil read its memory
};

// A call to perform on the app's behalf, on a worker thread.
struct Emulation {
    enum Kind { Connect, Bind, Send, Open } kind = Connect;
    int fd = -1;  // vigil's copy of the app's socket
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    std::vector<char> data;  // sendto payload
    int flags = 0;           // sendto flags, open flags
    std::string path;        // open: the checked, copied path
    mode_t mode = 0;
    mode_t umask = 022;      // open: the app's umask
};

const char* emulation_name(Emulation::Kind k) {
    switch (k) {
        case Emulation::Connect: return "connect";
        case Emulation::Bind: return "bind";
        case Emulation::Send: return "send";
        case Emulation::Open: return "open";
    }
    return "?";
}

// "Umask:\t0022" from /proc/PID/status; 022 when unreadable.
mode_t app_umask(pid_t pid) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind("Umask:", 0) == 0) return static_cast<mode_t>(std::stoul(line.substr(6), nullptr, 8));
    return 022;
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

}  // namespace

struct NotifySession::Impl {
    const Profile& profile;
    NotifyConfig cfg;
    AuditSink& audit;
    std::map<std::string, std::vector<EgressRule>> egress;
    std::optional<PhaseTracker> phases;
    Listener listener{-1};
    EventLoop* loop = nullptr;
    WorkerPool workers{kWorkers};
    std::map<int, std::string> names;
    // pidfd_getfd refused (Docker without CAP_SYS_PTRACE): say it once, then use racy_allow.
    std::string emulation_refused;
    std::mutex inflight_mu;
    std::set<int> inflight;  // socket copies a worker is using

    Impl(const Profile& p, NotifyConfig c, AuditSink& a) : profile(p), cfg(std::move(c)), audit(a) {}

    Phase phase() const { return phases ? phases->phase() : Phase::Startup; }

    const std::string& name_of(const Notification& n) {
        auto it = names.find(n.nr);
        if (it != names.end()) return it->second;
        char* s = seccomp_syscall_resolve_num_arch(n.arch, n.nr);
        std::string name = s ? s : fmt::format("syscall_{}", n.nr);
        free(s);
        return names.emplace(n.nr, name).first->second;
    }

    void start(EventLoop& l, const SpawnResult& spawned);
    void on_readable(uint32_t events);
    void handle(const Notification& n);
    AuditEvent base_event(const Notification& n, pid_t pid);
    Outcome decide(const NotifyPolicy& p, const Notification& n, pid_t pid, AuditEvent& ev,
                   std::optional<Emulation>& emu);
    Outcome decide_path(const NotifyPolicy& p, const Notification& n, pid_t pid, AuditEvent& ev,
                        std::optional<Emulation>& emu);
    Outcome decide_egress(const NotifyPolicy& p, const Notification& n, pid_t pid, AuditEvent& ev,
                          std::optional<Emulation>& emu);
    Outcome allow_or_refuse(const NotifyPolicy& p, const std::string& why_racy,
                            const std::string& matched);
    void answer(const Notification& n, pid_t pid, AuditEvent& ev, const Outcome& o);
    void decode_for_audit(const Notification& n, AuditEvent& ev);
    void emulate(const Notification& n, AuditEvent ev, Emulation emu);
    void on_phase(Phase p, const std::string& reason);
};

NotifySession::NotifySession(const Profile& profile, NotifyConfig config) {
    if (config.complain && !config.evaluate)
        throw Error("complain mode needs the profile's evaluate function");
    audit_ = std::make_unique<AuditSink>(config.audit_sink, config.audit_format);
    impl_ = std::make_unique<Impl>(profile, std::move(config), *audit_);
    for (const auto& [name, policy] : profile.notify)
        if (name == "connect" || name == "bind" || name == "sendto" || name == "sendmsg")
            impl_->egress[name] = parse_egress(policy);
    if (profile.ready)
        impl_->phases.emplace(*profile.ready,
                              [this](Phase p, const std::string& why) { impl_->on_phase(p, why); });
}

NotifySession::~NotifySession() = default;

Phase NotifySession::phase() const { return impl_->phase(); }

void NotifySession::started(EventLoop& loop, const SpawnResult& spawned) {
    impl_->start(loop, spawned);
}

void NotifySession::output_line(int, std::string_view line) {
    if (impl_->phases) impl_->phases->output_line(line);
}

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
    if (impl_->phases) impl_->phases->stop();
    {
        // Every app process is gone: abort connects still in progress on their behalf.
        std::lock_guard lock(impl_->inflight_mu);
        for (int fd : impl_->inflight) shutdown(fd, SHUT_RDWR);
    }
    impl_->workers.stop();
    if (impl_->loop && impl_->listener.fd() >= 0) impl_->loop->unwatch(impl_->listener.fd());
    impl_->listener.close();
    impl_->loop = nullptr;
    audit_->write_summary();
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
    if (phases) phases->start(l, spawned.pid);
    if (spawned.listener_fd < 0) return;
    // Credentials before any worker thread exists: capabilities are per thread.
    try {
        spdlog::debug("{}", adopt_app_credentials(spawned.pid));
    } catch (const Error& e) {
        spdlog::warn("cannot take the app's credentials ({}): reading its memory may fail, and "
                     "decisions that need it will deny", e.what());
    }
    listener = Listener(spawned.listener_fd);
    if (!listener.set_sync_wake_up())
        spdlog::debug("kernel without SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP");
    l.watch(listener.fd(), EPOLLIN, [this](uint32_t ev) { on_readable(ev); }, kListenerPriority);
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
// nothing, except for exec: a continued execve replaces the executable.
static void add_process_facts(AuditEvent& ev) {
    if (!ev.exe.empty()) return;
    ev.thread = thread_name(ev.pid, ev.tid);
    ev.exe = executable(ev.pid);
}

static bool is_exec(const std::string& syscall) { return syscall == "execve" || syscall == "execveat"; }

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
    pid_t pid = n.tid > 0 ? thread_group(n.tid) : -1;
    if (pid < 0) {
        // Gone already (or not visible in vigil's PID namespace): nothing to answer, or fail closed.
        if (n.tid <= 0) listener.respond_errno(n.id, EPERM);
        return;
    }
    AuditEvent ev = base_event(n, pid);
    if (is_exec(ev.syscall)) add_process_facts(ev);
    std::optional<Emulation> emu;
    Outcome o;
    auto it = profile.notify.find(ev.syscall);
    if (it != profile.notify.end()) {
        o = decide(it->second, n, pid, ev, emu);
    } else {
        // Not a notify syscall: the filter sent it because of complain mode. Say which rule
        // would have decided it.
        Verdict v = cfg.evaluate ? cfg.evaluate(n.nr, n.args) : Verdict{};
        o.action = v.action.kind == ActionKind::Notify ? Action{ActionKind::Errno, EPERM} : v.action;
        o.rule = v.rule ? rule_text(v.rule->where) : "seccomp.default";
        o.reason = v.rule ? "rule for " + ev.syscall : "the profile's default action";
    }
    if (o.gone) return;
    if (ev.decoded.empty()) decode_for_audit(n, ev);
    if (emu) {
        if (emu->fd >= 0) {
            std::lock_guard lock(inflight_mu);
            inflight.insert(emu->fd);
        }
        workers.post([this, n, ev, e = std::move(*emu)]() mutable { emulate(n, std::move(ev), std::move(e)); });
        return;
    }
    answer(n, pid, ev, o);
}

Outcome NotifySession::Impl::decide(const NotifyPolicy& p, const Notification& n, pid_t pid,
                                    AuditEvent& ev, std::optional<Emulation>& emu) {
    Outcome o;
    o.rule = rule_text(p.where);
    auto by_phase = p.by_phase.find(ev.phase);
    if (by_phase != p.by_phase.end() && by_phase->second.kind != ActionKind::Allow) {
        o.action = by_phase->second;
        o.reason = "notify." + ev.syscall + "." + ev.phase;
        return o;
    }
    if (p.allow.empty()) {
        // Nothing allows this call in this phase: a notified syscall is denied unless something
        // says otherwise (profiles/REFERENCE.md), never silently allowed.
        if (by_phase == p.by_phase.end()) {
            o.action = p.otherwise;
            o.reason = "no entry for phase " + ev.phase + " and no allow-list: otherwise";
            return o;
        }
        o.action = Action{ActionKind::Allow, 0};  // registers and phase only: CONTINUE is safe
        o.reason = "allowed in phase " + ev.phase;
        return o;
    }
    static const std::set<std::string> path_calls = {"execve", "execveat", "open", "openat", "openat2"};
    if (path_calls.count(ev.syscall)) return decide_path(p, n, pid, ev, emu);
    if (egress.count(ev.syscall)) return decide_egress(p, n, pid, ev, emu);
    o.action = p.otherwise;
    o.reason = "an allow-list applies only to exec, open, connect, bind, sendto, sendmsg";
    return o;
}

Outcome NotifySession::Impl::allow_or_refuse(const NotifyPolicy& p, const std::string& why_racy,
                                             const std::string& matched) {
    Outcome o;
    o.rule = rule_text(p.where);
    if (p.racy_allow) {
        o.action = Action{ActionKind::Allow, 0};
        o.reason = "matches " + matched + "; racy allow (racy_allow = true): " + why_racy;
    } else {
        o.action = p.otherwise;
        o.reason = "matches " + matched + " but " + why_racy + ", and racy_allow = false";
    }
    return o;
}

Outcome NotifySession::Impl::decide_path(const NotifyPolicy& p, const Notification& n, pid_t pid,
                                         AuditEvent& ev, std::optional<Emulation>& emu) {
    Outcome o;
    o.rule = rule_text(p.where);
    bool exec = ev.syscall == "execve" || ev.syscall == "execveat";
    uint64_t path_ptr = (ev.syscall == "execve" || ev.syscall == "open") ? n.args[0] : n.args[1];
    auto path = read_string(n.tid, path_ptr, 4096);
    // argv only for the audit trail (racy like every read, never used to decide).
    std::string argv;
    uint64_t argv_ptr = !exec ? 0 : ev.syscall == "execve" ? n.args[1] : n.args[2];
    for (size_t i = 0; argv_ptr && i < kMaxArgv; ++i) {
        uint64_t arg = 0;
        if (read_memory(n.tid, argv_ptr + i * 8, &arg, 8) != 8 || arg == 0) break;
        auto s = read_string(n.tid, arg, 256);
        if (!s) break;
        argv += (argv.empty() ? "" : " ") + *s;
    }
    if (!listener.id_valid(n.id)) {
        o.gone = true;
        return o;
    }
    if (!path) {
        o.action = p.otherwise;
        o.reason = "cannot read the path from the caller's memory";
        return o;
    }
    ev.decoded.emplace_back("path", *path);
    if (!argv.empty()) ev.decoded.emplace_back("argv", argv);
    std::string matched;
    if (!exec_path_allowed(p.allow, *path, &matched)) {
        o.action = p.otherwise;
        o.reason = "path matches no entry of notify." + ev.syscall + ".allow";
        return o;
    }
    if (exec)
        return allow_or_refuse(p,
                               "the path was read from caller memory that another thread can "
                               "change, and vigil cannot exec on the app's behalf",
                               matched);
    if (ev.syscall == "openat2")
        return allow_or_refuse(p, "openat2 is not performed on the app's behalf", matched);
    // Safe allow: vigil opens the checked copy and installs the file in the caller
    // (SECCOMP_IOCTL_NOTIF_ADDFD), on a worker since opening may block (FIFOs, NFS).
    Emulation e;
    e.kind = Emulation::Open;
    e.path = *path;
    e.flags = static_cast<int>(ev.syscall == "open" ? n.args[1] : n.args[2]);
    e.mode = static_cast<mode_t>(ev.syscall == "open" ? n.args[2] : n.args[3]);
    e.umask = app_umask(pid);
    o.action = Action{ActionKind::Allow, 0};
    o.reason = "matches " + matched;
    emu = std::move(e);
    return o;
}

Outcome NotifySession::Impl::decide_egress(const NotifyPolicy& p, const Notification& n, pid_t pid,
                                           AuditEvent& ev, std::optional<Emulation>& emu) {
    Outcome o;
    o.rule = rule_text(p.where);
    uint64_t addr_ptr = 0, addr_len = 0;
    bool is_sendmsg = ev.syscall == "sendmsg";
    if (ev.syscall == "connect") {
        addr_ptr = n.args[1];
        addr_len = n.args[2];
    } else if (ev.syscall == "sendto") {
        addr_ptr = n.args[4];
        addr_len = n.args[5];
    } else {
        msghdr msg{};
        if (read_memory(n.tid, n.args[1], &msg, sizeof msg) != sizeof msg) {
            o.action = p.otherwise;
            o.reason = "cannot read the msghdr from the caller's memory";
            return o;
        }
        addr_ptr = reinterpret_cast<uint64_t>(msg.msg_name);
        addr_len = msg.msg_namelen;
    }
    if (ev.syscall != "connect" && addr_ptr == 0) {
        // No destination in the call: the socket's connected peer, checked at connect().
        o.action = Action{ActionKind::Allow, 0};
        o.reason = "no destination address (connected socket)";
        return o;
    }
    sockaddr_storage addr{};
    if (addr_len > sizeof addr) {
        o.action = Action{ActionKind::Errno, EINVAL};  // what the kernel says, too
        o.reason = "address longer than sockaddr_storage";
        return o;
    }
    ssize_t got = read_memory(n.tid, addr_ptr, &addr, addr_len);
    if (!listener.id_valid(n.id)) {
        o.gone = true;
        return o;
    }
    if (got != static_cast<ssize_t>(addr_len)) {
        o.action = p.otherwise;
        o.reason = "cannot read the address from the caller's memory";
        return o;
    }
    auto* sa = reinterpret_cast<const sockaddr*>(&addr);
    socklen_t len = static_cast<socklen_t>(addr_len);
    ev.decoded.emplace_back("address", format_sockaddr(sa, len));
    const EgressRule* rule = match_egress(egress[ev.syscall], sa, len);
    if (!rule) {
        o.action = p.otherwise;
        o.reason = "destination matches no entry of notify." + ev.syscall + ".allow";
        return o;
    }
    if (is_sendmsg)
        return allow_or_refuse(p, "sendmsg with a destination cannot be performed on the app's "
                               "behalf (control messages, iovecs)", rule->text);
    // Safe allow: perform the call on the copied address with the app's own socket.
    std::string refused = emulation_refused;
    int pidfd = refused.empty() ? static_cast<int>(syscall(SYS_pidfd_open, pid, 0)) : -1;
    int fd = -EPERM;
    if (pidfd >= 0) {
        fd = listener.id_valid(n.id) ? copy_caller_fd(pidfd, static_cast<int>(n.args[0])) : -ESRCH;
        close(pidfd);
    } else if (refused.empty()) {
        fd = -errno;
    }
    if (fd == -ESRCH) {
        o.gone = true;
        return o;
    }
    if (fd == -EBADF || fd == -ENOTSOCK) {
        o.action = Action{ActionKind::Errno, -fd};  // the call would fail the same way
        o.reason = "no such socket in the caller";
        return o;
    }
    if (fd < 0) {
        if (refused.empty()) {
            emulation_refused = "pidfd_getfd failed with " + errno_name(-fd) +
                                " (in a container: needs CAP_SYS_PTRACE)";
            spdlog::warn("vigil cannot connect on the app's behalf: {}; allowed destinations now "
                         "follow racy_allow of each policy",
                         emulation_refused);
        }
        return allow_or_refuse(p, "the address was read from caller memory and " + emulation_refused,
                               rule->text);
    }
    Emulation e;
    e.kind = ev.syscall == "bind" ? Emulation::Bind : Emulation::Connect;
    e.fd = fd;
    e.addr = addr;
    e.addr_len = len;
    if (ev.syscall == "sendto") {
        size_t size = n.args[2];
        if (size > kMaxEmulatedSend) {
            close(fd);
            return allow_or_refuse(p, "the payload is too large to send on the app's behalf",
                                   rule->text);
        }
        e.kind = Emulation::Send;
        e.flags = static_cast<int>(n.args[3]);
        e.data.resize(size);
        if (size && read_memory(n.tid, n.args[1], e.data.data(), size) != static_cast<ssize_t>(size)) {
            close(fd);
            o.action = Action{ActionKind::Errno, EFAULT};
            o.reason = "cannot read the payload from the caller's memory";
            return o;
        }
    }
    o.action = Action{ActionKind::Allow, 0};
    o.reason = "matches " + rule->text;
    emu = std::move(e);
    return o;
}

void NotifySession::Impl::emulate(const Notification& n, AuditEvent ev, Emulation e) {
    auto* sa = reinterpret_cast<const sockaddr*>(&e.addr);
    long r = -1;
    bool delivered;
    switch (e.kind) {
        case Emulation::Connect: r = connect(e.fd, sa, e.addr_len); break;
        case Emulation::Bind: r = bind(e.fd, sa, e.addr_len); break;
        case Emulation::Send:
            // MSG_NOSIGNAL: a SIGPIPE would hit vigil, not the app; the app still gets EPIPE.
            r = sendto(e.fd, e.data.data(), e.data.size(), e.flags | MSG_NOSIGNAL, sa, e.addr_len);
            break;
        case Emulation::Open:
            // This worker has its own fs_struct (see WorkerPool), so the umask is the app's.
            umask(e.umask);
            r = open(e.path.c_str(), e.flags | O_CLOEXEC, e.mode);
            break;
    }
    int err = r < 0 ? errno : 0;
    if (e.kind == Emulation::Open) {
        if (err) {
            delivered = listener.respond_errno(n.id, err);
        } else {
            int remote = listener.add_fd(n.id, static_cast<int>(r), SECCOMP_ADDFD_FLAG_SEND,
                                         (e.flags & O_CLOEXEC) ? O_CLOEXEC : 0);
            delivered = remote >= 0;
            if (remote < 0 && remote != -ENOENT) {
                err = -remote;
                delivered = listener.respond_errno(n.id, err);
            }
            close(static_cast<int>(r));
        }
    } else {
        {
            std::lock_guard lock(inflight_mu);
            inflight.erase(e.fd);
        }
        close(e.fd);
        delivered = err ? listener.respond_errno(n.id, err) : listener.respond_value(n.id, r);
    }
    add_process_facts(ev);
    ev.decision = "allow";
    ev.outcome = AuditOutcome::Allowed;
    ev.rule = rule_text(profile.notify.at(ev.syscall).where);
    ev.reason = fmt::format("{} performed by vigil on the checked copy{}: {}",
                            emulation_name(e.kind),
                            e.kind == Emulation::Open ? "" : ", with the app's socket",
                            err ? errno_name(err) : "ok");
    if (!delivered) ev.reason += " (the caller went away before the answer)";
    audit.write(ev);
}

// Decisions on registers alone still name the path or address in the audit trail. This read
// is as racy as any other and only informs; it never changes the decision.
void NotifySession::Impl::decode_for_audit(const Notification& n, AuditEvent& ev) {
    const std::string& c = ev.syscall;
    if (c == "execve" || c == "execveat" || c == "open" || c == "openat" || c == "openat2") {
        uint64_t ptr = (c == "execve" || c == "open") ? n.args[0] : n.args[1];
        if (auto path = read_string(n.tid, ptr, 4096)) ev.decoded.emplace_back("path", *path);
    } else if ((c == "connect" || c == "bind") && n.args[2] <= sizeof(sockaddr_storage)) {
        sockaddr_storage addr{};
        if (read_memory(n.tid, n.args[1], &addr, n.args[2]) == static_cast<ssize_t>(n.args[2]))
            ev.decoded.emplace_back("address", format_sockaddr(reinterpret_cast<sockaddr*>(&addr),
                                                               static_cast<socklen_t>(n.args[2])));
    }
}

void NotifySession::Impl::answer(const Notification& n, pid_t pid, AuditEvent& ev, const Outcome& o) {
    const Action& a = o.action;
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
    add_process_facts(ev);
    ev.decision = a.str();
    ev.outcome = outcome_of(a);
    ev.complain = cfg.complain && !allow;
    ev.rule = o.rule;
    ev.reason = o.reason;
    if (!delivered) ev.reason += " (the caller went away before the answer)";
    audit.write(ev);
}

void NotifySession::Impl::on_phase(Phase p, const std::string& reason) {
    AuditEvent ev;
    ev.kind = AuditKind::Phase;
    ev.phase = phase_name(p);
    ev.reason = reason;
    ev.rule = profile.ready ? "phases.ready" : "";
    if (p == Phase::Ready) spdlog::info("phase ready: {}", reason);
    else spdlog::warn("phase: {}", reason);
    audit.write(ev);
}

}  // namespace vigil
