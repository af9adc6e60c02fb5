// `vigil run`: load the profile, build the filter and credentials, spawn, supervise.
#include <spdlog/spdlog.h>

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
        plan_profile(plan, *profile, opts.complain, opts.audit_path, opts.audit_format);
        spdlog::debug("profile {}: {} rules, default {}", opts.profile_path, profile->rules.size(),
                      profile->default_action.str());
    }
    // Built before the app starts: the audit sink is opened here, while the app cannot yet
    // have put anything in its path.
    std::unique_ptr<NotifySession> hooks;
    if (profile) hooks = notify_session_for(*profile, opts.complain, opts.audit_path, opts.audit_format);
    return launch(plan, hooks.get());
}

const RegisterCommand reg{{"run", "run CMD under vigil (the default command)", kUsage, &run_main}};

}  // namespace

}  // namespace vigil
