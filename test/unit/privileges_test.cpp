// prepare_privileges against a hand-made image root; apply_privileges observed from
// /proc/self/status of a real exec'd process (what the app would see).
#include <doctest/doctest.h>
#include <grp.h>
#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>

#include "filter_support.hpp"
#include "vigil/error.hpp"
#include "vigil/privileges.hpp"

using namespace vigil;
using namespace vigil::test;
namespace fs = std::filesystem;

namespace {

struct ImageRoot {
    fs::path dir;
    ImageRoot() {
        char tmpl[] = "/tmp/vigil-priv-XXXXXX";
        dir = mkdtemp(tmpl);
        fs::create_directories(dir / "etc");
        std::ofstream(dir / "etc/passwd") << "root:x:0:0:root:/root:/bin/sh\n"
                                             "broken line\n"
                                             "fhir:x:1000:1001:FHIR:/srv:/bin/sh\n";
        std::ofstream(dir / "etc/group") << "root:x:0:\nfhir:x:1001:\naudit:x:2000:fhir\n";
        // A copy of the probe that any uid can execute (the build tree may not be reachable).
        fs::copy_file(helper_path("sys_probe"), dir / "sys_probe");
        chmod(dir.c_str(), 0755);
        chmod((dir / "sys_probe").c_str(), 0755);
    }
    ~ImageRoot() { fs::remove_all(dir); }
    std::string probe() const { return (dir / "sys_probe").string(); }
};

std::map<std::string, std::string> status_fields(const std::string& out) {
    std::map<std::string, std::string> m;
    std::stringstream ss(out);
    for (std::string line; std::getline(ss, line);) {
        auto colon = line.find(':');
        if (colon == std::string::npos) continue;
        std::string value = line.substr(colon + 1);
        value.erase(0, value.find_first_not_of(" \t"));
        value.erase(value.find_last_not_of(" \t") + 1);
        m[line.substr(0, colon)] = value;
    }
    return m;
}

Outcome run_with(const PreparedPrivileges& p, const std::string& probe, bool filter) {
    static const BpfProgram allow_all = compile_filter(profile_with(allow(), {}));
    return run_filtered(filter ? &allow_all : nullptr, {probe, "status"}, [&] {
        const char* step = nullptr;
        if (int e = apply_privileges(p, &step)) {
            dprintf(2, "apply_privileges: %s: %s\n", step, strerror(e));
            _exit(124);
        }
    });
}

}  // namespace

TEST_CASE("users and groups resolve from ROOT/etc without NSS") {
    ImageRoot root;
    ProcessSettings s;
    s.user = "fhir";
    auto p = prepare_privileges(s, root.dir.string());
    CHECK(p.change_ids);
    CHECK(p.uid == 1000);
    CHECK(p.gid == 1001);
    s.group = "audit";
    s.groups = {"fhir", "2000", "77"};
    p = prepare_privileges(s, root.dir.string());
    CHECK(p.gid == 2000);
    CHECK(p.groups == std::vector<gid_t>{1001, 2000, 77});
    s = {};
    s.user = "4242";
    p = prepare_privileges(s, root.dir.string());
    CHECK(p.uid == 4242);
    CHECK(p.gid == 4242);
    s.user = "1000";
    CHECK(prepare_privileges(s, root.dir.string()).gid == 1001);
}

TEST_CASE("unknown names are errors with a suggestion") {
    ImageRoot root;
    ProcessSettings s;
    s.user = "fhri";
    const std::string expected = "user 'fhri' not found in " + root.dir.string() + "/etc/passwd (did you mean 'fhir'?)";
    CHECK_THROWS_WITH(prepare_privileges(s, root.dir.string()), doctest::Contains(expected.c_str()));
    s = {};
    s.group = "audti";
    CHECK_THROWS_WITH(prepare_privileges(s, root.dir.string()), doctest::Contains("did you mean 'audit'"));
    s = {};
    s.capabilities = {"NET_BIND_SERVIC"};
    CHECK_THROWS_WITH(prepare_privileges(s, root.dir.string()),
                      doctest::Contains("unknown capability 'NET_BIND_SERVIC' (did you mean 'NET_BIND_SERVICE'?)"));
}

TEST_CASE("capability names with or without CAP_, any case") {
    ImageRoot root;
    ProcessSettings s;
    s.capabilities = {"CAP_NET_BIND_SERVICE", "NET_BIND_SERVICE", "net_raw"};
    auto p = prepare_privileges(s, root.dir.string());
    CHECK(p.drop_caps);
    CHECK(p.keep_caps == std::vector<int>{10, 13});
}

TEST_CASE("root switching to a user keeps one capability in all five sets across execve") {
    ImageRoot root;
    ProcessSettings s;
    s.user = "fhir";
    s.groups = {"audit"};
    s.capabilities = {"NET_BIND_SERVICE"};
    auto p = prepare_privileges(s, root.dir.string());
    auto o = run_with(p, root.probe(), true);
    REQUIRE(o.exit_code == 0);
    auto f = status_fields(o.out);
    for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
        INFO(set);
        CHECK(f[set] == "0000000000000400");
    }
    CHECK(f["Uid"] == "1000\t1000\t1000\t1000");
    CHECK(f["Gid"] == "1001\t1001\t1001\t1001");
    CHECK(f["Groups"] == "2000");
    CHECK(f["NoNewPrivs"] == "1");
    CHECK(f["Seccomp"] == "2");
}

TEST_CASE("dropping every capability as root empties every set, bounding included") {
    ImageRoot root;
    auto p = prepare_privileges(ProcessSettings{}, root.dir.string());
    CHECK_FALSE(p.change_ids);
    auto o = run_with(p, root.probe(), false);
    REQUIRE(o.exit_code == 0);
    auto f = status_fields(o.out);
    for (const char* set : {"CapEff", "CapPrm", "CapInh", "CapBnd", "CapAmb"}) {
        INFO(set);
        CHECK(f[set] == "0000000000000000");
    }
    CHECK(f["Uid"] == "0\t0\t0\t0");
    CHECK(f["NoNewPrivs"] == "0");
}

TEST_CASE("a non-root vigil can drop but cannot switch users or keep what it lacks") {
    ImageRoot root;
    int pfd[2];
    REQUIRE(pipe(pfd) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        // Become uid 1000 the plain way: every capability is gone, as for a non-root vigil.
        if (setgroups(0, nullptr) || setresgid(1001, 1001, 1001) || setresuid(1000, 1000, 1000)) _exit(99);
        std::string report;
        auto attempt = [&](ProcessSettings s) {
            try {
                prepare_privileges(s, root.dir.string());
                report += "ok\n";
            } catch (const Error& e) {
                report += std::string(e.what()) + "\n";
            }
        };
        attempt({});
        ProcessSettings other;
        other.user = "root";
        attempt(other);
        ProcessSettings keep;
        keep.capabilities = {"NET_BIND_SERVICE"};
        attempt(keep);
        ProcessSettings self;
        self.user = "fhir";
        attempt(self);
        if (write(pfd[1], report.data(), report.size()) < 0) _exit(98);
        _exit(0);
    }
    close(pfd[1]);
    auto o = wait_outcome(pid, pfd[0]);
    REQUIRE(o.exit_code == 0);
    CHECK(o.out == "ok\n"
                   "cannot switch to user 'root' (uid 0): vigil runs as uid 1000 without CAP_SETUID\n"
                   "cannot keep capability NET_BIND_SERVICE: vigil does not have it (not in its permitted set)\n"
                   "ok\n");
}

TEST_CASE("a non-root vigil applies a drop and runs the app") {
    ImageRoot root;
    int pfd[2];
    REQUIRE(pipe2(pfd, O_CLOEXEC) == 0);
    pid_t pid = fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
        dup2(pfd[1], 1);
        if (setgroups(0, nullptr) || setresgid(1001, 1001, 1001) || setresuid(1000, 1000, 1000)) _exit(99);
        ProcessSettings s;
        s.user = "fhir";
        PreparedPrivileges p;
        try {
            p = prepare_privileges(s, root.dir.string());
        } catch (...) {
            _exit(97);
        }
        const char* step = nullptr;
        if (apply_privileges(p, &step) != 0) _exit(96);
        execl(root.probe().c_str(), "sys_probe", "status", (char*)nullptr);
        _exit(127);
    }
    close(pfd[1]);
    auto o = wait_outcome(pid, pfd[0]);
    REQUIRE(o.exit_code == 0);
    auto f = status_fields(o.out);
    CHECK(f["CapEff"] == "0000000000000000");
    CHECK(f["CapPrm"] == "0000000000000000");
    CHECK(f["CapAmb"] == "0000000000000000");
    CHECK(f["Uid"] == "1000\t1000\t1000\t1000");
}
