// The audit trail: one structured event per run-time decision, phase change and notable
// condition, as a JSON line or as a FHIR R4 AuditEvent resource per line, plus a summary of
// all decisions when vigil exits. The app decides how many events there are, so the trail is
// bounded without losing count: identical decisions are aggregated ("repeated N times in T s"),
// decisions past a rate are counted and reported, and a writer thread takes the lines to the
// sink so that a slow sink never blocks vigil (what it cannot take is counted and reported).
// Implemented in src/audit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil {

// The version of the JSON audit line layout (audit_json): every line carries it as
// "schema":N. Raised only when a field changes meaning or goes away (adding one does not);
// profiles/REFERENCE.md "Log and audit lines" documents each field. FHIR lines follow FHIR R4.
inline constexpr int kAuditSchemaVersion = 1;

// Repeated: identical decisions (same syscall, decision, rule, reason, pid) that followed a
// Decision event, as one line with their count.
enum class AuditKind { Decision, Phase, Notice, Summary, Repeated };
enum class AuditOutcome { Allowed, Denied, Killed, Info };

struct AuditEvent {
    AuditKind kind = AuditKind::Decision;
    std::chrono::system_clock::time_point time = std::chrono::system_clock::now();
    pid_t pid = 0;           // process (thread group)
    pid_t tid = 0;           // calling thread
    std::string thread;      // /proc/PID/task/TID/comm
    std::string exe;         // /proc/PID/exe
    std::string syscall;     // name
    int nr = -1;
    std::optional<std::vector<uint64_t>> args;               // raw registers
    std::vector<std::pair<std::string, std::string>> decoded;  // ("path", "/bin/sh"), ("address", ...)
    std::string phase;
    std::string rule;        // "FILE:LINE" of the deciding rule, or a description
    std::string decision;    // "allow", "errno:EPERM", "kill-process", ...
    AuditOutcome outcome = AuditOutcome::Info;
    bool complain = false;   // complain mode: `decision` is what enforcement would have done
    std::string reason;      // why, in words
    // Repeated events: how many, and the time of the last one (`time` is the first's).
    uint64_t repeated = 0;
    std::chrono::system_clock::time_point until{};
};

// RFC 3339 UTC with microseconds, e.g. "2026-11-22T08:40:00.123456Z" (a FHIR instant).
std::string rfc3339(std::chrono::system_clock::time_point t);

nlohmann::json audit_json(const AuditEvent& e);
// FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html).
nlohmann::json audit_fhir(const AuditEvent& e);

// Bounds of the trail; the defaults suit production, tests make them small.
struct AuditLimits {
    // Identical decisions after the first are counted for this long, then one Repeated line
    // says how many; while they go on, each next window is twice as long, up to max_window.
    std::chrono::milliseconds repeat_window{1000};
    std::chrono::milliseconds max_window{60000};
    size_t max_repeat_keys = 4096;  // distinct decisions aggregated at once; more are rate-limited
    // Decision lines (first occurrences) per second, and the burst allowed above that rate.
    double rate_per_second = 200;
    double burst = 1000;
    // Lines waiting for a slow sink; past this they are dropped and counted.
    size_t max_queued_bytes = 256 * 1024;
    // At exit, how long vigil waits for a stuck sink to take the last lines.
    std::chrono::milliseconds close_wait{1000};
};

class AuditSink {
public:
    // sink: "stderr" or a file path (created 0640, appended, close-on-exec);
    // format: "json" or "fhir". Throws vigil::Error on a bad format or an unopenable file.
    AuditSink(const std::string& sink, const std::string& format, const AuditLimits& limits = {});
    // Writes what is pending and waits up to limits.close_wait for the sink to take it.
    ~AuditSink();
    AuditSink(const AuditSink&) = delete;
    AuditSink& operator=(const AuditSink&) = delete;

    // Thread-safe and never blocks on the sink; each line goes out in one write(2) unless it is
    // longer than a pipe's atomic size, and lines never interleave.
    void write(const AuditEvent& e);
    // The same, where FILL completes the event with what is costly to read (the thread name
    // and executable from /proc): it runs, before formatting, only for an event that is going
    // to be written in full, never for one that is aggregated into a Repeated line or
    // rate-limited (those only count). The written lines are the same as with write(E).
    void write(const AuditEvent& e, const std::function<void(AuditEvent&)>& fill);
    // Closes pending aggregations, reports what was rate-limited or dropped, then one Summary
    // event: decisions per syscall and outcome (every decision, written or not), phases seen.
    void write_summary();
    // `vigil up`: every line from now on names the service ("service" in JSON, the observer in
    // FHIR), so that services sharing a sink can be told apart.
    void set_service(const std::string& name);
        // Waits until every queued line reached the sink; false when max_wait passed first.
    bool flush(std::chrono::milliseconds max_wait);

    struct Counts {
        uint64_t allowed = 0, denied = 0, killed = 0, would_deny = 0;
    };
    std::map<std::string, Counts> counts() const;

    struct State;  // shared with the writer thread, which may outlive a sink stuck at exit

private:
    std::shared_ptr<State> st_;
};

}  // namespace vigil
