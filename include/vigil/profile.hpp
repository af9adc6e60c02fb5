// The resolved, immutable sandbox profile: what every other module reads.
// Parsing (TOML, includes, groups, validation) lives in src/profile; the schema is
// documented in profiles/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace vigil {

// Where a value came from, so errors and `explain` can point at it.
struct SourcePos {
    std::string file;
    int line = 0;
    int column = 0;
    std::string str() const;  // "FILE:LINE:COL" (or just FILE when line is 0)
};

enum class ActionKind { Allow, Errno, KillProcess, KillThread, Trap, Log, Notify };

struct Action {
    ActionKind kind = ActionKind::Allow;
    int errno_value = 0;  // only for ActionKind::Errno
    std::string str() const;  // "allow", "errno:EPERM", "kill-process", ...
    bool operator==(const Action&) const = default;
};

enum class CmpOp { Eq, Ne, Lt, Le, Gt, Ge, MaskedEq };

// argN OP value; for MaskedEq: (argN & mask) == value.
struct ArgCondition {
    unsigned index = 0;  // 0..5
    CmpOp op = CmpOp::Eq;
    uint64_t value = 0;
    uint64_t mask = 0;
    std::string text;  // as written, for messages
    bool operator==(const ArgCondition& o) const {
        return index == o.index && op == o.op && value == o.value && mask == o.mask;
    }
};

// One seccomp rule: syscall + optional conditions (ANDed) -> action.
// Several rules for one syscall are alternatives (ORed); a call matching none of
// them gets the profile's default action.
struct SyscallRule {
    std::string syscall;
    Action action;
    std::vector<ArgCondition> conditions;
    SourcePos where;
};

// Run-time decision settings for one syscall marked `notify` (see src/notify).
struct NotifyPolicy {
    std::string syscall;
    std::map<std::string, Action> by_phase;  // phase name ("startup", "ready") -> action
    std::vector<std::string> allow;           // egress "CIDR:port" / "unix:PATH", or exec path globs
    Action otherwise{ActionKind::Errno, 1};   // when an allow-list exists and nothing matches
    // When an allow decision would depend on racy caller memory and vigil cannot emulate
    // the call: false = deny (safe), true = documented racy allow.
    bool racy_allow = false;
    // Used if the kernel refuses a listener (EBUSY): the static action that replaces notify.
    Action fallback{ActionKind::Errno, 1};
    SourcePos where;
};

struct ReadyCondition {
    std::optional<int> tcp_listen;          // a TCP port in LISTEN state (any address)
    std::optional<std::string> http_get;    // URL on loopback answering 2xx
    std::optional<std::string> output_match;  // RE2 regex searched in a line of the app's stdout/stderr
    std::optional<int> after_ms;            // a fixed delay
    int timeout_ms = 0;                     // 0: wait forever; else give up (stay in startup, log)
};

struct ProcessSettings {
    std::optional<std::string> user;   // name or number, resolved from ROOT/etc/passwd
    std::optional<std::string> group;  // name or number
    std::vector<std::string> groups;   // supplementary
    std::vector<std::string> capabilities;  // kept; "NET_BIND_SERVICE" form, default none
    bool no_new_privs = true;
};

struct SuperviseSettings {
    int stop_timeout_ms = 10000;
    std::vector<int> remap_exit;  // exit codes reported as 0
    bool signal_group = false;    // forward signals to the app's process group
};

struct AuditSettings {
    std::string sink = "stderr";  // "stderr" or a file path
    std::string format = "json";  // "json" or "fhir"
};

struct Profile {
    std::vector<std::string> files;  // the include chain, outermost last
    bool has_seccomp = false;        // false: no filter at all (init + privileges only)
    Action default_action{ActionKind::Errno, 1};
    std::vector<SyscallRule> rules;  // resolved; later layers replaced earlier ones per syscall
    std::map<std::string, NotifyPolicy> notify;  // syscall -> policy (their rules have Notify)
    std::optional<ReadyCondition> ready;
    ProcessSettings process;
    SuperviseSettings supervise;
    AuditSettings audit;
    bool complain = false;
};

// Reads PATH, resolves includes and @groups, validates. Throws vigil::Error (exit 125) whose
// message holds every problem found, one "FILE:LINE:COL: message" line each.
Profile load_profile(const std::string& path);

}  // namespace vigil
