// The audit trail: one structured event per run-time decision, phase change and notable
// condition, as a JSON line or as a FHIR R4 AuditEvent resource per line, plus a summary of
// all decisions when vigil exits. Implemented in src/audit.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

namespace vigil {

enum class AuditKind { Decision, Phase, Notice, Summary };
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
};

// RFC 3339 UTC with microseconds, e.g. "2026-11-22T08:40:00.123456Z" (a FHIR instant).
std::string rfc3339(std::chrono::system_clock::time_point t);

nlohmann::json audit_json(const AuditEvent& e);
// FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html).
nlohmann::json audit_fhir(const AuditEvent& e);

class AuditSink {
public:
    // sink: "stderr" or a file path (created 0640, appended, close-on-exec);
    // format: "json" or "fhir". Throws vigil::Error on a bad format or an unopenable file.
    AuditSink(const std::string& sink, const std::string& format);
    ~AuditSink();
    AuditSink(const AuditSink&) = delete;
    AuditSink& operator=(const AuditSink&) = delete;

    // Thread-safe; one write(2) per line so lines from several writers never interleave.
    void write(const AuditEvent& e);
    // One Summary event: decisions per syscall and outcome, phases seen.
    void write_summary();

    struct Counts {
        uint64_t allowed = 0, denied = 0, killed = 0, would_deny = 0;
    };
    std::map<std::string, Counts> counts() const;

private:
    void emit(const nlohmann::json& j);
    int fd_ = -1;
    bool own_fd_ = false;
    bool fhir_ = false;
    mutable std::mutex mu_;
    std::map<std::string, Counts> counts_;
    std::vector<std::string> phases_;
};

}  // namespace vigil
