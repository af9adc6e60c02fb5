// Well-formed profiles: includes and per-syscall overrides, group precedence inside a file,
// notify defaults, settings, conditions, actions.
#include <doctest/doctest.h>
#include <fcntl.h>
#include <sched.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <algorithm>
#include <set>

#include "profile_files.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/profile.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;

namespace {

std::vector<const SyscallRule*> rules_for(const Profile& p, const std::string& syscall) {
    std::vector<const SyscallRule*> out;
    for (const auto& r : p.rules)
        if (r.syscall == syscall) out.push_back(&r);
    return out;
}

// The action of the single unconditional rule for SYSCALL, or nullopt.
std::optional<Action> plain_action(const Profile& p, const std::string& syscall) {
    auto rules = rules_for(p, syscall);
    if (rules.size() != 1 || !rules[0]->conditions.empty()) return std::nullopt;
    return rules[0]->action;
}

const Action kAllow{ActionKind::Allow, 0};
const Action kEperm{ActionKind::Errno, EPERM};
const Action kKill{ActionKind::KillProcess, 0};

const char kBase[] = R"(
[process]
user = "app"
group = "staff"
capabilities = ["NET_BIND_SERVICE"]

[seccomp]
default = "errno:EPERM"
allow = ["@basic-io", "socket"]
notify = ["execve"]

[seccomp.deny]
ptrace = "kill-process"

[notify.execve]
startup = "allow"
ready = "errno:EACCES"

[supervise]
stop_timeout_ms = 3000
remap_exit = [143]
)";

}  // namespace

TEST_CASE("an included profile is the lower layer; the including file overrides per syscall") {
    test::ProfileDir dir;
    dir.write("base.toml", kBase);
    std::string app = dir.write("app.toml", R"(
include = "base.toml"
[process]
user = 1000
[seccomp]
default = "kill-process"
[[seccomp.rule]]
syscall = "socket"
action = "allow"
when = ["arg0 == AF_UNIX"]
[supervise]
signal_group = true
)");
    Profile p = load_profile(app);
    CHECK(p.files == std::vector<std::string>{dir.path() + "/base.toml", app});
    CHECK(p.has_seccomp);
    CHECK(p.default_action == kKill);
    // socket: the base's unconditional allow is gone; only the app's rule remains.
    auto socket = rules_for(p, "socket");
    REQUIRE(socket.size() == 1);
    REQUIRE(socket[0]->conditions.size() == 1);
    CHECK(socket[0]->conditions[0].value == AF_UNIX);
    CHECK(socket[0]->where.file == app);
    CHECK(socket[0]->where.line == 7);
    // What the app does not mention stays as the base said.
    CHECK(plain_action(p, "read") == kAllow);
    CHECK(plain_action(p, "ptrace") == kKill);
    CHECK(plain_action(p, "execve") == Action{ActionKind::Notify, 0});
    REQUIRE(p.notify.count("execve"));
    CHECK(p.notify.at("execve").by_phase.at("ready") == Action{ActionKind::Errno, EACCES});
    // Scalars: key by key.
    CHECK(p.process.user == "1000");
    CHECK(p.process.group == "staff");
    CHECK(p.process.capabilities == std::vector<std::string>{"NET_BIND_SERVICE"});
    CHECK(p.supervise.stop_timeout_ms == 3000);
    CHECK(p.supervise.remap_exit == std::vector<int>{143});
    CHECK(p.supervise.signal_group);
}

TEST_CASE("mentioning a notified syscall in a later layer drops the earlier [notify] table") {
    test::ProfileDir dir;
    dir.write("base.toml", kBase);
    std::string app = dir.write("app.toml", "include = [\"base.toml\"]\n[seccomp]\nallow = [\"execve\"]\n");
    Profile p = load_profile(app);
    CHECK(plain_action(p, "execve") == kAllow);
    CHECK(p.notify.empty());
}

TEST_CASE("a later [notify.X] table alone replaces the earlier table and keeps the rule") {
    test::ProfileDir dir;
    dir.write("base.toml", kBase);
    std::string app = dir.write("app.toml", "include = [\"base.toml\"]\n[notify.execve]\n"
                                            "allow = [\"/usr/bin/*\"]\notherwise = \"errno:EACCES\"\n");
    Profile p = load_profile(app);
    CHECK(plain_action(p, "execve") == Action{ActionKind::Notify, 0});
    const NotifyPolicy& n = p.notify.at("execve");
    CHECK(n.by_phase.empty());  // the base's phases are not merged in: the table is replaced
    REQUIRE(n.allow.size() == 1);
    CHECK(n.allow[0].text == "/usr/bin/*");
    CHECK(n.otherwise == Action{ActionKind::Errno, EACCES});
    CHECK(n.where.file == app);
}

TEST_CASE("a notified syscall without a table gets the documented defaults") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", "[seccomp]\nnotify = [\"connect\"]\n");
    Profile p = load_profile(a);
    const NotifyPolicy& n = p.notify.at("connect");
    CHECK(n.syscall == "connect");
    CHECK(n.by_phase.empty());
    CHECK(n.allow.empty());
    CHECK(n.otherwise == kEperm);
    CHECK(n.fallback == kEperm);
    CHECK_FALSE(n.kernel_enforced);
    CHECK(n.where.str() == a + ":2:11");
}

TEST_CASE("a conditional notify rule also gets a policy") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", R"([[seccomp.rule]]
syscall = "socket"
action = "notify"
when = ["arg0 == AF_NETLINK"]
[notify.socket]
startup = "allow"
fallback = "errno:EAFNOSUPPORT"
)");
    Profile p = load_profile(a);
    CHECK(p.notify.at("socket").by_phase.at("startup") == kAllow);
    CHECK(p.notify.at("socket").fallback == Action{ActionKind::Errno, EAFNOSUPPORT});
}

TEST_CASE("notify tables: phases, address and path allow lists") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", R"([seccomp]
notify = ["connect", "execve"]
[notify.connect]
allow = ["127.0.0.0/8:*", "10.1.0.0/16:5432", "[::1]:8080-8090", "[fd00::/8]:443", "unix:/run/pg/.s.PGSQL.5432", "0.0.0.0/0:53"]
otherwise = "errno:ECONNREFUSED"
[notify.execve]
startup = "allow"
ready = "kill-process"
allow = ["/usr/bin/*"]
)");
    Profile p = load_profile(a);
    CHECK(p.notify.at("connect").allow.size() == 6);
    const auto& allow = p.notify.at("connect").allow;
    CHECK(allow[1].kind == AllowEntry::Kind::Inet);
    CHECK(allow[1].port_lo == 5432);
    CHECK(allow[1].prefix == 16);
    CHECK(allow[4].kind == AllowEntry::Kind::UnixPath);
    CHECK(allow[4].where.str() == a + ":4:84");
    CHECK(p.notify.at("connect").otherwise == Action{ActionKind::Errno, ECONNREFUSED});
    CHECK(p.notify.at("execve").by_phase.at("ready") == kKill);
}

TEST_CASE("inside one file, a name written out beats a group; between groups deny wins") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", R"([seccomp]
allow = ["@system-service", "mount"]
[seccomp.deny]
kill = "errno:EPERM"
"@mount" = "kill-process"
"@keyring" = "errno:ENOSYS"
)");
    Profile p = load_profile(a);
    CHECK(plain_action(p, "kill") == kEperm);              // explicit deny over group allow
    CHECK(plain_action(p, "mount") == kAllow);             // explicit allow over group deny
    CHECK(plain_action(p, "umount2") == kKill);            // only in the deny group
    CHECK(plain_action(p, "keyctl") == Action{ActionKind::Errno, ENOSYS});  // deny group > allow group
    CHECK(plain_action(p, "read") == kAllow);
}

TEST_CASE("conditional rules replace a group's unconditional allow for that syscall") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", R"([seccomp]
allow = ["@network-io"]
[[seccomp.rule]]
syscall = "socket"
action = "allow"
when = ["arg0 == AF_INET"]
[[seccomp.rule]]
syscall = "socket"
action = "allow"
when = ["arg0 == AF_INET6", "arg1 & SOCK_STREAM|SOCK_DGRAM == SOCK_STREAM"]
)");
    Profile p = load_profile(a);
    auto socket = rules_for(p, "socket");
    REQUIRE(socket.size() == 2);
    for (auto* r : socket) CHECK_FALSE(r->conditions.empty());
    CHECK(socket[1]->conditions[1].op == CmpOp::MaskedEq);
    CHECK(socket[1]->conditions[1].mask == (SOCK_STREAM | SOCK_DGRAM));
    CHECK(socket[1]->conditions[1].value == SOCK_STREAM);
    CHECK(plain_action(p, "connect") == kAllow);
}

TEST_CASE("conditional rules replace a group's decision, unless they only carve out denials") {
    // An allowing rule says exactly where the call is permitted, so the group's unconditional
    // allow goes; a stricter rule is an exception to it, so both stay and deny wins decides.
    test::ProfileDir dir;
    dir.write("base.toml", kBase);
    std::string a = dir.write("a.toml", R"(include = "base.toml"
[seccomp]
allow = ["@system-service"]
[[seccomp.rule]]
syscall = "clone"
action = "allow"
when = ["arg0 & CLONE_NEWUSER == 0"]
[[seccomp.rule]]
syscall = "read"
action = "errno:EBADF"
when = ["arg0 > 1000"]
)");
    Profile p = load_profile(a);
    std::map<std::string, std::pair<int, int>> counts;  // syscall -> (plain, conditional)
    for (const auto& r : p.rules)
        (r.conditions.empty() ? counts[r.syscall].first : counts[r.syscall].second)++;
    CHECK(counts["clone"] == std::make_pair(0, 1));
    CHECK(counts["read"].first == 1);
    CHECK(counts["read"].second >= 1);
    int nr = *syscall_number("read");
    uint64_t low_fd[6] = {3, 0, 0, 0, 0, 0}, high_fd[6] = {2000, 0, 0, 0, 0, 0};
    CHECK(evaluate(p, nr, low_fd).action.str() == "allow");
    CHECK(evaluate(p, nr, high_fd).action.str() == "errno:EBADF");
}

TEST_CASE("an explicit allow with a looser or equal rule for the same syscall is an error") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", R"([seccomp]
allow = ["read"]
[[seccomp.rule]]
syscall = "read"
action = "allow"
when = ["arg0 > 1000"]
)");
    std::string text;
    try {
        load_profile(a);
    } catch (const Error& e) {
        text = e.what();
    }
    CHECK(text.find("'read' is named in both seccomp.allow") != std::string::npos);
}

TEST_CASE("rules come out in syscall-number order") {
    test::ProfileDir dir;
    std::string a = dir.write("a.toml", "[seccomp]\nallow = [\"write\", \"read\", \"@default\"]\n");
    Profile p = load_profile(a);
    int last = -1;
    for (const auto& r : p.rules) {
        int nr = *syscall_number(r.syscall);
        CHECK(nr >= last);
        last = nr;
    }
    CHECK(p.rules.front().syscall == "read");
}

TEST_CASE("a diamond of includes is not a cycle") {
    test::ProfileDir dir;
    dir.write("base.toml", "[seccomp]\nallow = [\"read\"]\n");
    dir.write("b.toml", "include = \"base.toml\"\ncomplain = true\n");
    dir.write("c.toml", "include = \"base.toml\"\n[audit]\nformat = \"fhir\"\n");
    Profile p = load_profile(dir.write("a.toml", "include = [\"b.toml\", \"c.toml\"]\n"));
    CHECK(p.complain);
    CHECK(p.audit.format == "fhir");
    CHECK(p.files.size() == 5);
    CHECK(plain_action(p, "read") == kAllow);
}

TEST_CASE("a profile without [seccomp] has no filter; its settings still count") {
    test::ProfileDir dir;
    Profile p = load_profile(dir.write("a.toml", R"([process]
user = "fhir"
groups = ["audio", 44]
capabilities = ["cap_net_bind_service", "CAP_CHOWN", "kill"]
no_new_privs = true
[phases.ready]
tcp_listen = 8080
output_match = "Server startup in \\d+ ms"
http_get = "http://127.0.0.1:8080/metadata"
after_ms = 30000
[audit]
sink = "/var/log/vigil.jsonl"
)"));
    CHECK_FALSE(p.has_seccomp);
    CHECK(p.rules.empty());
    CHECK(p.process.user == "fhir");
    CHECK_FALSE(p.process.group);
    CHECK(p.process.groups == std::vector<std::string>{"audio", "44"});
    CHECK(p.process.capabilities == std::vector<std::string>{"NET_BIND_SERVICE", "CHOWN", "KILL"});
    REQUIRE(p.ready);
    CHECK(p.ready->tcp_listen == 8080);
    CHECK(p.ready->output_match == "Server startup in \\d+ ms");
    CHECK(p.ready->after_ms == 30000);
    CHECK(p.ready->timeout_ms == 0);
    CHECK(p.audit.sink == "/var/log/vigil.jsonl");
}

TEST_CASE("a later [phases.ready] overrides key by key") {
    test::ProfileDir dir;
    dir.write("base.toml", "[phases.ready]\ntcp_listen = 8080\n");
    Profile p = load_profile(
        dir.write("a.toml", "include = \"base.toml\"\n[phases.ready]\ntimeout_ms = 60000\n"));
    REQUIRE(p.ready);
    CHECK(p.ready->tcp_listen == 8080);
    CHECK(p.ready->timeout_ms == 60000);
}

TEST_CASE("actions parse and print back the same") {
    for (const char* text : {"allow", "errno:EPERM", "errno:ENOSYS", "errno:ECONNREFUSED",
                             "kill-process", "kill-thread", "trap", "log", "notify"}) {
        std::string error;
        auto a = parse_action(text, error);
        REQUIRE_MESSAGE(a, text);
        CHECK(a->str() == text);
    }
    std::string error;
    CHECK(parse_action("kill", error) == kKill);  // "kill" always means the process
    CHECK_FALSE(parse_action("errno:", error));
    CHECK_FALSE(parse_action("ALLOW", error));
    CHECK(error.find("did you mean 'allow'") != std::string::npos);
    CHECK(Action{ActionKind::Errno, 4000}.str() == "errno:4000");
}

TEST_CASE("conditions: operators, numbers, constants, masks") {
    struct Case {
        const char* text;
        unsigned index;
        CmpOp op;
        uint64_t value;
        uint64_t mask;
    };
    const Case cases[] = {
        {"arg0 == AF_INET", 0, CmpOp::Eq, AF_INET, 0},
        {"arg1 != 0x10", 1, CmpOp::Ne, 16, 0},
        {"arg2 < 010", 2, CmpOp::Lt, 8, 0},
        {"arg3 <= 42", 3, CmpOp::Le, 42, 0},
        {"arg4 > 0", 4, CmpOp::Gt, 0, 0},
        {"arg5 >= 18446744073709551615", 5, CmpOp::Ge, UINT64_MAX, 0},
        {"  arg0==O_WRONLY|O_CREAT  ", 0, CmpOp::Eq, O_WRONLY | O_CREAT, 0},
        {"arg0 & CLONE_NEWUSER | CLONE_NEWNS == 0", 0, CmpOp::MaskedEq, 0,
         CLONE_NEWUSER | CLONE_NEWNS},
        {"arg2 & O_ACCMODE == O_RDONLY", 2, CmpOp::MaskedEq, O_RDONLY, O_ACCMODE},
        {"arg0 == TIOCSTI", 0, CmpOp::Eq, TIOCSTI, 0},
    };
    for (const auto& c : cases) {
        CAPTURE(c.text);
        std::string error;
        auto cond = parse_condition(c.text, error);
        REQUIRE_MESSAGE(cond, error);
        CHECK(cond->index == c.index);
        CHECK(cond->op == c.op);
        CHECK(cond->value == c.value);
        CHECK(cond->mask == c.mask);
        CHECK(cond->text == c.text);
        // The printed form reads back as the same condition.
        auto again = parse_condition(condition_str(*cond), error);
        REQUIRE_MESSAGE(again, condition_str(*cond));
        CHECK(*again == *cond);
    }
}

TEST_CASE("SourcePos prints FILE:LINE:COL, or FILE alone without a line") {
    CHECK(SourcePos{"a.toml", 3, 7}.str() == "a.toml:3:7");
    CHECK(SourcePos{"a.toml", 0, 0}.str() == "a.toml");
}

TEST_CASE("no_new_privs may be off without a filter, or when the app keeps CAP_SYS_ADMIN") {
    test::ProfileDir dir;
    Profile a = load_profile(dir.write("a.toml", "[process]\nno_new_privs = false\n"));
    CHECK_FALSE(a.process.no_new_privs);
    Profile b = load_profile(dir.write("b.toml", "[process]\nno_new_privs = false\n"
                                                 "capabilities = [\"SYS_ADMIN\"]\n[seccomp]\n"
                                                 "allow = [\"read\"]\n"));
    CHECK_FALSE(b.process.no_new_privs);
}

TEST_CASE("tests on 32-bit arguments decide on what the kernel reads, whatever the upper bits") {
    // seccomp sees 64 bits, the kernel reads 32: socket(0x100000028) is an AF_VSOCK socket.
    test::ProfileDir dir;
    Profile allowlist = load_profile(dir.write("a.toml", R"([[seccomp.rule]]
syscall = "socket"
action = "allow"
when = ["arg0 != AF_VSOCK"]
[[seccomp.rule]]
syscall = "ioctl"
action = "allow"
when = ["arg1 != TIOCSTI"]
)"));
    Profile denylist = load_profile(dir.write("b.toml", R"([seccomp]
default = "allow"
[[seccomp.rule]]
syscall = "socket"
action = "errno:EAFNOSUPPORT"
when = ["arg0 == AF_PACKET", "arg2 == 0"]
[[seccomp.rule]]
syscall = "personality"
action = "errno:EPERM"
when = ["arg0 <= PER_LINUX32"]
)"));
    auto decide = [](const Profile& p, const char* syscall, uint64_t a0, uint64_t a1, uint64_t a2) {
        uint64_t args[6] = {a0, a1, a2, 0, 0, 0};
        return evaluate(p, *syscall_number(syscall), args).action;
    };
    const uint64_t hi = 1ull << 32;
    CHECK(decide(allowlist, "socket", AF_INET, 0, 0) == kAllow);
    CHECK(decide(allowlist, "socket", AF_VSOCK, 0, 0) == kEperm);
    CHECK(decide(allowlist, "socket", hi | AF_VSOCK, 0, 0) == kEperm);
    CHECK(decide(allowlist, "ioctl", 0, TCGETS, 0) == kAllow);
    CHECK(decide(allowlist, "ioctl", 0, TIOCSTI, 0) == kEperm);
    CHECK(decide(allowlist, "ioctl", 0, hi | TIOCSTI, 0) == kEperm);
    const Action eafnosupport{ActionKind::Errno, EAFNOSUPPORT};
    CHECK(decide(denylist, "socket", AF_PACKET, 0, 0) == eafnosupport);
    CHECK(decide(denylist, "socket", hi | AF_PACKET, 0, hi) == eafnosupport);
    CHECK(decide(denylist, "socket", AF_INET, 0, 0) == kAllow);
    CHECK(decide(denylist, "personality", PER_LINUX32, 0, 0) == kEperm);
    CHECK(decide(denylist, "personality", hi | PER_LINUX, 0, 0) == kEperm);
    CHECK(decide(denylist, "personality", UNAME26, 0, 0) == kAllow);
    // A rewritten condition says where it came from; untouched ones stay as written.
    for (const auto& r : allowlist.rules) {
        CAPTURE(r.syscall);
        CHECK(r.conditions.at(0).text.find("(from 'arg") != std::string::npos);
    }
    Profile plain = load_profile(dir.write("c.toml", "[[seccomp.rule]]\nsyscall = \"socket\"\n"
                                                     "action = \"allow\"\nwhen = [\"arg0 == AF_INET\"]\n"));
    REQUIRE(plain.rules.size() == 1);
    CHECK(plain.rules[0].conditions[0].text == "arg0 == AF_INET");
}
