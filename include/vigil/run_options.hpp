// Options of `vigil run` from the command line and the environment. Implemented in src/cli.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/profile.hpp"
#include "vigil/supervise.hpp"

namespace vigil {

struct RunOptions {
    std::string profile_path;          // -p / VIGIL_PROFILE
    bool complain = false;             // --complain / VIGIL_COMPLAIN
    std::optional<bool> signal_group;  // -g / VIGIL_SIGNAL_GROUP
    std::optional<int> stop_timeout_ms;  // -t / VIGIL_STOP_TIMEOUT
    std::vector<int> remap_exit;       // -e / VIGIL_REMAP_EXIT
    std::string audit_path;            // --audit
    std::string audit_format;          // --audit-format
    // Restarts: --restart / VIGIL_RESTART, --restart-max / VIGIL_RESTART_MAX,
    // --restart-delay / VIGIL_RESTART_DELAY.
    std::optional<RestartMode> restart;
    std::optional<int> restart_max;
    std::optional<int> restart_delay_ms;
    // --health-http URL / --health-tcp PORT, --health-interval, --health-timeout,
    // --health-failures (VIGIL_HEALTH_*): fields given here replace the profile's.
    std::optional<std::string> health_http;
    std::optional<int> health_tcp;
    std::optional<int> health_interval_ms, health_timeout_ms, health_failures;
    // Readiness: --ready-tcp/--ready-http/--ready-output/--ready-after/--ready-timeout (as
    // learn has them; VIGIL_READY_*), replacing the profile's [phases.ready].
    std::optional<ReadyCondition> ready;
    std::optional<int> ready_timeout_ms;
    std::optional<std::string> ready_file;  // --ready-file / VIGIL_READY_FILE
    std::map<int, int> rewrite_signals;     // -r FROM:TO / VIGIL_REWRITE_SIGNAL (comma list)
    std::optional<std::string> user;        // -u USER[:GROUP] / VIGIL_USER
    std::optional<std::string> group;
    std::optional<std::vector<std::string>> keep_caps;  // --keep-cap / VIGIL_KEEP_CAP
    std::optional<int> pdeath_signal;       // --pdeath-signal / VIGIL_PDEATH_SIGNAL
    std::vector<std::string> command;  // CMD ARGS...
    bool help = false;
    bool dry_run = false;              // --dry-run: print what would be applied, start nothing
};

// Throws vigil::Error (125) naming the bad option or variable and pointing at the usage text.
RunOptions parse_run_options(const std::vector<std::string>& args);

// "10s", "500ms", "2m", "10" (seconds) -> milliseconds; nullopt if malformed.
std::optional<int> parse_duration_ms(const std::string& text);

// Command line and environment beat the profile.
void apply_supervise_overrides(const RunOptions& opts, SuperviseOptions& sup);

// -u / --keep-cap over the profile's [process] (or over none: then ids switch and
// capabilities drop as with a profile without [process]). Nothing when neither is given.
std::optional<ProcessSettings> process_overrides(const RunOptions& opts, const std::optional<ProcessSettings>& profile);

}  // namespace vigil
