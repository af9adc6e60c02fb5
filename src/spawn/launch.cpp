// The shared launch path: what `vigil run` and `vigil learn` both do once they know what to run.
#include "vigil/launch.hpp"

#include <linux/capability.h>
#include <signal.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vigil/log.hpp"

#include <cerrno>

#include "vigil/audit.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/landlock.hpp"
#include "vigil/privileges.hpp"
#include "vigil/spawn.hpp"

namespace vigil {

namespace {

std::string refusal_reason(int err) {
    if (err == EBUSY) return "EBUSY: another listener, such as the container runtime's, holds the task";
    if (err == EINVAL) return "EINVAL: this kernel (gVisor, for one) has no seccomp user notification";
    return std::to_string(err);
}

// spawn() with the Landlock ruleset in force: an execve the kernel refuses with EACCES is
// almost always a command (or its dynamic loader) missing from landlock.execute; say so.
SpawnResult spawn_confined(const SpawnOptions& options) {
    try {
        return spawn(options);
    } catch (const Error& e) {
        if (e.code != kExitCannotExec || std::string(e.what()).find("Permission denied") == std::string::npos) throw;
        throw Error(std::string(e.what()) + " (under [landlock]: the command and its dynamic loader, "
                    "e.g. /lib or /usr/lib, need landlock.execute)", e.code);
    }
}

// Whether some notify policy of PROFILE has an allow-list of this kind (paths, peers).
bool has_allow_list(const Profile& profile, AllowListKind kind) {
    for (const auto& [name, policy] : profile.notify)
        if (!policy.allow.empty() && allow_list_kind(name) == kind) return true;
    return false;
}

// A path allow-list match is read from the app's memory, which another thread can change after
// the check: notify may let it through only when the kernel (Landlock) confines the same family
// to the files the globs name. The rules are computed here, before the app exists, and the
// policies learn whether they are covered before the notify engine sees them.
void cover_path_allow_lists(Profile& profile, LaunchPlan& plan) {
    if (!has_allow_list(profile, AllowListKind::Path)) return;
    AllowListCoverage cover = landlock_rules_for_allow_lists(profile, landlock_abi());
    for (const auto& p : cover.problems)
        log::warn("landlock: {}; matches of the path allow-lists are denied", p);
    for (const auto& n : cover.notes) log::info("landlock: {}", n);
    for (const auto& b : cover.broader) log::info("landlock: {}", b);
    for (auto& [name, policy] : profile.notify)
        if (!policy.allow.empty() && allow_list_kind(name) == AllowListKind::Path)
            policy.kernel_enforced = cover.covered;
    if (cover.covered) plan.landlock_extra = std::move(cover.rules);
}

// Egress allow-lists ([notify.connect], the send calls derived from it, [notify.bind]): vigil
// performs an allowed call itself on a copy of the app's socket, so that the address it checked
// is the one used. The copy comes from pidfd_getfd, which needs CAP_SYS_PTRACE when the app
// runs under another uid, and which Docker's default seccomp profile refuses to everyone who
// lacks that capability. Without it, vigil takes the app's IP sockets into custody: socket()
// for AF_INET and AF_INET6 is notified, vigil makes the socket (on a worker with the app's
// file-system identity and no capability) and installs it in the app, keeping a reference
// for the decisions to come (src/notify/custody.hpp). Only the compiled filter gets the extra
// notify rules: the profile's own rules, which evaluate() reads, keep saying what the profile
// decides for each socket() call.
bool needs_socket_custody(const Profile& profile) {
    if (!profile.has_seccomp || !has_allow_list(profile, AllowListKind::Address)) return false;
    // A runtime's filter may refuse pidfd_getfd even with the capability: EBADF says the call
    // itself is there (the fd -1 is bad), anything else that it is not.
    errno = 0;
    bool copies = syscall(SYS_pidfd_getfd, -1, 0, 0) < 0 && errno == EBADF;
    return !copies || !vigil_has_capability(CAP_SYS_PTRACE);
}

Profile with_custody_rules(const Profile& profile) {
    Profile p = profile;
    for (int family : {AF_INET, AF_INET6}) {
        SyscallRule r;
        r.syscall = "socket";
        r.action = Action{ActionKind::Notify, 0};
        // The kernel reads an int: decide on the low 32 bits, as the loader does.
        r.conditions.push_back(ArgCondition{0, CmpOp::MaskedEq, static_cast<uint64_t>(family), 0xffffffffULL,
                                            family == AF_INET ? "arg0 == AF_INET" : "arg0 == AF_INET6"});
        r.where = SourcePos{"socket custody (no CAP_SYS_PTRACE)", 0, 0};
        p.rules.push_back(std::move(r));
    }
    return p;
}

// SCTP names peers without connect or a send's destination (setsockopt SCTP_SOCKOPT_CONNECTX,
// SCTP_SOCKOPT_BINDX), which no allow-list can decide: where a profile decides peers, SCTP
// sockets are refused. A rule of the profile itself (deny wins over any allow), so that
// explain and the audit say so too.
void refuse_sctp_with_peer_lists(Profile& profile) {
    if (!profile.has_seccomp || !has_allow_list(profile, AllowListKind::Address)) return;
    SyscallRule r;
    r.syscall = "socket";
    r.action = Action{ActionKind::Errno, EPROTONOSUPPORT};
    r.conditions.push_back(ArgCondition{2, CmpOp::MaskedEq, IPPROTO_SCTP, 0xffffffffULL, "arg2 == IPPROTO_SCTP"});
    r.where = SourcePos{"an address allow-list refuses SCTP (peers named through setsockopt)", 0, 0};
    profile.rules.push_back(std::move(r));
}

void say_custody(const Profile& profile) {
    if (!profile.socket_custody) return;
    log::info("egress: vigil lacks CAP_SYS_PTRACE and cannot copy the app's sockets, so it makes the "
              "app's IP sockets itself and keeps them for the allow-list's decisions (socket() becomes a "
              "notification); unix peers of the allow-list are refused, and a send on a TCP connection "
              "already made needs the copy too. `docker run --cap-add SYS_PTRACE` gives vigil the copy");
}

}  // namespace

void plan_profile(LaunchPlan& plan, Profile& profile, bool complain, const std::string& audit_sink,
                  const std::string& audit_format) {
    complain = complain || profile.complain;
    plan.process = profile.process;
    refuse_sctp_with_peer_lists(profile);
    profile.socket_custody = needs_socket_custody(profile);
    if (profile.has_seccomp) {
        plan.filter = profile.socket_custody
                          ? compile_filter(with_custody_rules(profile), {.complain = complain, .listener = true})
                          : compile_filter(profile, {.complain = complain, .listener = true});
        if (plan.filter->uses_notify)
            plan.fallback = compile_filter(profile, {.complain = complain, .listener = false});
    }
    plan.landlock = profile.landlock;
    cover_path_allow_lists(profile, plan);
    say_custody(profile);
    plan.audit_sink = audit_sink.empty() ? profile.audit.sink : audit_sink;
    plan.audit_format = audit_format.empty() ? profile.audit.format : audit_format;
    plan.capture_output = plan.capture_output || (profile.ready && profile.ready->output_match);
}

namespace {

// What one launch prepares once, before the app exists, for every start of it: privileges,
// the Landlock ruleset, the spawn options pointing at them. Built in place (it points into
// itself), never moved.
struct Prepared {
    SpawnOptions so;
    std::optional<PreparedPrivileges> privileges;
    PreparedLandlock landlock;
    bool paths_confined = false;  // the profile or the path allow-lists confine files
};

void prepare(const LaunchPlan& plan, Prepared& p) {
    // First, before the app or anything it could reach exists: the app often runs as vigil's
    // own user (no [process] user), and must then not ptrace vigil, read /proc/1/mem or reopen
    // vigil's fds through /proc/1/fd. The child gets dumpability back at execve.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_DUMPABLE, 0)");
    SpawnOptions& so = p.so;
    so.argv = plan.argv;
    if (plan.process) {
        p.privileges = prepare_privileges(*plan.process);
        so.privileges = &*p.privileges;
        so.no_new_privs = plan.process->no_new_privs;
    } else {
        // Init duties only: no_new_privs only where the kernel needs it for the filter.
        so.no_new_privs = plan.filter.has_value();
    }
    if (plan.filter) so.filter = &*plan.filter;
    if (plan.filter && plan.filter->uses_notify && plan.fallback) so.fallback = &*plan.fallback;
    so.capture_output = plan.capture_output;
    p.paths_confined = (plan.landlock && plan.landlock->filesystem) || !plan.landlock_extra.empty();
    // Path fds are opened now, before the app exists to swap anything on those paths.
    LandlockSettings settings = plan.landlock.value_or(LandlockSettings{});
    bool profile_landlock = settings.present;
    if (plan.isolate) {
        // Landlock refuses to restrict a task without no_new_privs unless it has CAP_SYS_ADMIN.
        settings.present = true;
        settings.scope_signal = true;
        so.no_new_privs = true;
    }
    if (settings.present || !plan.landlock_extra.empty()) {
        p.landlock = prepare_landlock(settings, plan.landlock_extra);
        so.landlock = &p.landlock;
        if (profile_landlock || !plan.landlock_extra.empty())
            report_landlock(p.landlock, plan.audit_sink, plan.audit_format);
    }
}

SpawnResult spawn_prepared(const Prepared& p) {
    SpawnResult app = p.landlock.fd() >= 0 && p.paths_confined ? spawn_confined(p.so) : spawn(p.so);
    if (app.listener_refused)
        log::error("the kernel refused vigil a seccomp listener ({}); run-time decisions fall back to the "
                      "profile's static fallback actions",
                      refusal_reason(app.listener_refused_errno));
    return app;
}

}  // namespace

SpawnResult start_app(const LaunchPlan& plan) {
    Prepared p;
    prepare(plan, p);
    return spawn_prepared(p);
}

int launch(const LaunchPlan& plan, SessionHooks* hooks) {
    // --pdeath-signal (tini's -p): vigil under another supervisor hears when that one dies,
    // as a signal from outside (the kernel sends it), handled like any other.
    if (int sig = plan.supervise.settings.pdeath_signal) {
        pid_t parent = getppid();
        if (prctl(PR_SET_PDEATHSIG, sig, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_PDEATHSIG)");
        // The parent may have died before the prctl: then nobody sends the signal but us.
        if (getppid() != parent) kill(getpid(), sig);
    }
    Prepared prepared;
    prepare(plan, prepared);

    // Outward readiness and the trail of restarts: opened now, before the app exists to plant
    // anything at those names.
    SuperviseOptions sup = plan.supervise;
    const SuperviseSettings& st = sup.settings;
    if (!st.ready_file.empty() && !sup.ready_file) sup.ready_file = std::make_shared<ReadyFile>(st.ready_file);
    if (!sup.sd_notify) sup.sd_notify = SdNotify::from_environment();
    bool restarts = st.restart.mode != RestartMode::No && st.restart.max > 0;
    if ((restarts || st.health) && !sup.audit && !(hooks && hooks->audit_sink()))
        sup.audit = std::make_shared<AuditSink>(plan.audit_sink, plan.audit_format);

    EventLoop loop;
    auto start = [&]() { return spawn_prepared(prepared); };
    SpawnResult app = start();
    // A restart is this same launch again: a new token and filter in the child, a new listener.
    if (restarts) sup.respawn = start;
    return supervise(loop, app, sup, hooks);
}

}  // namespace vigil
