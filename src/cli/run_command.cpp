// `vigil run`: load the profile, build the filter and credentials, spawn, supervise.
#include <sys/prctl.h>

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
#include "vigil/notify.hpp"
#include "vigil/privileges.hpp"
#include "vigil/profile.hpp"
#include "vigil/run_options.hpp"
#include "vigil/spawn.hpp"
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

int run_main(const std::vector<std::string>& args) {
    RunOptions opts = parse_run_options(args);
    if (opts.help) {
        std::printf("%s", kUsage);
        return 0;
    }
    // The app runs as the same user as vigil in many deployments: it must not be able to
    // ptrace vigil or read its memory.
    if (prctl(PR_SET_DUMPABLE, 0) < 0) throw_errno("prctl(PR_SET_DUMPABLE)");

    std::optional<Profile> profile;
    if (!opts.profile_path.empty()) profile = load_profile(opts.profile_path);
    SuperviseOptions sup;
    if (profile) sup.settings = profile->supervise;
    apply_supervise_overrides(opts, sup);

    SpawnOptions so;
    so.argv = opts.command;
    BpfProgram filter, fallback;
    PreparedPrivileges privileges;
    PreparedLandlock landlock;
    if (profile) {
        bool complain = opts.complain || profile->complain;
        privileges = prepare_privileges(profile->process);
        so.privileges = &privileges;
        so.no_new_privs = profile->process.no_new_privs;
        if (profile->has_seccomp) {
            filter = compile_filter(*profile, {.complain = complain, .listener = true});
            so.filter = &filter;
            if (filter.uses_notify) {
                fallback = compile_filter(*profile, {.complain = complain, .listener = false});
                so.fallback = &fallback;
            }
        }
        landlock = prepare_landlock(profile->landlock);
        so.landlock = &landlock;
        if (profile->landlock.present)
            report_landlock(landlock, opts.audit_path.empty() ? profile->audit.sink : opts.audit_path,
                            opts.audit_format.empty() ? profile->audit.format : opts.audit_format);
        spdlog::debug("profile {}: {} rules, default {}", opts.profile_path, profile->rules.size(),
                      profile->default_action.str());
    } else {
        so.no_new_privs = false;  // init duties only, like tini
    }
    auto hooks = build_hooks(opts, profile ? &*profile : nullptr);
    so.capture_output = profile && profile->ready && profile->ready->output_match;

    EventLoop loop;
    SpawnResult app = landlock.fd() >= 0 ? spawn_confined(so) : spawn(so);
    if (app.listener_refused)
        spdlog::error("the kernel refused vigil a seccomp listener (EBUSY: the container runtime holds one); "
                      "run-time decisions fall back to the profile's static fallback actions");
    return supervise(loop, app, sup, hooks.get());
}

const RegisterCommand reg{{"run", "run CMD under vigil (the default command)", kUsage, &run_main}};

}  // namespace

}  // namespace vigil
