// The shared launch path: what `vigil run` and `vigil learn` both do once they know what to run.
#include "vigil/launch.hpp"

#include <sys/prctl.h>

#include <spdlog/spdlog.h>

#include <cerrno>

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

// A path allow-list match is read from the app's memory, which another thread can change after
// the check: notify may let it through only when the kernel (Landlock) confines the same family
// to the files the globs name. The rules are computed here, before the app exists, and the
// policies learn whether they are covered before the notify engine sees them.
void cover_path_allow_lists(Profile& profile, LaunchPlan& plan) {
    bool any = false;
    for (const auto& [name, policy] : profile.notify)
        any = any || (!policy.allow.empty() && allow_list_kind(name) == AllowListKind::Path);
    if (!any) return;
    AllowListCoverage cover = landlock_rules_for_allow_lists(profile, landlock_abi());
    for (const auto& p : cover.problems)
        spdlog::warn("landlock: {}; matches of the path allow-lists are denied", p);
    for (const auto& n : cover.notes) spdlog::info("landlock: {}", n);
    for (const auto& b : cover.broader) spdlog::info("landlock: {}", b);
    for (auto& [name, policy] : profile.notify)
        if (!policy.allow.empty() && allow_list_kind(name) == AllowListKind::Path)
            policy.kernel_enforced = cover.covered;
    if (cover.covered) plan.landlock_extra = std::move(cover.rules);
}

}  // namespace

void plan_profile(LaunchPlan& plan, Profile& profile, bool complain, const std::string& audit_sink,
                  const std::string& audit_format) {
    complain = complain || profile.complain;
    plan.process = profile.process;
    if (profile.has_seccomp) {
        plan.filter = compile_filter(profile, {.complain = complain, .listener = true});
        if (plan.filter->uses_notify)
            plan.fallback = compile_filter(profile, {.complain = complain, .listener = false});
    }
    plan.landlock = profile.landlock;
    cover_path_allow_lists(profile, plan);
    plan.audit_sink = audit_sink.empty() ? profile.audit.sink : audit_sink;
    plan.audit_format = audit_format.empty() ? profile.audit.format : audit_format;
    plan.capture_output = plan.capture_output || (profile.ready && profile.ready->output_match);
}

SpawnResult start_app(const LaunchPlan& plan) {
    // First, before the app or anything it could reach exists: the app often runs as vigil's
    // own user (no [process] user), and must then not ptrace vigil, read /proc/1/mem or reopen
    // vigil's fds through /proc/1/fd. The child gets dumpability back at execve.
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_DUMPABLE, 0)");

    SpawnOptions so;
    so.argv = plan.argv;
    std::optional<PreparedPrivileges> privileges;
    if (plan.process) {
        privileges = prepare_privileges(*plan.process);
        so.privileges = &*privileges;
        so.no_new_privs = plan.process->no_new_privs;
    } else {
        // Init duties only: no_new_privs only where the kernel needs it for the filter.
        so.no_new_privs = plan.filter.has_value();
    }
    if (plan.filter) so.filter = &*plan.filter;
    if (plan.filter && plan.filter->uses_notify && plan.fallback) so.fallback = &*plan.fallback;
    so.capture_output = plan.capture_output;
    // Path fds are opened now, before the app exists to swap anything on those paths.
    PreparedLandlock landlock;
    LandlockSettings settings = plan.landlock.value_or(LandlockSettings{});
    bool profile_landlock = settings.present;
    if (plan.isolate) {
        // Landlock refuses to restrict a task without no_new_privs unless it has CAP_SYS_ADMIN.
        settings.present = true;
        settings.scope_signal = true;
        so.no_new_privs = true;
    }
    if (settings.present || !plan.landlock_extra.empty()) {
        landlock = prepare_landlock(settings, plan.landlock_extra);
        so.landlock = &landlock;
        if (profile_landlock || !plan.landlock_extra.empty())
            report_landlock(landlock, plan.audit_sink, plan.audit_format);
    }

    SpawnResult app = landlock.fd() >= 0 ? spawn_confined(so) : spawn(so);
    if (app.listener_refused)
        spdlog::error("the kernel refused vigil a seccomp listener ({}); run-time decisions fall back to the "
                      "profile's static fallback actions",
                      refusal_reason(app.listener_refused_errno));
    return app;
}

int launch(const LaunchPlan& plan, SessionHooks* hooks) {
    SpawnResult app = start_app(plan);
    EventLoop loop;
    return supervise(loop, app, plan.supervise, hooks);
}

}  // namespace vigil
