// The resolved, immutable sandbox profile: what every other module reads.
// Parsing (TOML, includes, groups, validation) lives in src/profile; the schema is
// documented in profiles/README.md.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
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
// Whether A wins over B where one call matches rules with both: the kernel's order for stacked
// filters, kill-process, kill-thread, trap, errno (smaller number first), notify, log, allow.
// Deny wins; the profile loader, the compiled filter and evaluate() all decide so.
bool is_stricter(const Action& a, const Action& b);

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

// One parsed entry of a notify allow-list, with where it was written. The profile loader is the
// only place that reads the text (profiles/REFERENCE.md, "Allow-lists"); the notify engine only
// compares these values.
struct AllowEntry {
    enum class Kind {
        Inet,          // "CIDR:PORT", "[V6CIDR]:PORT": family, addr/prefix, port range
        UnixPath,      // "unix:/GLOB": name is an fnmatch glob on absolute, normalised paths
        UnixAbstract,  // "unix:@NAME": name is the exact abstract name (compared on its full length)
        PathGlob,      // exec/open allow-lists: name is an fnmatch glob on absolute, normalised paths
    };
    Kind kind = Kind::Inet;
    int family = 0;  // Inet: AF_INET or AF_INET6
    uint8_t addr[16] = {};
    int prefix = 0;
    int port_lo = 0, port_hi = 65535;
    std::string name;
    std::string text;  // as written, for the audit trail
    SourcePos where;
};

// Which grammar an allow-list of a syscall uses, from the syscall's argument roles.
enum class AllowListKind { None, Address, Path };
AllowListKind allow_list_kind(const std::string& syscall);
// Parses one allow-list entry (the one grammar). On error returns nothing and sets PROBLEM.
std::optional<AllowEntry> parse_allow_entry(AllowListKind kind, const std::string& text,
                                            std::string& problem);

// Run-time decision settings for one syscall marked `notify` (see src/notify).
struct NotifyPolicy {
    std::string syscall;
    std::map<std::string, Action> by_phase;  // phase name ("startup", "ready") -> action
    std::vector<AllowEntry> allow;            // parsed destinations or path globs
    Action otherwise{ActionKind::Errno, 1};   // when an allow-list exists and nothing matches
    // A path allow-list may only deny on its own (the path vigil reads is a racy snapshot and
    // vigil never opens or execs for the app). A matching path is let through only when the
    // kernel enforces the same paths itself (a [landlock] ruleset covering them is in force);
    // the launch sets this, the loader never does.
    bool kernel_enforced = false;
    // "notify.connect" when the loader derived this policy so that every way of naming a peer
    // is decided by the same allow-list (sendto, sendmsg, sendmmsg); "" when written.
    std::string derived_from;
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
    // Supplementary groups: also every group of ROOT/etc/group that lists the user (as login
    // and `docker run --user` do). Set by -u/--user; profiles name their groups.
    bool groups_of_user = false;
};

// When vigil starts the app again after it ended (--restart, [supervise] restart). Plain data
// here because the profile holds it; the decision (back-off, counting) is decide_restart in
// include/vigil/supervise.hpp.
enum class RestartMode { No, OnFailure, Always };
// "no", "on-failure", "always"; nullopt for anything else.
std::optional<RestartMode> parse_restart_mode(std::string_view text);
const char* restart_mode_name(RestartMode mode);

struct RestartPolicy {
    RestartMode mode = RestartMode::No;
    int max = 5;            // restarts in a row (without 60 s of healthy running); then vigil
                            // exits with the app's last status. 0: never restart
    int delay_ms = 1000;    // first back-off; doubled per restart in a row, capped at 30 s
    bool operator==(const RestartPolicy&) const = default;
};

// [supervise.health]: a liveness probe on loopback, run on the event loop once the app is
// ready (or from the start without a readiness condition).
struct HealthCheck {
    std::optional<std::string> http_get;  // http:// URL on loopback answering 2xx
    std::optional<int> tcp;               // a loopback TCP port accepting a connection
    int interval_ms = 10000;              // between probes
    int timeout_ms = 2000;                // one probe
    int failures = 3;                     // failed probes in a row that make the app unhealthy
    SourcePos where;
};

struct SuperviseSettings {
    int stop_timeout_ms = 10000;
    std::vector<int> remap_exit;  // exit codes reported as 0
    bool signal_group = false;    // forward signals to the app's process group
    RestartPolicy restart;
    std::optional<HealthCheck> health;
    // Signals vigil receives and forwards as another one (-r FROM:TO); TO 0 drops FROM.
    std::map<int, int> rewrite_signals;
    int pdeath_signal = 0;  // vigil asks for this signal when its parent dies (0: none)
    std::string ready_file;  // created while the app is ready ("": none)
};

struct AuditSettings {
    std::string sink = "stderr";  // "stderr" or a file path
    std::string format = "json";  // "json" or "fhir"
};

// [landlock]: objects the kernel confines the app to (Landlock). Plain data read by the profile
// loader; src/landlock turns it into a ruleset. A family (filesystem, TCP bind, TCP connect)
// is confined only when the profile names it; within the filesystem every right the running
// kernel knows is handled, so anything not granted below is refused by the kernel.
struct LandlockSettings {
    enum Access : unsigned { Read = 1, Write = 2, Execute = 4 };  // Write and Execute imply Read
    struct PathGrant {
        std::string path;     // absolute (relative ones are resolved against their profile's dir)
        unsigned access = 0;  // Access bits
        SourcePos where;
    };
    struct PortGrant {
        bool bind = false, connect = false;
        SourcePos where;
    };
    bool present = false;                        // some layer has a [landlock] table
    bool filesystem = false;                     // read/write/execute named: fs confined
    bool bind_tcp = false, connect_tcp = false;  // the key was named: that TCP right confined
    std::map<std::string, PathGrant> paths;      // by path; a later layer naming one replaces it
    std::map<int, PortGrant> ports;              // by port
    bool scope_signal = false, scope_abstract_unix = false;
    SourcePos scope_at;
    int require_abi = 0;  // below this ABI vigil refuses to start (0: no minimum)
    SourcePos require_at;
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
    LandlockSettings landlock;
    bool complain = false;
    // Set by the launch, never by the loader: vigil cannot copy the app's sockets (no
    // CAP_SYS_PTRACE), so it makes the app's IP sockets itself and keeps them for the
    // decisions of the address allow-lists (src/notify/custody.hpp). The filter then notifies
    // socket() for AF_INET and AF_INET6 beyond what these rules say; the rules stay the
    // profile's, so evaluate() still answers what the profile itself decides.
    bool socket_custody = false;
};

// Reads PATH, resolves includes and @groups, validates. Throws vigil::Error (exit 125) whose
// message holds every problem found, one "FILE:LINE:COL: message" line each.
Profile load_profile(const std::string& path);

}  // namespace vigil
