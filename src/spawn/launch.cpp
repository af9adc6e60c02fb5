// The shared launch path: what `vigil run` and `vigil learn` both do once they know what to run.
#include "vigil/launch.hpp"

#include <sys/prctl.h>

#include "vigil/log.hpp"

#include <cerrno>

#include "vigil/error.hpp"
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

}  // namespace

int launch(const LaunchPlan& plan, SessionHooks* hooks) {
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
    if (plan.landlock || !plan.landlock_extra.empty()) {
        landlock = prepare_landlock(plan.landlock.value_or(LandlockSettings{}), plan.landlock_extra);
        so.landlock = &landlock;
        if ((plan.landlock && plan.landlock->present) || !plan.landlock_extra.empty())
            report_landlock(landlock, plan.audit_sink, plan.audit_format);
    }

    EventLoop loop;
    SpawnResult app = landlock.fd() >= 0 ? spawn_confined(so) : spawn(so);
    if (app.listener_refused)
        log::error("the kernel refused vigil a seccomp listener ({}); run-time decisions fall back to the "
                      "profile's static fallback actions",
                      refusal_reason(app.listener_refused_errno));
    return supervise(loop, app, plan.supervise, hooks);
}

}  // namespace vigil
