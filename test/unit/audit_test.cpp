// Audit events: JSON lines, FHIR R4 AuditEvent structure, the sink and the summary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <thread>
#include <regex>
#include <set>

#include "vigil/audit.hpp"
#include "vigil/error.hpp"

using namespace vigil;
using nlohmann::json;

namespace {

AuditEvent denied_exec() {
    AuditEvent e;
    e.kind = AuditKind::Decision;
    e.pid = 41;
    e.tid = 43;
    e.thread = "http-nio-8080-e";
    e.exe = "/usr/lib/jvm/java-17-openjdk-amd64/bin/java";
    e.syscall = "execve";
    e.nr = 59;
    e.args = std::vector<uint64_t>{0x7ffd1000, 0x7ffd2000, 0, 0, 0, 0};
    e.decoded = {{"path", "/bin/sh"}, {"argv", "sh -c id"}};
    e.phase = "ready";
    e.rule = "fhir.toml:31";
    e.decision = "errno:EPERM";
    e.outcome = AuditOutcome::Denied;
    e.reason = "notify.execve.ready";
    return e;
}

bool is_coding(const json& c) {
    return c.is_object() && c.contains("system") && c["system"].is_string() && c.contains("code") &&
           c["code"].is_string() && !c["code"].get<std::string>().empty();
}

// Structural checks of a FHIR R4 AuditEvent (https://hl7.org/fhir/R4/auditevent.html):
// required elements with their cardinality and types, value sets with required binding.
std::vector<std::string> fhir_problems(const json& r) {
    std::vector<std::string> p;
    static const std::set<std::string> known = {
        "resourceType", "id", "meta", "text", "type", "subtype", "action", "period", "recorded",
        "outcome", "outcomeDesc", "purposeOfEvent", "agent", "source", "entity"};
    for (auto& [k, v] : r.items())
        if (!known.count(k)) p.push_back("unknown element " + k);
    if (r.value("resourceType", "") != "AuditEvent") p.push_back("resourceType");
    if (!r.contains("type") || !is_coding(r["type"])) p.push_back("type (1..1 Coding)");
    if (r.contains("subtype") && (!r["subtype"].is_array() || !is_coding(r["subtype"][0])))
        p.push_back("subtype (0..* Coding)");
    static const std::set<std::string> actions = {"C", "R", "U", "D", "E"};
    if (r.contains("action") && !actions.count(r["action"].get<std::string>())) p.push_back("action");
    static const std::regex instant(
        R"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2}))");
    if (!r.contains("recorded") || !std::regex_match(r["recorded"].get<std::string>(), instant))
        p.push_back("recorded (1..1 instant)");
    static const std::set<std::string> outcomes = {"0", "4", "8", "12"};
    if (r.contains("outcome") && !outcomes.count(r["outcome"].get<std::string>())) p.push_back("outcome");
    if (!r.contains("agent") || !r["agent"].is_array() || r["agent"].empty()) {
        p.push_back("agent (1..*)");
    } else {
        for (auto& a : r["agent"]) {
            if (!a.contains("requestor") || !a["requestor"].is_boolean()) p.push_back("agent.requestor");
            if (a.contains("type") && (!a["type"].contains("coding") || !is_coding(a["type"]["coding"][0])))
                p.push_back("agent.type (CodeableConcept)");
            if (a.contains("who") && !a["who"].is_object()) p.push_back("agent.who (Reference)");
        }
    }
    if (!r.contains("source") || !r["source"].contains("observer") || !r["source"]["observer"].is_object())
        p.push_back("source.observer (1..1 Reference)");
    if (r.contains("source") && r["source"].contains("type") && !is_coding(r["source"]["type"][0]))
        p.push_back("source.type (Coding)");
    if (r.contains("entity")) {
        for (auto& e : r["entity"]) {
            if (e.contains("name") && e.contains("query")) p.push_back("entity: sev-1 name and query");
            if (e.contains("type") && !is_coding(e["type"])) p.push_back("entity.type (Coding)");
            if (e.contains("detail"))
                for (auto& d : e["detail"])
                    if (!d.contains("type") || !d["type"].is_string() ||
                        !(d.contains("valueString") || d.contains("valueBase64Binary")))
                        p.push_back("entity.detail (type + value[x])");
        }
    }
    return p;
}

std::string temp_file() { return "/tmp/vigil-audit-test-" + std::to_string(getpid()); }

std::vector<json> read_lines(const std::string& path) {
    std::ifstream in(path);
    std::vector<json> out;
    std::string line;
    while (std::getline(in, line)) out.push_back(json::parse(line));
    return out;
}

}  // namespace

TEST_CASE("rfc3339 in UTC with microseconds") {
    std::chrono::system_clock::time_point t{std::chrono::microseconds(1763800800123456LL)};
    CHECK(rfc3339(t) == "2025-11-22T08:40:00.123456Z");
}

TEST_CASE("JSON line of a decision") {
    json j = audit_json(denied_exec());
    CHECK(j["event"] == "decision");
    CHECK(j["pid"] == 41);
    CHECK(j["tid"] == 43);
    CHECK(j["thread"] == "http-nio-8080-e");
    CHECK(j["exe"] == "/usr/lib/jvm/java-17-openjdk-amd64/bin/java");
    CHECK(j["syscall"] == "execve");
    CHECK(j["args"][0] == "0x7ffd1000");
    CHECK(j["decoded"]["path"] == "/bin/sh");
    CHECK(j["phase"] == "ready");
    CHECK(j["rule"] == "fhir.toml:31");
    CHECK(j["decision"] == "errno:EPERM");
    CHECK(j["outcome"] == "denied");
    CHECK(j["mode"] == "enforce");
}

TEST_CASE("FHIR AuditEvent validates structurally, for decisions, phases and summaries") {
    AuditEvent phase;
    phase.kind = AuditKind::Phase;
    phase.phase = "ready";
    phase.reason = "TCP port 8080 is listening";
    AuditEvent complain = denied_exec();
    complain.complain = true;
    for (const AuditEvent& e : {denied_exec(), phase, complain}) {
        json r = audit_fhir(e);
        CAPTURE(r.dump());
        CHECK(fhir_problems(r).empty());
    }
    json r = audit_fhir(denied_exec());
    CHECK(r["type"]["code"] == "110113");
    CHECK(r["subtype"][0]["code"] == "execve");
    CHECK(r["action"] == "E");
    CHECK(r["outcome"] == "4");
    CHECK(r["agent"][0]["requestor"] == true);
    CHECK(r["agent"][0]["who"]["identifier"]["value"] == "41");
    CHECK(r["agent"][0]["name"] == "http-nio-8080-e");
    CHECK(r["entity"][0]["what"]["display"] == "/bin/sh");
    CHECK(audit_fhir(complain)["outcome"] == "0");
    // The validator itself rejects what it should.
    json broken = r;
    broken.erase("recorded");
    broken["action"] = "X";
    broken["agent"][0].erase("requestor");
    CHECK(fhir_problems(broken).size() == 3);
}

TEST_CASE("file sink appends one line per event, counts, and writes a summary (json and fhir)") {
    std::string path = temp_file();
    unlink(path.c_str());
    {
        AuditSink sink(path, "json");
        sink.write(denied_exec());
        AuditEvent ok = denied_exec();
        ok.decision = "allow";
        ok.outcome = AuditOutcome::Allowed;
        sink.write(ok);
        AuditEvent would = denied_exec();
        would.complain = true;
        sink.write(would);
        sink.write_summary();
        CHECK(sink.counts()["execve"].denied == 1);
        CHECK(sink.counts()["execve"].allowed == 1);
        CHECK(sink.counts()["execve"].would_deny == 1);
    }
    {
        AuditSink sink(path, "fhir");  // appended to the same file
        sink.write(denied_exec());
        sink.write_summary();
    }
    int fd = open(path.c_str(), O_RDONLY);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) == 0);  // our own fd; the sink's is tested below
    close(fd);
    auto lines = read_lines(path);
    REQUIRE(lines.size() == 6);
    CHECK(lines[3]["event"] == "summary");
    CHECK(lines[3]["totals"]["denied"] == 1);
    CHECK(lines[3]["decisions"]["execve"]["would_deny"] == 1);
    CHECK(lines[4]["resourceType"] == "AuditEvent");
    CHECK(fhir_problems(lines[4]).empty());
    CHECK(fhir_problems(lines[5]).empty());
    CHECK(lines[5]["subtype"][0]["code"] == "summary");
    unlink(path.c_str());
}

TEST_CASE("the sink's file is close-on-exec; bad format and unopenable file are errors") {
    std::string path = temp_file();
    {
        AuditSink sink(path, "json");
        bool found = false;
        for (int fd = 3; fd < 256; ++fd) {
            char link[64], target[512] = {};
            snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
            if (readlink(link, target, sizeof target - 1) > 0 && path == target) {
                found = true;
                CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
                CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0);
            }
        }
        CHECK(found);
    }
    unlink(path.c_str());
    CHECK_THROWS_AS(AuditSink(path, "xml"), Error);
    CHECK_THROWS_AS(AuditSink("/nonexistent-dir/audit.log", "json"), Error);
}

namespace {

// Every line of `path`, each parsed strictly (invalid JSON or UTF-8 throws).
std::vector<json> lines_of(const std::string& path) { return read_lines(path); }

uint64_t repeated_total(const std::vector<json>& lines) {
    uint64_t n = 0;
    for (auto& l : lines)
        if (l.value("event", "") == "repeated") n += l["count"].get<uint64_t>();
    return n;
}

size_t count_event(const std::vector<json>& lines, const std::string& event) {
    size_t n = 0;
    for (auto& l : lines) n += l.value("event", "") == event;
    return n;
}

}  // namespace

TEST_CASE("a flood of identical denials is one line and a counted repeat, never silence") {
    std::string path = temp_file() + "-flood";
    unlink(path.c_str());
    constexpr int kFlood = 20000;
    {
        AuditSink sink(path, "json");
        for (int i = 0; i < kFlood; ++i) sink.write(denied_exec());
        sink.write_summary();
    }
    auto lines = lines_of(path);
    REQUIRE(lines.size() == 3);  // the first denial, "repeated 19999 times", the summary
    CHECK(lines[0]["event"] == "decision");
    CHECK(lines[1]["event"] == "repeated");
    CHECK(lines[1]["count"] == kFlood - 1);
    CHECK(lines[1]["syscall"] == "execve");
    CHECK(lines[1]["pid"] == 41);
    CHECK(lines[1]["message"].get<std::string>().find("repeated 19999 times in ") == 0);
    CHECK(lines[2]["totals"]["denied"] == kFlood);
    unlink(path.c_str());
}

TEST_CASE("a flood that goes on gets a repeat line per (growing) window; counts add up") {
    std::string path = temp_file() + "-windows";
    unlink(path.c_str());
    AuditLimits limits;
    limits.repeat_window = std::chrono::milliseconds(20);
    limits.max_window = std::chrono::milliseconds(80);
    uint64_t n = 0;
    {
        AuditSink sink(path, "fhir", limits);
        auto end = std::chrono::steady_clock::now() + std::chrono::milliseconds(400);
        while (std::chrono::steady_clock::now() < end) {
            sink.write(denied_exec());
            ++n;
            std::this_thread::sleep_for(std::chrono::microseconds(200));
        }
        sink.write_summary();
    }
    auto lines = lines_of(path);
    size_t repeats = 0;
    uint64_t counted = 0;
    for (auto& l : lines) {
        CHECK(fhir_problems(l).empty());
        for (auto& d : l["entity"][0].value("detail", json::array()))
            if (d["type"] == "repeated") {
                ++repeats;
                counted += std::stoull(d["valueString"].get<std::string>());
                CHECK(l.contains("period"));
                CHECK(l["outcomeDesc"].get<std::string>().find("(repeated ") != std::string::npos);
            }
    }
    // 20, 40, 80, 80, ... ms windows over 400 ms: a handful of lines, not thousands.
    CHECK(repeats >= 3);
    CHECK(repeats <= 10);
    CHECK(1 + counted == n);
    unlink(path.c_str());
}

TEST_CASE("distinct decisions past the rate are counted and reported, per syscall") {
    std::string path = temp_file() + "-rate";
    unlink(path.c_str());
    AuditLimits limits;
    limits.rate_per_second = 10;
    limits.burst = 50;
    constexpr int kPids = 3000;
    {
        AuditSink sink(path, "json", limits);
        for (int i = 0; i < kPids; ++i) {
            AuditEvent e = denied_exec();
            e.pid = 1000 + i;  // distinct: nothing to aggregate
            sink.write(e);
        }
        sink.write_summary();
    }
    auto lines = lines_of(path);
    size_t decisions = count_event(lines, "decision");
    CHECK(decisions >= 50);
    CHECK(decisions <= 60);  // the burst, and what the rate refilled meanwhile
    uint64_t held = 0;
    for (auto& l : lines)
        if (l.value("event", "") == "notice" &&
            l["reason"].get<std::string>().find("audit events not written") != std::string::npos) {
            held += std::stoull(l["reason"].get<std::string>());
            CHECK(l["decoded"]["execve"] == std::to_string(kPids - decisions));
        }
    CHECK(decisions + held == kPids);
    CHECK(lines.back()["totals"]["denied"] == kPids);
    unlink(path.c_str());
}

// A FIFO standing in for a pipe the sink writes to: the sink refuses symlinks such as
// /proc/self/fd/N, so it is given the FIFO's own path. p[0] reads, p[1] is a writer of ours.
static std::string fifo_pair(int p[2]) {
    static int n = 0;
    std::string path = "/tmp/vigil-audit-fifo-" + std::to_string(getpid()) + "-" + std::to_string(n++);
    unlink(path.c_str());
    REQUIRE(mkfifo(path.c_str(), 0600) == 0);
    p[0] = open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
    REQUIRE(p[0] >= 0);
    REQUIRE(fcntl(p[0], F_SETFL, 0) == 0);
    p[1] = open(path.c_str(), O_WRONLY | O_CLOEXEC);
    REQUIRE(p[1] >= 0);
    return path;
}

TEST_CASE("a sink that does not read never blocks the writer; what it missed is counted") {
    int p[2];
    std::string path = fifo_pair(p);
    AuditLimits limits;
    limits.rate_per_second = 1e9;
    limits.burst = 1e9;
    limits.max_queued_bytes = 64 * 1024;
    limits.close_wait = std::chrono::milliseconds(300);
    constexpr int kEvents = 5000;
    std::string trail;
    std::thread reader;
    {
        AuditSink sink(path, "json", limits);
        auto t0 = std::chrono::steady_clock::now();
        for (int i = 0; i < kEvents; ++i) {
            AuditEvent e = denied_exec();
            e.pid = 1000 + i;
            sink.write(e);
        }
        auto took = std::chrono::steady_clock::now() - t0;
        CHECK(took < std::chrono::seconds(2));  // 5000 lines against a full 64 KiB pipe
        CHECK_FALSE(sink.flush(std::chrono::milliseconds(100)));  // the pipe is full
        // Now the reader wakes up: the trail catches up and says what it lost.
        reader = std::thread([&] {
            char buf[65536];
            ssize_t n;
            while ((n = read(p[0], buf, sizeof buf)) > 0) trail.append(buf, static_cast<size_t>(n));
        });
        CHECK(sink.flush(std::chrono::seconds(5)));
        sink.write_summary();
        CHECK(sink.flush(std::chrono::seconds(5)));
        close(p[1]);
    }
    reader.join();  // EOF: the sink closed its own fd on the way out
    close(p[0]);
    unlink(path.c_str());
    std::vector<json> lines;
    std::istringstream in(trail);
    std::string line;
    while (std::getline(in, line)) lines.push_back(json::parse(line));
    size_t decisions = count_event(lines, "decision");
    uint64_t dropped = 0;
    for (auto& l : lines)
        if (l.value("event", "") == "notice" &&
            l["reason"].get<std::string>().find("audit lines dropped") != std::string::npos) {
            std::string r = l["reason"];
            dropped += std::stoull(r.substr(r.find("standing for ") + 13));
        }
    CHECK(dropped > 0);
    CHECK(decisions + dropped == kEvents);
    REQUIRE_FALSE(lines.empty());
    CHECK(lines.back()["totals"]["denied"] == kEvents);
}

TEST_CASE("a sink stuck for good delays the exit by close_wait at most") {
    int p[2];
    std::string path = fifo_pair(p);
    AuditLimits limits;
    limits.rate_per_second = 1e9;
    limits.burst = 1e9;
    limits.close_wait = std::chrono::milliseconds(300);
    auto t0 = std::chrono::steady_clock::now();
    {
        AuditSink sink(path, "json", limits);
        for (int i = 0; i < 2000; ++i) {
            AuditEvent e = denied_exec();
            e.pid = 1000 + i;
            sink.write(e);
        }
        sink.write_summary();
    }
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    // p[0] stays open (and unread) on purpose: the writer thread is still blocked on it.
    unlink(path.c_str());
}

TEST_CASE("app-chosen bytes stay valid JSON and FHIR in the trail") {
    std::string path = temp_file() + "-bytes";
    unlink(path.c_str());
    AuditEvent e = denied_exec();
    e.thread = "x\n\"\xff\xfe]]";
    e.exe = "/tmp/a\xc3(\n";
    e.decoded = {{"path", "/tmp/\xed\xa0\x80\x1b[31m"}};
    {
        AuditSink sink(path, "json");
        sink.write(e);
    }
    {
        AuditSink sink(path, "fhir");
        sink.write(e);
    }
    auto lines = lines_of(path);
    REQUIRE(lines.size() == 2);
    CHECK(lines[0]["thread"] == "x\n\"\xEF\xBF\xBD\xEF\xBF\xBD]]");
    CHECK(fhir_problems(lines[1]).empty());
    unlink(path.c_str());
}
