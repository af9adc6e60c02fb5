// `vigil up`'s pure parts: dependency cycles and start order, the isolation rule for kernels
// without Landlock's signal scope, the relayed line format (no forged prefixes), and the
// services file read into typed values with positions.
#include <doctest/doctest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#include "../../src/services/output.hpp"
#include "vigil/audit.hpp"
#include "vigil/error.hpp"
#include "vigil/services.hpp"

using namespace vigil;
namespace fs = std::filesystem;

namespace {

ServiceSpec svc(const std::string& name, std::vector<std::string> deps = {}) {
    ServiceSpec s;
    s.name = name;
    s.command = {"true"};
    for (auto& d : deps) s.depends_on.push_back({d, {}});
    return s;
}

std::string names(const std::vector<ServiceSpec>& all, const std::vector<size_t>& order) {
    std::string out;
    for (size_t i : order) out += (out.empty() ? "" : " ") + all[i].name;
    return out;
}

std::string write_file(const std::string& name, const std::string& text) {
    fs::path dir = fs::temp_directory_path() / ("vigil-services-unit-" + std::to_string(getpid()));
    fs::create_directories(dir);
    fs::path p = dir / name;
    std::ofstream(p) << text;
    return p.string();
}

std::string load_error(const std::string& text) {
    try {
        load_services(write_file("s.toml", text));
    } catch (const Error& e) {
        CHECK(e.code == kExitVigilError);
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("services: dependency cycles are found and named") {
    std::vector<ServiceSpec> none{svc("db"), svc("web", {"db"}), svc("worker", {"web", "db"})};
    CHECK(dependency_cycle(none).empty());
    std::vector<ServiceSpec> three{svc("a", {"c"}), svc("b", {"a"}), svc("c", {"b"})};
    size_t at = 99;
    auto c = dependency_cycle(three, &at);
    REQUIRE(c.size() == 4);
    CHECK(c.front() == c.back());
    CHECK(at < 3);
    std::vector<ServiceSpec> tail{svc("x"), svc("y", {"x", "z"}), svc("z", {"y"})};
    CHECK(dependency_cycle(tail) == std::vector<std::string>{"y", "z", "y"});
    // Unknown names are load_services' to report, not a cycle.
    CHECK(dependency_cycle({svc("a", {"nope"})}).empty());
    // A long chain does not recurse.
    std::vector<ServiceSpec> chain{svc("s0")};
    for (int i = 1; i < 20000; ++i) chain.push_back(svc("s" + std::to_string(i), {"s" + std::to_string(i - 1)}));
    CHECK(dependency_cycle(chain).empty());
}

TEST_CASE("services: start order puts dependencies first, file order otherwise") {
    std::vector<ServiceSpec> s{svc("web", {"db"}), svc("worker", {"web"}), svc("db"), svc("cache")};
    CHECK(names(s, start_order(s)) == "db web worker cache");
}

TEST_CASE("services: without the signal scope, only distinct uids without CAP_KILL/CAP_SYS_PTRACE isolate") {
    CHECK(isolation_without_scope({{"a", 1000, false}, {"b", 1001, false}}).empty());
    CHECK(isolation_without_scope({{"a", 1000, false}, {"b", 1000, false}}).find("both run as uid 1000") !=
          std::string::npos);
    CHECK(isolation_without_scope({{"a", 1000, true}, {"b", 1001, false}}).find("'a' keeps CAP_KILL") !=
          std::string::npos);
}

TEST_CASE("services: a relayed line cannot pass for another service's or vigil's") {
    using services_detail::format_line;
    CHECK(format_line("web", 1, "hello", false) == "web | hello\n");
    CHECK(format_line("web", 1, "crlf\r", false) == "web | crlf\n");
    CHECK(format_line("web", 1, "x\rdb | forged", false) == "web | x?db | forged\n");
    CHECK(format_line("web", 1, "\x1b[2K\tok", false) == "web | ?[2K\tok\n");
    CHECK(format_line("web", 1, "bad \xff byte", false) == "web | bad \xef\xbf\xbd byte\n");
    std::string j = format_line("web", 2, "a\"b\nc", true);
    CHECK(j.find("\"service\":\"web\",\"stream\":\"stderr\",\"msg\":\"a\\\"b\\nc\"}\n") != std::string::npos);
    CHECK(std::count(j.begin(), j.end(), '\n') == 1);
}

TEST_CASE("services: the file is read into typed values with positions") {
    std::string path = write_file("ok.toml", R"([[service]]
name = "db"
command = ["/bin/db", "--port", "5432"]
stop_timeout = "3s"

[[service]]
name = "web"
command = ["/bin/web"]
depends_on = ["db"]
restart = "on-failure"
restart_max = 2
restart_delay = "250ms"
)");
    ServicesFile f = load_services(path);
    REQUIRE(f.services.size() == 2);
    CHECK(f.services[0].command == std::vector<std::string>{"/bin/db", "--port", "5432"});
    CHECK(f.services[0].supervise.stop_timeout_ms == 3000);
    CHECK(f.services[0].supervise.restart.mode == RestartMode::No);
    CHECK(f.services[1].depends_on.at(0).name == "db");
    CHECK(f.services[1].depends_on.at(0).where.line == 9);
    CHECK(f.services[1].supervise.restart.mode == RestartMode::OnFailure);
    CHECK(f.services[1].supervise.restart.max == 2);
    CHECK(f.services[1].supervise.restart.delay_ms == 250);
    CHECK(!f.services[1].profile);
}

TEST_CASE("services: bad files name FILE:LINE:COL") {
    CHECK(load_error("[[service]]\nname = \"a\"\ncommand = [\"x\"]\ndepends_on = [\"b\"]\n[[service]]\nname = \"b\"\n"
                     "command = [\"x\"]\ndepends_on = [\"a\"]\n")
              .find(":8:15: dependency cycle: ") != std::string::npos);
    CHECK(load_error("[[service]]\nname = \"a\"\n").find("s.toml:1:1: service 'a': no command") != std::string::npos);
    CHECK(load_error("[[service]]\nname = \"a\"\ncommand = [\"x\"]\nwhat = 1\n").find(":4:") != std::string::npos);
    CHECK(load_error("[[service]]\nname = \"a\"\ncommand = [\"x\"]\n[[service]]\nname = \"a\"\ncommand = [\"y\"]\n")
              .find(":5:8: service name 'a' is used twice") != std::string::npos);
}

TEST_CASE("services: every audit line of a service's sink names the service") {
    std::string path = write_file("audit.jsonl", "");
    fs::remove(path);
    {
        AuditSink sink(path, "json");
        sink.set_service("web");
        AuditEvent ev;
        ev.kind = AuditKind::Notice;
        ev.reason = "hello";
        sink.write(ev);
        sink.write_summary();
        CHECK(sink.flush(std::chrono::seconds(5)));
    }
    std::ifstream in(path);
    int lines = 0;
    for (std::string line; std::getline(in, line); ++lines) CHECK(line.find("\"service\":\"web\"") != std::string::npos);
    CHECK(lines == 2);
}
