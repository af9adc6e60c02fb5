// Audit events as JSON lines or FHIR R4 AuditEvent resources, and the sink they go to.
#include "vigil/audit.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <ctime>

#include <fmt/format.h>

#include "vigil/error.hpp"

namespace vigil {

namespace {

const char* kind_name(AuditKind k) {
    switch (k) {
        case AuditKind::Decision: return "decision";
        case AuditKind::Phase: return "phase";
        case AuditKind::Notice: return "notice";
        case AuditKind::Summary: return "summary";
    }
    return "?";
}

const char* outcome_name(AuditOutcome o) {
    switch (o) {
        case AuditOutcome::Allowed: return "allowed";
        case AuditOutcome::Denied: return "denied";
        case AuditOutcome::Killed: return "killed";
        case AuditOutcome::Info: return "info";
    }
    return "?";
}

std::string hex(uint64_t v) { return fmt::format("{:#x}", v); }

std::string host_name() {
    char buf[256] = {};
    if (gethostname(buf, sizeof buf - 1) != 0) return "unknown";
    return buf;
}

nlohmann::json coding(const char* system, const std::string& code, const std::string& display) {
    return {{"system", system}, {"code", code}, {"display", display}};
}

// FHIR R4 AuditEvent.outcome: 0 success, 4 minor failure, 8 serious failure.
const char* fhir_outcome(const AuditEvent& e) {
    if (e.complain) return "0";  // the call went ahead
    switch (e.outcome) {
        case AuditOutcome::Denied: return "4";
        case AuditOutcome::Killed: return "8";
        default: return "0";
    }
}

std::string describe(const AuditEvent& e) {
    std::string s;
    switch (e.kind) {
        case AuditKind::Decision:
            s = (e.complain ? "would be " : "") + e.decision + " for " + e.syscall;
            break;
        case AuditKind::Phase: s = "phase " + e.phase; break;
        default: s = kind_name(e.kind); break;
    }
    if (!e.rule.empty()) s += " by " + e.rule;
    if (!e.reason.empty()) s += ": " + e.reason;
    return s;
}

nlohmann::json fhir_entity(const AuditEvent& e) {
    std::string subject = e.decoded.empty() ? e.syscall : e.decoded.front().second;
    if (subject.empty()) subject = kind_name(e.kind);
    nlohmann::json detail = nlohmann::json::array();
    auto add = [&](const std::string& type, const std::string& value) {
        if (!value.empty()) detail.push_back({{"type", type}, {"valueString", value}});
    };
    for (auto& [k, v] : e.decoded) add(k, v);
    add("syscall", e.syscall);
    add("phase", e.phase);
    add("rule", e.rule);
    add("decision", e.decision);
    add("mode", e.kind == AuditKind::Decision ? (e.complain ? "complain" : "enforce") : "");
    if (e.args) {
        std::string raw;
        for (uint64_t a : *e.args) raw += (raw.empty() ? "" : ",") + hex(a);
        add("args", raw);
    }
    nlohmann::json ent = {
        {"what", {{"display", subject}}},
        {"type", coding("http://terminology.hl7.org/CodeSystem/audit-entity-type", "2",
                        "System Object")},
        {"name", subject},
        {"description", describe(e)},
    };
    if (!detail.empty()) ent["detail"] = detail;
    return ent;
}

nlohmann::json fhir_agent(const AuditEvent& e) {
    nlohmann::json agent = {
        {"type", {{"coding", {coding("http://terminology.hl7.org/CodeSystem/v3-ParticipationType",
                                     e.kind == AuditKind::Decision ? "AUT" : "CST",
                                     e.kind == AuditKind::Decision ? "author (originator)"
                                                                   : "custodian")}}}},
        {"requestor", e.kind == AuditKind::Decision},
    };
    if (e.pid > 0) {
        agent["who"] = {{"identifier", {{"system", "urn:vigil:pid"}, {"value", std::to_string(e.pid)}}},
                        {"display", e.exe.empty() ? "pid " + std::to_string(e.pid) : e.exe}};
        agent["altId"] = std::to_string(e.tid);
        if (!e.thread.empty()) agent["name"] = e.thread;
    } else {
        agent["who"] = {{"display", "vigil"}};
        agent["name"] = "vigil";
    }
    return agent;
}

}  // namespace

std::string rfc3339(std::chrono::system_clock::time_point t) {
    using namespace std::chrono;
    auto us = duration_cast<microseconds>(t.time_since_epoch()).count();
    time_t secs = static_cast<time_t>(us / 1000000);
    tm utc{};
    gmtime_r(&secs, &utc);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &utc);
    return fmt::format("{}.{:06d}Z", buf, static_cast<int>(us % 1000000));
}

nlohmann::json audit_json(const AuditEvent& e) {
    nlohmann::json j = {{"time", rfc3339(e.time)}, {"event", kind_name(e.kind)}};
    if (e.pid > 0) {
        j["pid"] = e.pid;
        j["tid"] = e.tid;
        j["thread"] = e.thread;
        j["exe"] = e.exe;
    }
    if (!e.syscall.empty()) {
        j["syscall"] = e.syscall;
        j["nr"] = e.nr;
    }
    if (e.args) {
        nlohmann::json raw = nlohmann::json::array();
        for (uint64_t a : *e.args) raw.push_back(hex(a));
        j["args"] = raw;
    }
    if (!e.decoded.empty()) {
        nlohmann::json d = nlohmann::json::object();
        for (auto& [k, v] : e.decoded) d[k] = v;
        j["decoded"] = d;
    }
    if (!e.phase.empty()) j["phase"] = e.phase;
    if (!e.rule.empty()) j["rule"] = e.rule;
    if (!e.decision.empty()) j["decision"] = e.decision;
    j["outcome"] = e.complain ? "allowed" : outcome_name(e.outcome);
    if (e.kind == AuditKind::Decision) j["mode"] = e.complain ? "complain" : "enforce";
    if (!e.reason.empty()) j["reason"] = e.reason;
    return j;
}

nlohmann::json audit_fhir(const AuditEvent& e) {
    bool decision = e.kind == AuditKind::Decision;
    nlohmann::json j = {
        {"resourceType", "AuditEvent"},
        {"type", decision ? coding("http://dicom.nema.org/resources/ontology/DCM", "110113",
                                   "Security Alert")
                          : coding("http://dicom.nema.org/resources/ontology/DCM", "110100",
                                   "Application Activity")},
        {"subtype", {decision ? coding("urn:vigil:syscall", e.syscall, e.syscall)
                              : coding("urn:vigil:event", kind_name(e.kind), kind_name(e.kind))}},
        {"action", "E"},
        {"recorded", rfc3339(e.time)},
        {"outcome", fhir_outcome(e)},
        {"outcomeDesc", describe(e)},
        {"agent", {fhir_agent(e)}},
        {"source",
         {{"site", host_name()},
          {"observer", {{"display", "vigil"}}},
          {"type", {coding("http://terminology.hl7.org/CodeSystem/security-source-type", "4",
                           "Application Server")}}}},
        {"entity", {fhir_entity(e)}},
    };
    return j;
}

AuditSink::AuditSink(const std::string& sink, const std::string& format) {
    if (format == "fhir") fhir_ = true;
    else if (format != "json")
        throw Error("audit format \"" + format + "\" is not one of: json, fhir");
    if (sink.empty() || sink == "stderr") {
        fd_ = STDERR_FILENO;
        return;
    }
    // Opened before the app starts, and never through a symlink: a sink in a directory the
    // app can write to must not let it point vigil's appends at another file.
    fd_ = open(sink.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_CLOEXEC, 0640);
    if (fd_ < 0 && errno == ELOOP)
        throw Error("cannot open the audit sink " + sink + ": it is a symlink (give the file's real path)");
    if (fd_ < 0) throw_errno("cannot open the audit sink " + sink);
    own_fd_ = true;
}

AuditSink::~AuditSink() {
    if (own_fd_) close(fd_);
}

void AuditSink::emit(const nlohmann::json& j) {
    std::string line = j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(fd_, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // the audit trail must not take the supervisor down
        p += n;
        left -= static_cast<size_t>(n);
    }
}

void AuditSink::write(const AuditEvent& e) {
    std::lock_guard lock(mu_);
    if (e.kind == AuditKind::Decision) {
        Counts& c = counts_[e.syscall];
        if (e.complain && e.outcome != AuditOutcome::Allowed) ++c.would_deny;
        else if (e.outcome == AuditOutcome::Allowed) ++c.allowed;
        else if (e.outcome == AuditOutcome::Killed) ++c.killed;
        else ++c.denied;
    }
    if (e.kind == AuditKind::Phase) phases_.push_back(e.phase);
    emit(fhir_ ? audit_fhir(e) : audit_json(e));
}

std::map<std::string, AuditSink::Counts> AuditSink::counts() const {
    std::lock_guard lock(mu_);
    return counts_;
}

void AuditSink::write_summary() {
    std::lock_guard lock(mu_);
    AuditEvent e;
    e.kind = AuditKind::Summary;
    Counts total;
    nlohmann::json per = nlohmann::json::object();
    for (auto& [name, c] : counts_) {
        per[name] = {{"allowed", c.allowed}, {"denied", c.denied}, {"killed", c.killed},
                     {"would_deny", c.would_deny}};
        e.decoded.emplace_back(name, fmt::format("allowed={} denied={} killed={} would_deny={}",
                                                 c.allowed, c.denied, c.killed, c.would_deny));
        total.allowed += c.allowed;
        total.denied += c.denied;
        total.killed += c.killed;
        total.would_deny += c.would_deny;
    }
    e.reason = fmt::format("{} decisions: {} allowed, {} denied, {} killed, {} would be denied",
                           total.allowed + total.denied + total.killed + total.would_deny,
                           total.allowed, total.denied, total.killed, total.would_deny);
    if (!phases_.empty()) e.phase = phases_.back();
    if (fhir_) {
        emit(audit_fhir(e));
        return;
    }
    nlohmann::json j = audit_json(e);
    j.erase("outcome");
    j.erase("decoded");  // the same counts, structured below
    j["decisions"] = per;
    j["totals"] = {{"allowed", total.allowed}, {"denied", total.denied}, {"killed", total.killed},
                   {"would_deny", total.would_deny}};
    j["phases"] = phases_;
    emit(j);
}

}  // namespace vigil
