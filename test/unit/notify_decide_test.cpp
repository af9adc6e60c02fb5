// decide() as a table, without forking: what vigil answers for each kind of call and fact.
// The property every row checks: a Continue never comes from a row whose decisive facts were
// read from the app (unless the kernel enforces paths itself, kernel_enforced).
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <sys/syscall.h>

#include <cstring>

#include "notify_session_harness.hpp"
#include "vigil/notify.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;
using notify_test::entries;

namespace {

SockAddr v4(int port) {
    SockAddr a;
    auto* in = reinterpret_cast<sockaddr_in*>(&a.ss);
    in->sin_family = AF_INET;
    in->sin_port = htons(static_cast<uint16_t>(port));
    in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    a.len = sizeof(sockaddr_in);
    return a;
}

NotifyPolicy egress(const std::string& syscall) {
    NotifyPolicy p = notify_test::policy(syscall, 3);
    p.allow = entries(syscall, {"127.0.0.1:80"});
    p.otherwise = notify_test::errno_action(ECONNREFUSED);
    return p;
}

SocketFacts copied(int type = SOCK_DGRAM, bool connected = false) {
    SocketFacts s;
    s.copy = SocketFacts::Copy::Copied;
    s.family = AF_INET;
    s.type = type;
    s.protocol = type == SOCK_STREAM ? IPPROTO_TCP : IPPROTO_UDP;
    s.connected = connected;
    return s;
}

CallFacts call(const std::string& syscall, std::initializer_list<uint64_t> args = {}) {
    CallFacts f;
    f.regs.syscall = syscall;
    f.regs.nr = *syscall_number(syscall);
    size_t i = 0;
    for (uint64_t a : args) f.regs.args[i++] = a;
    return f;
}

CopiedMessage message(std::optional<SockAddr> dest) {
    CopiedMessage m;
    m.readable = true;
    m.dest = dest;
    m.payload = {'x'};
    return m;
}

const char* kind(const Decision& d) {
    if (std::holds_alternative<Continue>(d)) return "continue";
    if (std::holds_alternative<Deny>(d)) return "deny";
    return "emulate";
}

int deny_errno(const Decision& d) {
    auto* deny = std::get_if<Deny>(&d);
    return deny && deny->action.kind == ActionKind::Errno ? deny->action.errno_value : 0;
}

struct Row {
    const char* what;
    NotifyPolicy policy;
    CallFacts facts;
    bool from_memory;  // the row's decisive facts were read from the app
    const char* expect;
    int errno_value = 0;
};

}  // namespace

TEST_CASE("decide(): the table") {
    NotifyPolicy ready_only = notify_test::policy("execve", 1);
    ready_only.by_phase["startup"] = notify_test::allow_action();
    ready_only.by_phase["ready"] = notify_test::errno_action(EPERM);
    NotifyPolicy no_entry = notify_test::policy("execve", 1);
    NotifyPolicy exec_list = notify_test::policy("execve", 1);
    exec_list.allow = entries("execve", {"/usr/bin/*", "/proc/self/*"});
    NotifyPolicy exec_kernel = exec_list;
    exec_kernel.kernel_enforced = true;

    std::vector<Row> rows;
    auto add = [&](const char* what, NotifyPolicy p, CallFacts f, bool mem, const char* expect, int e = 0) {
        rows.push_back({what, std::move(p), std::move(f), mem, expect, e});
    };
    {
        CallFacts f = call("execve");
        add("phase allows, no list", ready_only, f, false, "continue");
        f.regs.phase = Phase::Ready;
        add("phase denies", ready_only, f, false, "deny", EPERM);
        add("no phase entry, no list: otherwise", no_entry, f, false, "deny", EPERM);
    }
    {
        CallFacts f = call("execve");
        f.app.path_read = true;
        f.app.path = "/usr/bin/java";
        add("exec path matches, no [landlock]", exec_list, f, true, "deny", EPERM);
        add("exec path matches, kernel enforces", exec_kernel, f, true, "continue");
        f.app.path = "/bin/sh";
        add("exec path matches nothing, kernel enforces", exec_kernel, f, true, "deny", EPERM);
        f.app.path = "/proc/self/exe";
        add("/proc/self refused even when listed", exec_kernel, f, true, "deny", EPERM);
        f.app.path_read = false;
        add("unreadable path", exec_kernel, f, true, "deny", EPERM);
    }
    {
        CallFacts f = call("connect", {3, 0x1000, sizeof(sockaddr_in)});
        f.app.address_read = true;
        f.app.address = v4(80);
        f.app.socket = copied(SOCK_STREAM);
        add("connect allowed: emulated", egress("connect"), f, true, "emulate");
        f.app.address = v4(81);
        add("connect forbidden", egress("connect"), f, true, "deny", ECONNREFUSED);
        f.app.address = v4(80);
        f.app.socket.copy = SocketFacts::Copy::Refused;
        f.app.socket.error = EPERM;
        add("connect allowed, socket copy refused: fail closed", egress("connect"), f, true, "deny", ECONNREFUSED);
        f.app.socket.copy = SocketFacts::Copy::NoSuchFd;
        f.app.socket.error = EBADF;
        add("connect on no socket", egress("connect"), f, true, "deny", EBADF);
        f.app.address_read = false;
        add("connect address unreadable", egress("connect"), f, true, "deny", ECONNREFUSED);
    }
    {
        add("sendto without destination: registers", egress("sendto"), call("sendto", {3, 1, 1, 0, 0, 0}),
            false, "continue");
        CallFacts f = call("sendto", {3, 1, 1, MSG_FASTOPEN, 0x1000, 16});
        f.app.socket = copied(SOCK_STREAM);
        f.app.messages = {message(v4(81))};
        add("sendto MSG_FASTOPEN forbidden", egress("sendto"), f, true, "deny", ECONNREFUSED);
        f.app.messages = {message(v4(80))};
        add("sendto MSG_FASTOPEN allowed: emulated", egress("sendto"), f, true, "emulate");
    }
    {
        CallFacts f = call("sendmsg", {3, 0x1000, 0});
        f.app.socket = copied();
        f.app.messages = {message(std::nullopt)};
        add("sendmsg msg_name NULL: emulated, never continued", egress("sendmsg"), f, true, "emulate");
        f.app.messages = {message(v4(81))};
        add("sendmsg forbidden msg_name", egress("sendmsg"), f, true, "deny", ECONNREFUSED);
        f.app.socket = copied(SOCK_STREAM, true);
        add("sendmsg on a connected TCP stream: msg_name ignored, emulated", egress("sendmsg"), f, true, "emulate");
        f.regs.args[2] = MSG_FASTOPEN;
        add("... but not with MSG_FASTOPEN", egress("sendmsg"), f, true, "deny", ECONNREFUSED);
        f.regs.args[2] = 0;
        f.app.socket = copied();
        f.app.messages = {message(v4(80))};
        f.app.messages[0].has_control = true;
        add("sendmsg with control messages refused", egress("sendmsg"), f, true, "deny", EOPNOTSUPP);
        f.app.messages[0].has_control = false;
        f.app.messages[0].truncated = true;
        add("datagram above the payload limit refused", egress("sendmsg"), f, true, "deny", EMSGSIZE);
        f.app.socket = copied(SOCK_STREAM, true);
        add("stream above the payload limit: a short write", egress("sendmsg"), f, true, "emulate");
        f.app.messages[0].readable = false;
        add("sendmsg unreadable", egress("sendmsg"), f, true, "deny", EFAULT);
    }
    {
        CallFacts f = call("sendmmsg", {3, 0x1000, 2, 0});
        f.app.socket = copied();
        f.app.messages = {message(v4(81)), message(v4(80))};
        add("sendmmsg first forbidden", egress("sendmmsg"), f, true, "deny", ECONNREFUSED);
        f.app.messages = {message(v4(80)), message(v4(80))};
        add("sendmmsg allowed: emulated", egress("sendmmsg"), f, true, "emulate");
    }

    for (const Row& r : rows) {
        CAPTURE(std::string(r.what));
        Decision d = decide(r.policy, r.facts);
        CHECK(std::string(kind(d)) == r.expect);
        if (r.errno_value) CHECK(deny_errno(d) == r.errno_value);
        // The structural property: facts read from the app never lead to Continue, except
        // through kernel_enforced (the kernel decides the object itself).
        if (r.from_memory && !r.policy.kernel_enforced) CHECK(std::string(kind(d)) != "continue");
    }
}

TEST_CASE("decide(): sendmmsg sends what comes before a forbidden entry") {
    CallFacts f = call("sendmmsg", {3, 0x1000, 3, 0});
    f.app.socket = copied();
    f.app.messages = {message(v4(80)), message(v4(81)), message(v4(80))};
    Decision d = decide(egress("sendmmsg"), f);
    REQUIRE(std::holds_alternative<Emulate>(d));
    CHECK(std::get<Emulate>(d).messages.size() == 1);
    CHECK(std::get<Emulate>(d).multi);
}

TEST_CASE("decide(): a connected TCP stream's msg_name is dropped from the copy") {
    CallFacts f = call("sendmsg", {3, 0x1000, 0});
    f.app.socket = copied(SOCK_STREAM, true);
    f.app.messages = {message(v4(81))};
    Decision d = decide(egress("sendmsg"), f);
    REQUIRE(std::holds_alternative<Emulate>(d));
    CHECK_FALSE(std::get<Emulate>(d).messages[0].dest.has_value());
}

TEST_CASE("decide_on_registers(): never decides a call whose allow-list needs memory") {
    CHECK_FALSE(decide_on_registers(egress("connect"), call("connect", {3, 1, 16}).regs));
    CHECK_FALSE(decide_on_registers(egress("sendmsg"), call("sendmsg", {3, 1, 0}).regs));
    CHECK_FALSE(decide_on_registers(egress("sendto"), call("sendto", {3, 1, 1, 0, 1, 16}).regs));
    NotifyPolicy exec = notify_test::policy("execve", 1);
    exec.allow = entries("execve", {"/usr/bin/*"});
    exec.kernel_enforced = true;
    CHECK_FALSE(decide_on_registers(exec, call("execve").regs));
}
