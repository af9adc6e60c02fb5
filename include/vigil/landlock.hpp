// Landlock: the kernel confines the app to the paths, TCP ports and scopes of the profile's
// [landlock] section. Implemented in src/landlock.
//
// The ruleset is built in vigil before fork (paths opened O_PATH by vigil from its own
// configuration, never on the app's behalf); the child only calls landlock_restrict_self on
// it, after no_new_privs and before the seccomp filter (which therefore need not allow any
// Landlock syscall). The kernel then decides every open, exec, bind, connect and signal on the
// resolved object, with no time-of-check window and no help from vigil at run time.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil {

// The highest Landlock ABI vigil knows the rights of (Linux 6.15+: ABI 7).
inline constexpr int kLandlockKnownAbi = 7;

// The running kernel's Landlock ABI: >= 1, or 0 when Landlock is unavailable (not built in, not
// enabled at boot, or refused by a container's seccomp profile); REASON then says which.
int landlock_abi(std::string* reason = nullptr);

// One right in words, for messages: "fs.read_file", "net.connect_tcp", "scope.signal".
struct LandlockRight {
    const char* name;
    int abi;  // the first ABI that has it
};
// Every right vigil knows, in ABI order.
const std::vector<LandlockRight>& landlock_rights();

// An extra path rule computed outside [landlock] (see landlock_rules_for_allow_lists).
struct LandlockPathRule {
    std::string path;
    unsigned access = 0;  // LandlockSettings::Access bits
    std::string why;      // where it came from, for messages
};

class PreparedLandlock {
public:
    PreparedLandlock() = default;
    ~PreparedLandlock();
    PreparedLandlock(PreparedLandlock&& o) noexcept;
    PreparedLandlock& operator=(PreparedLandlock&& o) noexcept;
    PreparedLandlock(const PreparedLandlock&) = delete;
    PreparedLandlock& operator=(const PreparedLandlock&) = delete;

    // The ruleset fd (close-on-exec), -1 when nothing is to be enforced.
    int fd() const { return fd_; }
    int abi() const { return abi_; }
    // Rights the profile asked for that this kernel cannot enforce (empty: all enforced).
    const std::vector<std::string>& unenforced() const { return unenforced_; }
    // Paths of the profile that did not exist at start-up (skipped: the kernel refuses them).
    const std::vector<std::string>& skipped() const { return skipped_; }
    // One line for the log: ABI, what is confined, what could not be.
    std::string summary() const;
    // The same as key=value words for the audit trail:
    // "landlock abi=7 fs=13/16 ... unenforced=none".
    std::string audit_text() const;
    double build_ms() const { return build_ms_; }

private:
    friend PreparedLandlock prepare_landlock(const LandlockSettings&,
                                             const std::vector<LandlockPathRule>&);
    int fd_ = -1;
    int abi_ = 0;
    uint64_t handled_fs_ = 0, handled_net_ = 0, scoped_ = 0;
    size_t path_rules_ = 0, port_rules_ = 0;
    std::vector<std::string> unenforced_;
    std::vector<std::string> skipped_;
    double build_ms_ = 0;
};

// What a ruleset for kernel ABI handles of SETTINGS (and EXTRA rules), and the rights asked
// for that this ABI cannot enforce, by name. Pure: prepare_landlock's negotiation step.
struct LandlockCoverage {
    uint64_t fs = 0, net = 0, scope = 0;  // handled_access_fs, handled_access_net, scoped
    std::vector<std::string> unenforced;
    bool wanted = false;                   // something is asked to be confined at all
};
LandlockCoverage landlock_coverage(const LandlockSettings& settings,
                                   const std::vector<LandlockPathRule>& extra, int abi);

// Queries the ABI, refuses (vigil::Error, exit 125) below settings.require_abi, and builds the
// ruleset: every path opened O_PATH|O_CLOEXEC and added with the rights valid for what it is
// (a file gets only file rights), port rules from ABI 4, scopes from ABI 6. A path that does not
// exist is skipped with a warning (not granting it only refuses more). EXTRA rules (e.g. for
// path allow-lists) are added as if [landlock] named them. Returns an empty PreparedLandlock
// (fd -1) when the profile has no [landlock] and EXTRA is empty.
PreparedLandlock prepare_landlock(const LandlockSettings& settings,
                                  const std::vector<LandlockPathRule>& extra = {});

// The start-up report: one log line (a warning when some right cannot be enforced) and one
// notice event with audit_text() in the audit trail at SINK in FORMAT.
void report_landlock(const PreparedLandlock& prepared, const std::string& sink,
                     const std::string& format);

// In the child, after no_new_privs: async-signal-safe. Returns 0 or an errno value.
int landlock_restrict(int ruleset_fd);

// The program the kernel also executes to run PATH: an ELF file's PT_INTERP (the dynamic
// loader) or a script's "#!" interpreter, resolved to the file itself (symlinks followed, as
// Landlock sees it). Landlock's execute right is checked on it too. nullopt: none or unreadable.
std::optional<std::string> exec_interpreter(const std::string& path);

// ---- path allow-lists (notify.execve/execveat/open/openat/openat2 `.allow`) ---------------
//
// A match in such an allow-list is decided on path text read from the app's memory, which the
// app can change after the check; only the kernel can decide the file itself. So a match may
// be answered "continue" only when Landlock enforces the same paths: every existing file the
// globs match at start-up gets a Landlock rule (execute for exec*, read and write for open*),
// and the family is confined, so a swapped path reaches nothing Landlock does not grant.
struct AllowListCoverage {
    std::vector<LandlockPathRule> rules;   // to pass to prepare_landlock as EXTRA
    bool covered = false;                  // safe to set NotifyPolicy::kernel_enforced
    std::vector<std::string> problems;     // why not covered, one line each
    std::vector<std::string> notes;        // globs matching nothing or directories (refused)
    std::vector<std::string> broader;      // [landlock] grants beyond the lists (racing app's reach)
};

// Expands the globs of the path allow-lists of PROFILE with glob(3) (vigil's own configuration,
// before the app runs). SYSCALLS limits it to those policies (empty: every path allow-list).
// ABI is the kernel's (landlock_abi()); coverage needs ABI >= 1.
AllowListCoverage landlock_rules_for_allow_lists(const Profile& profile, int abi,
                                                 const std::vector<std::string>& syscalls = {});

}  // namespace vigil
