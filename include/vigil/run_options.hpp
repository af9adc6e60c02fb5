// Options of `vigil run` from the command line and the environment. Implemented in src/cli.
#pragma once

#include <optional>
#include <string>
#include <vector>

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

}  // namespace vigil
