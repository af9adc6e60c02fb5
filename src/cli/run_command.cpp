// `vigil run`: load the profile, build the filter and credentials, spawn, supervise.
#include "vigil/log.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/landlock.hpp"
#include "vigil/launch.hpp"
#include "vigil/notify.hpp"
#include "vigil/profile.hpp"
#include "vigil/run_options.hpp"
#include "vigil/supervise.hpp"

namespace vigil {

namespace {

const char* kUsage =
    "usage: vigil [run] [OPTIONS] -- CMD [ARGS...]\n"
    "Runs CMD as a supervised child: forwards signals, reaps zombies, returns CMD's exit status.\n"
    "With a profile, CMD starts with privileges dropped and a seccomp filter in force.\n\n"
    "  -p, --profile FILE      sandbox profile (TOML); env VIGIL_PROFILE\n"
    "      --complain          log would-be denials instead of enforcing them; env VIGIL_COMPLAIN=1\n"
    "  -g, --signal-group      forward signals to CMD's whole process group; env VIGIL_SIGNAL_GROUP=1\n"
    "  -t, --stop-timeout T    after SIGTERM/SIGINT, SIGKILL CMD after T (10s, 500ms; default 10s);\n"
    "                          env VIGIL_STOP_TIMEOUT\n"
    "  -e, --remap-exit CODE   report exit status CODE as 0 (repeatable, or a comma list such as\n"
    "                          143,130); env VIGIL_REMAP_EXIT\n"
    "      --audit FILE        audit trail sink (default: the profile's, else stderr)\n"
    "      --audit-format F    json (default) or fhir (FHIR R4 AuditEvent per line)\n"
    "  -h, --help              this text\n\n"
    "exit codes: CMD's status; 128+N if CMD died of signal N; 125 vigil error; 126 CMD cannot be\n"
    "executed; 127 CMD not found.\n";

// Extension point for run-time decisions (seccomp user notification) on top of init duties.
std::unique_ptr<SessionHooks> build_hooks(const RunOptions& opts, const Profile* profile) {
    if (!profile || !profile->has_seccomp) return nullptr;
    NotifyConfig cfg;
    cfg.complain = opts.complain || profile->complain;
    if (profile->notify.empty() && !cfg.complain) return nullptr;
    cfg.audit_sink = opts.audit_path.empty() ? profile->audit.sink : opts.audit_path;
    cfg.audit_format = opts.audit_format.empty() ? profile->audit.format : opts.audit_format;
    cfg.evaluate = [profile](int nr, const uint64_t args[6]) { return evaluate(*profile, nr, args); };
    return std::make_unique<NotifySession>(*profile, std::move(cfg));
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
        log::warn("landlock: {}; matches of the path allow-lists are denied", p);
    for (const auto& n : cover.notes) log::info("landlock: {}", n);
    for (const auto& b : cover.broader) log::info("landlock: {}", b);
    for (auto& [name, policy] : profile.notify)
        if (!policy.allow.empty() && allow_list_kind(name) == AllowListKind::Path)
            policy.kernel_enforced = cover.covered;
    if (cover.covered) plan.landlock_extra = std::move(cover.rules);
}

int run_main(const std::vector<std::string>& args) {
    RunOptions opts = parse_run_options(args);
    if (opts.help) {
        std::printf("%s", kUsage);
        return 0;
    }
    std::optional<Profile> profile;
    if (!opts.profile_path.empty()) profile = load_profile(opts.profile_path);
    LaunchPlan plan;
    plan.argv = opts.command;
    if (profile) plan.supervise.settings = profile->supervise;
    apply_supervise_overrides(opts, plan.supervise);
    if (profile) {
        bool complain = opts.complain || profile->complain;
        plan.process = profile->process;
        if (profile->has_seccomp) {
            plan.filter = compile_filter(*profile, {.complain = complain, .listener = true});
            if (plan.filter->uses_notify)
                plan.fallback = compile_filter(*profile, {.complain = complain, .listener = false});
        }
        plan.landlock = profile->landlock;
        cover_path_allow_lists(*profile, plan);
        plan.audit_sink = opts.audit_path.empty() ? profile->audit.sink : opts.audit_path;
        plan.audit_format = opts.audit_format.empty() ? profile->audit.format : opts.audit_format;
        log::debug("profile {}: {} rules, default {}", opts.profile_path, profile->rules.size(),
                      profile->default_action.str());
    }
    // Built before the app starts: the audit sink is opened here, while the app cannot yet
    // have put anything in its path.
    auto hooks = build_hooks(opts, profile ? &*profile : nullptr);
    plan.capture_output = profile && profile->ready && profile->ready->output_match;
    return launch(plan, hooks.get());
}

const RegisterCommand reg{{"run", "run CMD under vigil (the default command)", kUsage, &run_main}};

}  // namespace

}  // namespace vigil
