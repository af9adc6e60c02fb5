// Audit events: JSON lines, FHIR R4 AuditEvent structure, the sink and the summary.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <unistd.h>

#include <fstream>
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
