// `vigil run`: load the profile, build the filter and credentials, spawn, supervise.
#include <linux/capability.h>

#include <spdlog/spdlog.h>

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
    "                          notified syscalls, Landlock rights) and exit 0; starts nothing\n"
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
        spdlog::warn("landlock: {}; matches of the path allow-lists are denied", p);
    for (const auto& n : cover.notes) spdlog::info("landlock: {}", n);
    for (const auto& b : cover.broader) spdlog::info("landlock: {}", b);
    for (auto& [name, policy] : profile.notify)
        if (!policy.allow.empty() && allow_list_kind(name) == AllowListKind::Path)
            policy.kernel_enforced = cover.covered;
    if (cover.covered) plan.landlock_extra = std::move(cover.rules);
}

// Egress allow-lists ([notify.connect] and the send calls derived from it): vigil performs an
// allowed call itself on a copy of the app's socket (pidfd_getfd), which needs CAP_SYS_PTRACE
// when the app runs under another uid (Docker's default set lacks it). Without the copy, a TCP
// connect whose destination matches may still go through when the kernel enforces its port
// (landlock.connect_tcp): the address decision is then racy, but bounded to those ports.
void cover_egress(Profile& profile) {
    bool lists = false;
    for (const auto& [name, policy] : profile.notify)
        lists = lists || (!policy.allow.empty() && allow_list_kind(name) == AllowListKind::Address);
    if (!lists) return;
    const LandlockSettings& ll = profile.landlock;
    bool ports = ll.connect_tcp && landlock_abi() >= 4;
    std::string listed;
    for (const auto& [port, grant] : ll.ports)
        if (grant.connect) listed += (listed.empty() ? "" : ",") + std::to_string(port);
    if (auto it = profile.notify.find("connect"); it != profile.notify.end()) it->second.ports_kernel_enforced = ports;
    if (vigil_has_capability(CAP_SYS_PTRACE)) return;
    std::string now = ports ? "a TCP connect matching it goes through with its port enforced by the kernel "
                              "(landlock.connect_tcp = [" + listed + "]), the address check racy within those ports; "
                              "unix peers and UDP destinations (sendto/sendmsg/sendmmsg) matching it are refused"
                            : "destinations matching it are refused (fail closed; with landlock.connect_tcp listing "
                              "the ports, TCP connects would go through with the port kernel-enforced)";
    spdlog::warn("egress: vigil lacks CAP_SYS_PTRACE, so it cannot copy the sockets of an app under another uid to "
                 "connect and send on them: of the [notify.connect] allow-list, {}. `docker run --cap-add "
                 "SYS_PTRACE` would add: every allowed connect and send performed by vigil on a copy of the socket "
                 "(no race on the address), and the unix and UDP peers of the allow-list",
                 now);
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
        cover_egress(*profile);
        plan.audit_sink = opts.audit_path.empty() ? profile->audit.sink : opts.audit_path;
        plan.audit_format = opts.audit_format.empty() ? profile->audit.format : opts.audit_format;
        spdlog::debug("profile {}: {} rules, default {}", opts.profile_path, profile->rules.size(),
                      profile->default_action.str());
    }
    if (opts.dry_run) return print_dry_run(plan, profile ? &*profile : nullptr, opts.profile_path);
    // Built before the app starts: the audit sink is opened here, while the app cannot yet
    // have put anything in its path.
    auto hooks = build_hooks(opts, profile ? &*profile : nullptr);
    plan.capture_output = profile && profile->ready && profile->ready->output_match;
    return launch(plan, hooks.get());
}

const RegisterCommand reg{{"run", "run CMD under vigil (the default command)", kUsage, &run_main}};

}  // namespace

}  // namespace vigil
