// The one way vigil starts and supervises an app, shared by `vigil run` and `vigil learn`:
// self-protection, privileges, seccomp filter (with its fallback), spawn, the listener handed
// to the session, supervision until the last child is gone. Implemented in src/spawn.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "vigil/filter.hpp"
#include "vigil/landlock.hpp"
#include "vigil/profile.hpp"
#include "vigil/supervise.hpp"

namespace vigil {

struct LaunchPlan {
    std::vector<std::string> argv;  // argv[0] is looked up in PATH like execvp
    // [process] settings: user, groups, capabilities, no_new_privs. Without them vigil does
    // its init duties only, like tini: ids and capabilities stay as they are.
    std::optional<ProcessSettings> process;
    std::optional<BpfProgram> filter;    // the app's seccomp program; none: no filter
    std::optional<BpfProgram> fallback;  // loaded instead when the kernel refuses a listener
    // [landlock]: restricted in the child after no_new_privs, before the seccomp filter, and
    // reported once at start (log line and audit notice at audit_sink in audit_format).
    std::optional<LandlockSettings> landlock;
    // Rules beyond [landlock] (the files of path allow-lists, see landlock_rules_for_allow_lists).
    std::vector<LandlockPathRule> landlock_extra;
    std::string audit_sink = "stderr";
    std::string audit_format = "json";
    bool capture_output = false;         // the app's stdout/stderr go through vigil (output_match)
    // `vigil up`: the app gets a Landlock domain of its own with the signal scope (whatever its
    // [landlock] says), so that it can neither signal nor ptrace processes outside it (other
    // services, vigil); no_new_privs is then set, which Landlock needs without CAP_SYS_ADMIN.
    bool isolate = false;
    SuperviseOptions supervise;
};

// What `vigil run` and `vigil up` derive from a loaded profile: [process], the seccomp filter
// (and its static fallback when it uses notify), [landlock], the Landlock rules that let path
// allow-lists be enforced by the kernel (the profile's policies learn whether they are
// covered), the audit sink and whether output is captured for output_match. An empty
// audit_sink/audit_format keeps the profile's.
void plan_profile(LaunchPlan& plan, Profile& profile, bool complain, const std::string& audit_sink = "",
                  const std::string& audit_format = "");

// The first half of launch(): self-protection, privileges, Landlock, filter, spawn. Returns the
// running app (its listener included); the caller supervises it. Throws as launch() does.
SpawnResult start_app(const LaunchPlan& plan);

// Runs the plan; returns vigil's exit code (the app's status, 128+N, remapped codes as 0).
// hooks (may be null) get the spawned app, including the seccomp listener, before the loop
// runs. Throws vigil::Error (125, or 126/127 when the command cannot run).
int launch(const LaunchPlan& plan, SessionHooks* hooks);

}  // namespace vigil
