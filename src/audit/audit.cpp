// Audit events as JSON lines or FHIR R4 AuditEvent resources, and the sink they go to.
#include "vigil/audit.hpp"

#include <fcntl.h>
#include <limits.h>
#include <unistd.h>

#include <cerrno>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <deque>
#include <thread>

#include <fmt/format.h>
#include "vigil/log.hpp"

#include "vigil/error.hpp"
#include "vigil/text.hpp"

namespace vigil {

namespace {

const char* kind_name(AuditKind k) {
    switch (k) {
        case AuditKind::Decision: return "decision";
        case AuditKind::Phase: return "phase";
        case AuditKind::Notice: return "notice";
        case AuditKind::Summary: return "summary";
        case AuditKind::Repeated: return "repeated";
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

using text::hex;

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

bool is_decision(const AuditEvent& e) {
    return e.kind == AuditKind::Decision || e.kind == AuditKind::Repeated;
}

std::string seconds_between(std::chrono::system_clock::time_point a,
                            std::chrono::system_clock::time_point b) {
    double s = std::chrono::duration<double>(b - a).count();
    return fmt::format("{:.1f}", s < 0 ? 0.0 : s);
}

std::string describe(const AuditEvent& e) {
    std::string s;
    switch (e.kind) {
        case AuditKind::Decision:
        case AuditKind::Repeated:
            s = (e.complain ? "would be " : "") + e.decision + " for " + e.syscall;
            break;
        case AuditKind::Phase: s = "phase " + e.phase; break;
        default: s = kind_name(e.kind); break;
    }
    if (!e.rule.empty()) s += " by " + e.rule;
    if (!e.reason.empty()) s += ": " + e.reason;
    if (e.kind == AuditKind::Repeated)
        s += fmt::format(" (repeated {} times in {} s)", e.repeated, seconds_between(e.time, e.until));
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
    add("mode", is_decision(e) ? (e.complain ? "complain" : "enforce") : "");
    if (e.kind == AuditKind::Repeated) add("repeated", std::to_string(e.repeated));
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
                                     is_decision(e) ? "AUT" : "CST",
                                     is_decision(e) ? "author (originator)" : "custodian")}}}},
        {"requestor", is_decision(e)},
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
    nlohmann::json j = {{"schema", kAuditSchemaVersion}, {"time", rfc3339(e.time)}, {"event", kind_name(e.kind)}};
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
    if (is_decision(e)) j["mode"] = e.complain ? "complain" : "enforce";
    if (!e.reason.empty()) j["reason"] = e.reason;
    if (e.kind == AuditKind::Repeated) {
        j["count"] = e.repeated;
        j["until"] = rfc3339(e.until);
        j["message"] = fmt::format("repeated {} times in {} s", e.repeated,
                                   seconds_between(e.time, e.until));
    }
    return j;
}

nlohmann::json audit_fhir(const AuditEvent& e) {
    bool decision = is_decision(e);
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
    if (e.kind == AuditKind::Repeated) j["period"] = {{"start", rfc3339(e.time)}, {"end", rfc3339(e.until)}};
    return j;
}

// Everything the writer thread touches lives here, owned jointly by the sink and the thread:
// when the sink is stuck at exit the thread is let go with its own reference, never with
// pointers into a destroyed sink.
struct AuditSink::State {
    using Clock = std::chrono::steady_clock;

    AuditLimits limits;
    int fd = -1;
    bool own_fd = false;
    bool fhir = false;
    std::string service;  // set_service

    std::mutex mu;
    std::condition_variable wake;     // the writer: lines queued, or stop
    std::condition_variable written;  // flush() and close: the queue went out
    std::deque<std::string> queue;
    size_t queued_bytes = 0;
    bool writing = false;  // a batch is in write(2), outside the lock
    bool stopping = false;
    bool stopped = false;

    // What the trail counts.
    std::map<std::string, Counts> counts;
    std::vector<std::string> phases;

    // Aggregation of identical decisions.
    struct Repeat {
        AuditEvent first;                 // the event written in full (or the window's first)
        uint64_t count = 0;               // identical events since, not written
        std::chrono::system_clock::time_point last{};
        Clock::time_point window_end;
        std::chrono::milliseconds window;
    };
    std::map<std::string, Repeat> repeats;
    Clock::time_point next_close = Clock::time_point::max();  // the earliest window_end

    // Token bucket for decision lines.
    double tokens = 0;
    Clock::time_point refilled = Clock::now();
    uint64_t rate_limited = 0;
    std::map<std::string, uint64_t> rate_limited_by_syscall;
    std::chrono::system_clock::time_point rate_limited_since{};

    // Lines the sink did not take in time, and the decisions they stood for.
    uint64_t dropped = 0;
    uint64_t dropped_decisions = 0;
    std::chrono::system_clock::time_point dropped_since{};

    static std::string key(const AuditEvent& e) {
        return fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}\x1f{}", e.syscall, e.decision, e.rule,
                           e.reason, e.pid, e.complain, static_cast<int>(e.outcome));
    }

    std::string format(nlohmann::json j) const {
        // `vigil up`: which service's trail this is, on every line (services may share a sink).
        if (!service.empty()) {
            if (fhir) j["source"]["observer"]["display"] = "vigil service " + service;
            else j["service"] = service;
        }
        // Invalid UTF-8 from the app (thread names, paths) becomes U+FFFD: the line stays JSON.
        return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
    }
    std::string format(const AuditEvent& e) const { return format(fhir ? audit_fhir(e) : audit_json(e)); }

    // Under mu. `always`: notices about the trail itself and the summary, which must get in
    // (they are few and small); every other line is dropped and counted when the queue is full.
    // `decisions`: how many decisions the line stands for (a Repeated line: its count).
    void enqueue(std::string line, bool always = false, uint64_t decisions = 0) {
        if (!always && queued_bytes + line.size() > limits.max_queued_bytes) {
            if (dropped++ == 0) dropped_since = std::chrono::system_clock::now();
            dropped_decisions += decisions;
            return;
        }
        queued_bytes += line.size();
        queue.push_back(std::move(line));
        wake.notify_one();
    }

    void notice(const std::string& reason, std::vector<std::pair<std::string, std::string>> decoded = {}) {
        AuditEvent n;
        n.kind = AuditKind::Notice;
        n.reason = reason;
        n.decoded = std::move(decoded);
        enqueue(format(n), true);
    }

    bool take_token(Clock::time_point now) {
        double elapsed = std::chrono::duration<double>(now - refilled).count();
        refilled = now;
        tokens = std::min(limits.burst, tokens + elapsed * limits.rate_per_second);
        if (tokens < 1) return false;
        tokens -= 1;
        return true;
    }

    // Under mu: windows that ended give their Repeated line; with `all`, every window ends.
    void close_windows(Clock::time_point now, bool all) {
        if (!all && now < next_close) return;  // every event looks: keep it O(1) until then
        next_close = Clock::time_point::max();
        for (auto it = repeats.begin(); it != repeats.end();) {
            Repeat& r = it->second;
            if (!all && now < r.window_end) {
                next_close = std::min(next_close, r.window_end);
                ++it;
                continue;
            }
            if (r.count == 0) {
                it = repeats.erase(it);
                continue;
            }
            AuditEvent ev = r.first;
            ev.kind = AuditKind::Repeated;
            ev.repeated = r.count;
            ev.until = r.last;
            ev.args.reset();  // the first line has them; repeats differ only there
            enqueue(format(ev), false, r.count);
            // Still going on: count the next stretch in a longer window, from now.
            r.first.time = r.last;
            r.count = 0;
            r.window = std::min(r.window * 2, limits.max_window);
            r.window_end = now + r.window;
            if (all) {
                it = repeats.erase(it);
            } else {
                next_close = std::min(next_close, r.window_end);
                ++it;
            }
        }
    }

    // Under mu: say what the rate limit held back and what the sink did not take.
    void report_losses(bool final) {
        if (rate_limited > 0 && (final || tokens >= 1)) {
            std::vector<std::pair<std::string, std::string>> per;
            for (auto& [name, n] : rate_limited_by_syscall) per.emplace_back(name, std::to_string(n));
            notice(fmt::format("{} audit events not written in {} s: more than {} decisions per second "
                               "(each is still counted in the summary)",
                               rate_limited, seconds_between(rate_limited_since, std::chrono::system_clock::now()),
                               limits.rate_per_second),
                   std::move(per));
            rate_limited = 0;
            rate_limited_by_syscall.clear();
        }
        if (dropped > 0 && (final || queued_bytes < limits.max_queued_bytes / 2)) {
            notice(fmt::format("{} audit lines dropped in {} s, standing for {} decisions: the audit "
                               "sink did not keep up (each decision is still counted in the summary)",
                               dropped, seconds_between(dropped_since, std::chrono::system_clock::now()),
                               dropped_decisions));
            dropped = 0;
            dropped_decisions = 0;
        }
    }

    void housekeeping(bool final) {
        close_windows(Clock::now(), final);
        report_losses(final);
    }

    void write_all(const std::string& data) {
        const char* p = data.data();
        size_t left = data.size();
        while (left > 0) {
            ssize_t n = ::write(fd, p, left);
            if (n < 0 && errno == EINTR) continue;
            if (n <= 0) return;  // the audit trail must not take the supervisor down
            p += n;
            left -= static_cast<size_t>(n);
        }
    }

    // The writer thread: the only place that blocks on the sink.
    static void run(std::shared_ptr<State> st) {
        std::unique_lock lock(st->mu);
        for (;;) {
            st->wake.wait_for(lock, std::chrono::milliseconds(250),
                              [&] { return !st->queue.empty() || st->stopping; });
            if (!st->stopping) st->housekeeping(false);
            if (st->queue.empty()) {
                st->written.notify_all();
                if (st->stopping) break;
                continue;
            }
            std::deque<std::string> batch;
            batch.swap(st->queue);
            st->queued_bytes = 0;
            st->writing = true;
            lock.unlock();
            // Whole lines, several per write(2) up to PIPE_BUF bytes (what a pipe writes
            // atomically): lines from a crash or another writer never interleave with them,
            // and a burst costs one write per 4 KiB, not one per line. A longer line goes alone.
            std::string chunk;
            for (const auto& line : batch) {
                if (!chunk.empty() && chunk.size() + line.size() > PIPE_BUF) {
                    st->write_all(chunk);
                    chunk.clear();
                }
                if (line.size() >= PIPE_BUF) {
                    st->write_all(line);
                    continue;
                }
                chunk += line;
            }
            if (!chunk.empty()) st->write_all(chunk);
            lock.lock();
            st->writing = false;
            if (st->queue.empty()) st->written.notify_all();
        }
        st->stopped = true;
        if (st->own_fd) close(st->fd);
        st->written.notify_all();
    }
};

AuditSink::AuditSink(const std::string& sink, const std::string& format, const AuditLimits& limits)
    : st_(std::make_shared<State>()) {
    st_->limits = limits;
    st_->tokens = limits.burst;
    if (format == "fhir") st_->fhir = true;
    else if (format != "json")
        throw Error("audit format \"" + format + "\" is not one of: json, fhir");
    if (sink.empty() || sink == "stderr") {
        st_->fd = STDERR_FILENO;
    } else {
        // Opened before the app starts, and never through a symlink: a sink in a directory the
        // app can write to must not let it point vigil's appends at another file. O_NONBLOCK
        // only for the open: a FIFO without a reader fails (ENXIO) instead of hanging vigil;
        // the writer thread then writes blocking, off the event loop.
        // A reader started beside vigil (a log shipper) gets 5 s to open its end.
        int fd = -1;
        for (int tries = 0; tries < 100; ++tries) {
            fd = open(sink.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0640);
            if (fd >= 0 || errno != ENXIO) break;
            usleep(50 * 1000);
        }
        if (fd < 0 && errno == ELOOP)
            throw Error("cannot open the audit sink " + sink + ": it is a symlink (give the file's real path)");
        if (fd < 0 && errno == ENXIO)
            throw Error("cannot open the audit sink " + sink + ": it is a FIFO and no reader opened it within 5 s (start the reader first)");
        if (fd < 0) throw_errno("cannot open the audit sink " + sink);
        int fl = fcntl(fd, F_GETFL);
        if (fl < 0 || fcntl(fd, F_SETFL, fl & ~O_NONBLOCK) < 0) {
            close(fd);
            throw_errno("fcntl(F_SETFL) on the audit sink " + sink);
        }
        st_->fd = fd;
        st_->own_fd = true;
    }
    std::thread(State::run, st_).detach();
}

AuditSink::~AuditSink() {
    std::unique_lock lock(st_->mu);
    st_->housekeeping(true);
    st_->stopping = true;
    st_->wake.notify_one();
    if (!st_->written.wait_for(lock, st_->limits.close_wait, [&] { return st_->stopped; })) {
        size_t pending = st_->queue.size();
        lock.unlock();
        // The thread keeps its share of the state and ends with the process.
        log::warn("the audit sink did not take the trail's last lines within {} ms ({} lines "
                     "still queued): they are lost",
                     st_->limits.close_wait.count(), pending + (st_->writing ? 1 : 0));
    }
}

bool AuditSink::flush(std::chrono::milliseconds max_wait) {
    std::unique_lock lock(st_->mu);
    st_->wake.notify_one();
    return st_->written.wait_for(lock, max_wait,
                                 [&] { return (st_->queue.empty() && !st_->writing) || st_->stopped; });
}

void AuditSink::write(const AuditEvent& e) { write(e, {}); }

void AuditSink::write(const AuditEvent& given, const std::function<void(AuditEvent&)>& fill) {
    State& st = *st_;
    const AuditEvent* ep = &given;
    std::optional<AuditEvent> filled;
    auto complete = [&] {
        if (!fill) return;
        filled.emplace(given);
        fill(*filled);
        ep = &*filled;
    };
    const AuditEvent& e = given;
    std::lock_guard lock(st.mu);
    if (e.kind == AuditKind::Decision) {
        Counts& c = st.counts[e.syscall];
        if (e.complain && e.outcome != AuditOutcome::Allowed) ++c.would_deny;
        else if (e.outcome == AuditOutcome::Allowed) ++c.allowed;
        else if (e.outcome == AuditOutcome::Killed) ++c.killed;
        else ++c.denied;
    }
    if (e.kind == AuditKind::Phase) st.phases.push_back(e.phase);
    auto now = State::Clock::now();
    st.close_windows(now, false);
    if (given.kind != AuditKind::Decision) {
        complete();
        st.enqueue(st.format(*ep));
        return;
    }
    std::string key = State::key(e);
    if (auto it = st.repeats.find(key); it != st.repeats.end()) {
        ++it->second.count;
        it->second.last = e.time;
        return;
    }
    if (!st.take_token(now)) {
        if (st.rate_limited++ == 0) st.rate_limited_since = e.time;
        ++st.rate_limited_by_syscall[e.syscall];
        return;
    }
    st.report_losses(false);
    complete();
    if (st.repeats.size() < st.limits.max_repeat_keys) {
        st.repeats.emplace(key, State::Repeat{*ep, 0, e.time, now + st.limits.repeat_window,
                                              st.limits.repeat_window});
        st.next_close = std::min(st.next_close, now + st.limits.repeat_window);
    }
    st.enqueue(st.format(*ep), false, 1);
}

void AuditSink::set_service(const std::string& name) {
    std::lock_guard lock(st_->mu);
    st_->service = name;
}

std::map<std::string, AuditSink::Counts> AuditSink::counts() const {
    std::lock_guard lock(st_->mu);
    return st_->counts;
}

void AuditSink::write_summary() {
    State& st = *st_;
    std::lock_guard lock(st.mu);
    st.housekeeping(true);
    AuditEvent e;
    e.kind = AuditKind::Summary;
    Counts total;
    nlohmann::json per = nlohmann::json::object();
    for (auto& [name, c] : st.counts) {
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
    if (!st.phases.empty()) e.phase = st.phases.back();
    if (st.fhir) {
        st.enqueue(st.format(audit_fhir(e)), true);
        return;
    }
    nlohmann::json j = audit_json(e);
    j.erase("outcome");
    j.erase("decoded");  // the same counts, structured below
    j["decisions"] = per;
    j["totals"] = {{"allowed", total.allowed}, {"denied", total.denied}, {"killed", total.killed},
                   {"would_deny", total.would_deny}};
    j["phases"] = st.phases;
    st.enqueue(st.format(j), true);
}

}  // namespace vigil
