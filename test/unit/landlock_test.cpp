// [landlock]: the profile section (layering, errors), the rules for path allow-lists, and the
// section learn writes.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <algorithm>
#include <filesystem>

#include "../../src/learn/learn_internal.hpp"
#include "profile_files.hpp"
#include "vigil/error.hpp"
#include "vigil/landlock.hpp"
#include "vigil/learn.hpp"

using vigil::LandlockSettings;
using vigil::test::ProfileDir;

namespace {

std::string load_error(const std::string& path) {
    try {
        vigil::load_profile(path);
    } catch (const vigil::Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("[landlock] layers per path: a later layer replaces a path's grant, keeps the others") {
    ProfileDir d;
    d.write("base.toml", "[landlock]\nread = [\"/etc\", \"/usr/share\"]\nwrite = [\"/tmp\"]\n"
                         "connect_tcp = [5432]\nscope = [\"signal\"]\n");
    std::string app = d.write("app.toml", "include = [\"base.toml\"]\n[landlock]\nread = [\"/tmp\"]\n"
                                          "write = [\"data\"]\nexecute = [\"/usr/lib/\"]\nrequire_abi = 4\n");
    auto p = vigil::load_profile(app);
    const auto& ll = p.landlock;
    CHECK(ll.present);
    CHECK(ll.filesystem);
    CHECK(ll.connect_tcp);
    CHECK_FALSE(ll.bind_tcp);
    CHECK(ll.paths.at("/etc").access == LandlockSettings::Read);
    CHECK(ll.paths.at("/tmp").access == LandlockSettings::Read);  // narrowed by the app layer
    CHECK(ll.paths.at(d.path() + "/data").access == (LandlockSettings::Read | LandlockSettings::Write));
    CHECK(ll.paths.at("/usr/lib").access == (LandlockSettings::Read | LandlockSettings::Execute));
    CHECK(ll.ports.at(5432).connect);
    CHECK(ll.scope_signal);
    CHECK_FALSE(ll.scope_abstract_unix);
    CHECK(ll.require_abi == 4);
    CHECK(ll.require_at.line == 6);
}

TEST_CASE("[landlock] errors carry positions and suggestions") {
    ProfileDir d;
    std::string msg = load_error(d.write("a.toml", "[landlock]\nwrite = [\"/\"]\nscope = [\"signals\"]\n"
                                                   "connect_tcp = [0, 70000]\nexecut = []\n"));
    CHECK(msg.find("a.toml:2:10: landlock.write: write access to '/'") != std::string::npos);
    CHECK(msg.find("a.toml:3:10: landlock.scope: unknown scope 'signals'") != std::string::npos);
    CHECK(msg.find("did you mean 'signal'") != std::string::npos);
    CHECK(msg.find("a.toml:4:16: ") != std::string::npos);
    CHECK(msg.find("a.toml:4:19: ") != std::string::npos);
    CHECK(msg.find("unknown key 'execut' in [landlock]; did you mean 'execute'") != std::string::npos);
}

TEST_CASE("prepare_landlock: below require_abi vigil refuses to start with 125") {
    LandlockSettings s;
    s.present = true;
    s.require_abi = 99;
    s.require_at = {"p.toml", 3, 15};
    try {
        vigil::prepare_landlock(s);
        FAIL("no error");
    } catch (const vigil::Error& e) {
        CHECK(e.code == 125);
        CHECK(std::string(e.what()).find("p.toml:3:15: landlock.require_abi = 99") == 0);
    }
}

TEST_CASE("prepare_landlock: every right the kernel knows is handled, files get file rights only") {
    int abi = vigil::landlock_abi();
    if (abi < 1) return;  // nothing to build on this kernel
    LandlockSettings s;
    s.present = s.filesystem = s.connect_tcp = true;
    s.paths["/etc/hostname"] = {"/etc/hostname", LandlockSettings::Read | LandlockSettings::Write, {}};
    s.paths["/etc"] = {"/etc", LandlockSettings::Read, {}};
    s.paths["/nonexistent-vigil-test"] = {"/nonexistent-vigil-test", LandlockSettings::Read, {}};
    s.ports[8080] = {false, true, {}};
    auto p = vigil::prepare_landlock(s);
    CHECK(p.fd() >= 0);
    CHECK((fcntl(p.fd(), F_GETFD) & FD_CLOEXEC));
    CHECK(p.skipped() == std::vector<std::string>{"/nonexistent-vigil-test"});
    CHECK(p.audit_text().find("path_rules=2") != std::string::npos);
    if (abi >= 5) CHECK(p.audit_text().find("fs.ioctl_dev") != std::string::npos);
    if (abi >= 4) CHECK(p.unenforced().empty());
    if (abi < 4) CHECK(p.unenforced() == std::vector<std::string>{"net.connect_tcp"});
}

static std::vector<vigil::AllowEntry> path_globs(const std::vector<std::string>& globs) {
    std::vector<vigil::AllowEntry> out;
    for (const auto& g : globs) {
        std::string problem;
        auto e = vigil::parse_allow_entry(vigil::AllowListKind::Path, g, problem);
        REQUIRE_MESSAGE(e, problem);
        out.push_back(*e);
    }
    return out;
}

TEST_CASE("path allow-lists: globs expanded to file rules, the loader included, coverage reported") {
    ProfileDir d;
    d.write("bin/tool", "#!/bin/sh\nexit 0\n");
    d.write("bin/other", "#!/bin/sh\nexit 0\n");
    d.write("bin/sub/x", "");
    d.write("conf/a.conf", "");
    vigil::Profile p;
    vigil::NotifyPolicy exec;
    exec.syscall = "execve";
    exec.allow = path_globs({d.path() + "/bin/*", d.path() + "/missing/*"});
    p.notify["execve"] = exec;
    vigil::NotifyPolicy open;
    open.syscall = "openat";
    open.allow = path_globs({d.path() + "/conf/*.conf"});
    p.notify["openat"] = open;
    p.landlock.filesystem = true;
    p.landlock.paths["/usr/lib"] = {"/usr/lib", LandlockSettings::Read | LandlockSettings::Execute, {"p.toml", 4, 1}};

    auto c = vigil::landlock_rules_for_allow_lists(p, 7);
    auto has = [&](const std::string& path, unsigned access) {
        return std::any_of(c.rules.begin(), c.rules.end(),
                           [&](const auto& r) { return r.path == path && r.access == access; });
    };
    CHECK(has(d.path() + "/bin/tool", LandlockSettings::Execute));
    CHECK(has(d.path() + "/bin/other", LandlockSettings::Execute));
    CHECK(has(std::filesystem::canonical("/bin/sh").string(), LandlockSettings::Execute));  // the interpreter
    CHECK(has(d.path() + "/conf/a.conf", LandlockSettings::Read | LandlockSettings::Write));
    CHECK_FALSE(has(d.path() + "/bin/sub", LandlockSettings::Execute));  // a directory: no rule
    CHECK(c.covered);
    CHECK(c.problems.empty());
    // The missing glob and the directory are notes; /usr/lib is a racing app's reach.
    CHECK(c.notes.size() == 2);
    CHECK(std::any_of(c.broader.begin(), c.broader.end(), [](const std::string& b) {
        return b.find("p.toml:4:1: [landlock] also lets the kernel execute under /usr/lib") == 0;
    }));

    auto none = vigil::landlock_rules_for_allow_lists(p, 0);
    CHECK_FALSE(none.covered);
    CHECK(none.problems.size() == 1);
    // Only the listed syscalls.
    auto only_open = vigil::landlock_rules_for_allow_lists(p, 7, {"openat"});
    CHECK(only_open.rules.size() == 1);
    // No path allow-list: nothing to cover.
    CHECK_FALSE(vigil::landlock_rules_for_allow_lists(vigil::Profile{}, 7).covered);
}

TEST_CASE("learn: [landlock] generalised to directories, '/' never writable, ports listed") {
    using namespace vigil::learn;
    LearnedStats stats;
    Recorder rec(stats);
    auto open_at = [&](const std::string& path, uint64_t flags) {
        CallInfo c;
        c.nr = SYS_openat;
        c.args[0] = static_cast<uint64_t>(AT_FDCWD);
        c.args[2] = flags;
        c.path = path;
        rec.record(c, 0);
    };
    open_at("/srv/app/conf/app.conf", O_RDONLY);
    open_at("/srv/app/data/db.1", O_RDWR | O_CREAT);
    open_at("/usr/lib/jvm/java-17/lib/libjava.so", O_RDONLY);
    open_at("/proc/1234/status", O_RDONLY);
    open_at("/dev/null", O_WRONLY);
    open_at("/toplevel.log", O_WRONLY | O_CREAT);
    CallInfo conn;
    conn.nr = SYS_connect;
    conn.dest = "127.0.0.1:5432";
    rec.record(conn, 0);
    CallInfo bind = conn;
    bind.nr = SYS_bind;
    bind.dest = "[::]:8080";
    rec.record(bind, 0);

    WriteOptions o;
    std::string text = write_profile(stats, o);
    std::string ll = text.substr(text.find("[landlock]"));
    ll = ll.substr(0, ll.find("\n[learned]"));
    auto list = [&](const std::string& key) {
        size_t at = ll.find("\n" + key + " = [");
        return ll.substr(at, ll.find("]\n", at) - at);
    };
    CHECK(list("read").find("\"/srv/app/conf\"") != std::string::npos);
    CHECK(list("read").find("\"/proc\"") != std::string::npos);
    CHECK(list("write").find("\"/srv/app/data\"") != std::string::npos);
    CHECK(list("write").find("\"/dev/null\"") != std::string::npos);
    CHECK(list("write").find("\"/toplevel.log\"") != std::string::npos);  // the file, not '/'
    CHECK(list("write").find("\"/\",") == std::string::npos);
    CHECK(list("execute").find("\"/usr/lib\"") != std::string::npos);
    CHECK(ll.find("bind_tcp = [8080]") != std::string::npos);
    CHECK(ll.find("connect_tcp = [5432]") != std::string::npos);
    CHECK(ll.find("scope = [\"signal\", \"abstract_unix\"]") != std::string::npos);

    // The written profile loads, [landlock] included.
    ProfileDir d;
    auto p = vigil::load_profile(d.write("learned.toml", text));
    CHECK(p.landlock.paths.count("/srv/app/data"));

    o.landlock = false;
    CHECK(write_profile(stats, o).find("[landlock]") == std::string::npos);
}

TEST_CASE("ABI negotiation: an older kernel handles fewer rights and says which it cannot enforce") {
    LandlockSettings s;
    s.present = s.filesystem = s.bind_tcp = s.connect_tcp = true;
    s.scope_signal = s.scope_abstract_unix = true;
    auto names = [](const vigil::LandlockCoverage& c) {
        std::string out;
        for (const auto& u : c.unenforced) out += u + " ";
        return out;
    };
    auto v7 = vigil::landlock_coverage(s, {}, 7);
    CHECK(v7.unenforced.empty());
    CHECK(v7.net == 3);
    CHECK(v7.scope == 3);
    auto v6 = vigil::landlock_coverage(s, {}, 6);
    CHECK(v6.unenforced.empty());  // ABI 7 adds no right
    auto v5 = vigil::landlock_coverage(s, {}, 5);
    CHECK(names(v5) == "scope.abstract_unix scope.signal ");
    CHECK(v5.scope == 0);
    auto v3 = vigil::landlock_coverage(s, {}, 3);
    CHECK(names(v3) == "net.bind_tcp net.connect_tcp fs.ioctl_dev scope.abstract_unix scope.signal ");
    CHECK(v3.net == 0);
    CHECK((v3.fs & (1ull << 14)));      // truncate (ABI 3) still handled
    CHECK_FALSE((v3.fs & (1ull << 15)));  // ioctl_dev (ABI 5) not
    auto v1 = vigil::landlock_coverage(s, {}, 1);
    CHECK(names(v1).find("fs.refer fs.truncate ") == 0);
    auto none = vigil::landlock_coverage(s, {}, 0);
    CHECK(none.fs == 0);
    CHECK(none.wanted);
    CHECK(none.unenforced.size() == vigil::landlock_rights().size());
    // Only what the profile names is asked for: no [landlock] net keys, no net right missing.
    LandlockSettings fs_only;
    fs_only.present = fs_only.filesystem = true;
    CHECK(vigil::landlock_coverage(fs_only, {}, 3).unenforced == std::vector<std::string>{"fs.ioctl_dev"});
}

TEST_CASE("learn: the same socket family gets its peers decided, loopback and ephemeral ports generalised") {
    using namespace vigil::learn;
    LearnedStats stats;
    Recorder rec(stats);
    auto sock = [&](uint64_t family, uint64_t type) {
        CallInfo c;
        c.nr = SYS_socket;
        c.args[0] = family;
        c.args[1] = type;
        rec.record(c, 0);
    };
    auto conn = [&](const std::string& dest) {
        CallInfo c;
        c.nr = SYS_connect;
        c.dest = dest;
        rec.record(c, 0);
    };
    sock(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC);  // glibc's nscd probe
    sock(AF_INET6, SOCK_STREAM);
    conn("unix:/var/run/nscd/socket");
    conn("[::ffff:127.0.0.1]:5432");
    conn("127.0.0.1:5432");
    conn("10.1.2.3:443");
    auto [lo, hi] = ephemeral_ports();
    conn("127.0.0.1:" + std::to_string(lo + 7));
    std::string text = write_profile(stats, WriteOptions{});
    INFO(text);
    // Symbolic constants, one rule per family/type pair seen.
    CHECK(text.find("when = [\"arg0 == AF_UNIX\", \"arg1 & 0xf == SOCK_STREAM\"]") != std::string::npos);
    CHECK(text.find("when = [\"arg0 == AF_INET6\", \"arg1 & 0xf == SOCK_STREAM\"]") != std::string::npos);
    CHECK(text.find("== 1\"") == std::string::npos);
    // connect is notified, its peers listed.
    CHECK(text.find("notify = [\n    \"connect\",") != std::string::npos);
    REQUIRE(text.find("\n[notify.connect]") != std::string::npos);
    std::string policy = text.substr(text.find("\n[notify.connect]") + 1);
    policy = policy.substr(0, policy.find("\n[", 1));
    CHECK(policy.find("\"unix:/var/run/nscd/socket\",") != std::string::npos);
    CHECK(policy.find("\"127.0.0.0/8:5432\",  # seen: 127.0.0.1:5432") != std::string::npos);
    CHECK(policy.find("\"[::ffff:127.0.0.0/104]:5432\",") != std::string::npos);
    CHECK(policy.find("\"10.1.2.3:443\",") != std::string::npos);
    CHECK(policy.find("\"127.0.0.0/8:" + std::to_string(lo) + "-" + std::to_string(hi) + "\",") != std::string::npos);
    CHECK(policy.find("(socket custody): no race on the address") != std::string::npos);
    CHECK(policy.find("otherwise = \"errno:ECONNREFUSED\"") != std::string::npos);
    // The ephemeral port makes connect_tcp unconfined (Landlock has no port ranges), said so.
    CHECK(text.find("\n# connect_tcp = [443, 5432, " + std::to_string(lo + 7) + "]") != std::string::npos);
    CHECK(text.find("UDP has no Landlock rule") != std::string::npos);
    // It loads, and the policy holds what was written.
    ProfileDir d;
    auto p = vigil::load_profile(d.write("learned.toml", text));
    REQUIRE(p.notify.count("connect"));
    CHECK(p.notify.at("connect").allow.size() == 5);
    CHECK_FALSE(p.landlock.connect_tcp);

    // Without the ephemeral peer connect_tcp is confined to the ports seen.
    LearnedStats fixed;
    Recorder r2(fixed);
    CallInfo c;
    c.nr = SYS_connect;
    c.dest = "127.0.0.1:5432";
    r2.record(c, 0);
    std::string t2 = write_profile(fixed, WriteOptions{});
    CHECK(t2.find("\nconnect_tcp = [5432]") != std::string::npos);
    auto p2 = vigil::load_profile(d.write("fixed.toml", t2));
    CHECK(p2.landlock.connect_tcp);

    // A connect to a port the app bound itself (Tomcat waking its acceptor at shutdown) is to
    // its own configured port, even inside the ephemeral range: kept exact, connect_tcp confined.
    LearnedStats own;
    Recorder r3(own);
    CallInfo b;
    b.nr = SYS_bind;
    b.dest = "[::]:" + std::to_string(lo + 9);
    r3.record(b, 0);
    CallInfo self;
    self.nr = SYS_connect;
    self.dest = "[::ffff:127.0.0.1]:" + std::to_string(lo + 9);
    r3.record(self, 0);
    std::string t4 = write_profile(own, WriteOptions{});
    CHECK(t4.find("\"[::ffff:127.0.0.0/104]:" + std::to_string(lo + 9) + "\",") != std::string::npos);
    CHECK(t4.find("\nconnect_tcp = [" + std::to_string(lo + 9) + "]") != std::string::npos);

    // A destination no entry can name (an AF_UNSPEC disconnect): connect stays allowed, said so.
    CallInfo unspec;
    unspec.nr = SYS_connect;
    unspec.dest = "family 0";
    r2.record(unspec, 0);
    std::string t3 = write_profile(fixed, WriteOptions{});
    CHECK(t3.find("\n[notify.connect]") == std::string::npos);
    CHECK(t3.find("# connect is allowed to any peer: a destination no allow-list entry can name") != std::string::npos);
}
