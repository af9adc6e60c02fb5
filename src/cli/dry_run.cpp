// `vigil run --dry-run`: what a run would apply, printed instead of starting the app.
#include "dry_run.hpp"

#include <unistd.h>

#include <cstdio>
#include <string>

#include "vigil/landlock.hpp"
#include "vigil/privileges.hpp"
#include "vigil/text.hpp"

namespace vigil {

namespace {

std::string join(const std::vector<std::string>& items, const char* none) {
    if (items.empty()) return none;
    std::string out;
    for (const auto& s : items) out += (out.empty() ? "" : " ") + text::log_escape(s);
    return out;
}

}  // namespace

int print_dry_run(const LaunchPlan& plan, const Profile* profile, const std::string& profile_path) {
    std::printf("dry run: nothing is started\n");
    std::string cmd;
    for (const auto& a : plan.argv) cmd += (cmd.empty() ? "" : " ") + text::log_escape(a);
    std::printf("command: %s\n", cmd.c_str());
    std::printf("profile: %s\n", profile ? text::log_escape(profile_path).c_str() : "none (init duties only)");

    if (plan.process) {
        // Resolved as the run would (ROOT/etc/passwd, the capabilities vigil holds now).
        PreparedPrivileges p = prepare_privileges(*plan.process);
        if (p.change_ids)
            std::printf("user: uid %u gid %u (%s)\n", static_cast<unsigned>(p.uid), static_cast<unsigned>(p.gid),
                        text::log_escape(plan.process->user.value_or("")).c_str());
        else
            std::printf("user: unchanged (uid %u gid %u)\n", static_cast<unsigned>(geteuid()),
                        static_cast<unsigned>(getegid()));
        std::printf("capabilities kept: %s\n", join(plan.process->capabilities, "none").c_str());
        std::printf("no_new_privs: %s\n", plan.process->no_new_privs ? "yes" : "no");
    } else {
        std::printf("user: unchanged (uid %u gid %u)\ncapabilities kept: unchanged\n",
                    static_cast<unsigned>(geteuid()), static_cast<unsigned>(getegid()));
    }

    if (plan.filter) {
        std::printf("seccomp filter: %zu instructions, default %s, %zu rules\n", plan.filter->insns.size(),
                    profile->default_action.str().c_str(), profile->rules.size());
        if (plan.fallback)
            std::printf("seccomp fallback (no listener): %zu instructions\n", plan.fallback->insns.size());
        std::vector<std::string> notified;
        for (const auto& [name, policy] : profile->notify) notified.push_back(name + " (fallback " + policy.fallback.str() + ")");
        std::printf("notified syscalls: %s\n", join(notified, "none").c_str());
    } else {
        std::printf("seccomp filter: none\n");
    }

    if ((plan.landlock && plan.landlock->present) || !plan.landlock_extra.empty()) {
        PreparedLandlock ll = prepare_landlock(plan.landlock.value_or(LandlockSettings{}), plan.landlock_extra);
        std::printf("%s\n", ll.summary().c_str());  // "landlock: ABI N, ..."
        std::printf("landlock rights: %s\n", ll.audit_text().c_str());
    } else {
        std::printf("landlock: none\n");
    }
    std::printf("audit: %s (%s)\n", text::log_escape(plan.audit_sink).c_str(), plan.audit_format.c_str());
    std::printf("stop timeout: %d ms; signals to %s\n", plan.supervise.settings.stop_timeout_ms,
                plan.supervise.forward_to_group ? "the process group" : "the app");
    return 0;
}

}  // namespace vigil
