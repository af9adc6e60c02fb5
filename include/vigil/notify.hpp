// Run-time decisions for the syscalls a profile marks `notify` (DESIGN.md §4): per-phase
// actions, egress allow-lists for connect/sendto/sendmsg, exec path globs, complain mode, and
// the audit trail. Implemented in src/notify. The run command builds a NotifySession and hands
// it to supervise() as its SessionHooks.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/audit.hpp"
#include "vigil/filter.hpp"
#include "vigil/phases.hpp"
#include "vigil/profile.hpp"
#include "vigil/seccomp_notify.hpp"
#include "vigil/supervise.hpp"

namespace vigil {

// One entry of an egress allow-list: "CIDR:PORT" (IPv4 "10.0.0.0/8:443", IPv6
// "[fd00::/8]:*"; PORT is a number, a range "8000-8099" or "*"), or "unix:PATH" (PATH may
// be a glob; "unix:@NAME" is an abstract socket).
struct EgressRule {
    int family = AF_UNSPEC;  // AF_INET, AF_INET6 or AF_UNIX
    uint8_t addr[16] = {};
    int prefix = 0;
    int port_lo = 0, port_hi = 65535;
    std::string unix_path;
    std::string text;  // as written
};
// Throws vigil::Error("WHERE: notify.SYSCALL.allow: bad entry ...") on a malformed entry.
std::vector<EgressRule> parse_egress(const NotifyPolicy& policy);
// The first rule that admits this destination, or nullptr.
const EgressRule* match_egress(const std::vector<EgressRule>& rules, const sockaddr* addr,
                               socklen_t len);
// "127.0.0.1:8080", "[::1]:5432", "unix:/run/x.sock", "unix:@abstract", "family 17".
std::string format_sockaddr(const sockaddr* addr, socklen_t len);
// Exec allow-list: fnmatch(FNM_PATHNAME|FNM_PERIOD) on absolute, normalised paths only
// (no "//", "/./", "/../"): anything else matches nothing, so it fails closed.
bool exec_path_allowed(const std::vector<std::string>& globs, const std::string& path,
                       std::string* matched);

// The profile's static decision for a call (the filter module's evaluate()); used in complain
// mode to say which rule would have denied a call.
using EvaluateFn = std::function<Verdict(int nr, const uint64_t args[6])>;

struct NotifyConfig {
    bool complain = false;
    std::string audit_sink = "stderr";  // profile [audit] or --audit
    std::string audit_format = "json";
    EvaluateFn evaluate;                // required when complain is set
};

class NotifySession : public SessionHooks {
public:
    // Parses the allow-lists and opens the audit sink (before vigil gives up root).
    // Throws vigil::Error on a bad allow-list entry or an unusable sink.
    NotifySession(const Profile& profile, NotifyConfig config);
    ~NotifySession() override;

    void started(EventLoop& loop, const SpawnResult& spawned) override;
    void output_line(int stream, std::string_view line) override;
    void app_exited(int wait_status) override;
    void finished() override;

    Phase phase() const;
    AuditSink& audit() { return *audit_; }

    struct Impl;  // the decision engine (src/notify/notify_session.cpp)

private:
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<AuditSink> audit_;
};

}  // namespace vigil
