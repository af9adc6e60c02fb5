// `vigil run`: load the profile, build the filter and credentials, spawn, supervise.

#include "vigil/log.hpp"

#include <cstdlib>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dry_run.hpp"
#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/landlock.hpp"
#include "vigil/launch.hpp"
#include "vigil/notify.hpp"
#include "vigil/privileges.hpp"
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
    "      --dry-run           print what would be applied (user, capabilities, filter size,\n"
    "                          notified syscalls, Landlock rights) and exit 0; starts nothing\n\n"
    "supervision (each also a VIGIL_* variable and a profile key; see README):\n"
    "      --restart P         no (default), on-failure or always; env VIGIL_RESTART\n"
    "      --restart-max N     restarts in a row before vigil gives up and exits with the app's\n"
    "                          last status (default 5); env VIGIL_RESTART_MAX\n"
    "      --restart-delay T   first back-off (default 1s), doubled per restart, at most 30s, reset\n"
    "                          after 60s of running; env VIGIL_RESTART_DELAY\n"
    "      --health-http URL   health check: loopback GET answering 2xx (or --health-tcp PORT);\n"
    "      --health-interval T   every T (10s), each within --health-timeout T (2s); after\n"
    "      --health-failures N   N failures in a row (3) the app is stopped (and restarted per\n"
    "                          --restart); env VIGIL_HEALTH_*\n"
    "      --ready-tcp PORT    the app is ready when it listens on TCP PORT; likewise\n"
    "      --ready-http URL, --ready-output RE, --ready-after T, --ready-timeout T (as in learn;\n"
    "                          env VIGIL_READY_*); default: the profile's [phases.ready]\n"
    "      --ready-file PATH   create PATH while the app is ready; env VIGIL_READY_FILE\n"
    "                          ($NOTIFY_SOCKET set: READY=1 and STOPPING=1 go there, sd_notify)\n"
    "  -r, --rewrite-signal FROM:TO  forward signal FROM as TO (TERM:QUIT; TO 0 drops FROM);\n"
    "                          repeatable; env VIGIL_REWRITE_SIGNAL (comma list)\n"
    "  -u, --user USER[:GROUP] run CMD as USER (names from /etc/passwd and /etc/group, with the\n"
    "                          user's groups); capabilities are dropped; env VIGIL_USER\n"
    "      --keep-cap CAP      keep capability CAP (repeatable); env VIGIL_KEEP_CAP (comma list)\n"
    "      --pdeath-signal SIG vigil gets SIG when its parent dies; env VIGIL_PDEATH_SIGNAL\n"
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
    if (profile) {
        plan.supervise.settings = profile->supervise;
        plan.supervise.ready = profile->ready;
    }
    apply_supervise_overrides(opts, plan.supervise);
    if (profile) {
        plan_profile(plan, *profile, opts.complain, opts.audit_path, opts.audit_format);
        log::debug("profile {}: {} rules, default {}", opts.profile_path, profile->rules.size(),
                      profile->default_action.str());
    }
    // After plan_profile, which takes the profile's [process]: -u/--keep-cap beat it.
    plan.process = process_overrides(opts, profile ? std::optional<ProcessSettings>(profile->process) : std::nullopt);
    plan.audit_sink = !opts.audit_path.empty() ? opts.audit_path : profile ? profile->audit.sink : "stderr";
    plan.audit_format = !opts.audit_format.empty() ? opts.audit_format : profile ? profile->audit.format : "json";
    if (opts.dry_run) return print_dry_run(plan, profile ? &*profile : nullptr, opts.profile_path);
    // Built before the app starts: the audit sink is opened here, while the app cannot yet
    // have put anything in its path.
    std::unique_ptr<NotifySession> hooks;
    if (profile) hooks = notify_session_for(*profile, opts.complain, opts.audit_path, opts.audit_format);
    plan.capture_output = plan.supervise.ready && plan.supervise.ready->output_match;
    return launch(plan, hooks.get());
}

const RegisterCommand reg{{"run", "run CMD under vigil (the default command)", kUsage, &run_main}};

}  // namespace

}  // namespace vigil
