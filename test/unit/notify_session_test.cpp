// The decision engine end to end: a real filtered child, a real event loop, the audit file.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>

#include <atomic>
#include <cerrno>
#include <thread>

#include "notify_session_harness.hpp"

using namespace vigil;
using namespace notify_test;

namespace {

// A TCP server on 127.0.0.1 that the test's event loop accepts on and counts.
struct Server {
    int fd = -1;
    int port = 0;
    int accepted = 0;
    Server() {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(listen(fd, 4096) == 0);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~Server() { close(fd); }
    void serve(EventLoop& loop) {
        loop.watch(fd, EPOLLIN, [this](uint32_t) {
            int c;
            while ((c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC)) >= 0) {
                ++accepted;
                close(c);
            }
        });
    }
};

sockaddr_in loopback(int port) {
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(static_cast<uint16_t>(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    return a;
}

int peer_port(int fd) {
    sockaddr_in a{};
    socklen_t len = sizeof a;
    if (getpeername(fd, reinterpret_cast<sockaddr*>(&a), &len) != 0) return -1;
    return ntohs(a.sin_port);
}

Profile connect_profile(int allowed_port) {
    Profile p;
    p.has_seccomp = true;
    NotifyPolicy c = policy("connect", 20);
    c.allow = entries("connect", {"127.0.0.1:" + std::to_string(allowed_port),
                                  "[::1]:" + std::to_string(allowed_port)});
    c.otherwise = errno_action(ECONNREFUSED);
    p.notify["connect"] = c;
    return p;
}

}  // namespace

TEST_CASE("exec is allowed in startup and denied with EPERM once ready") {
    Profile p;
    p.has_seccomp = true;
    NotifyPolicy ex = policy("execve", 12);
    ex.by_phase = {{"startup", allow_action()}, {"ready", errno_action(EPERM)}};
    p.notify["execve"] = ex;
    p.ready = ReadyCondition{};
    p.ready->after_ms = 300;
    SessionRun run = run_session(p, {}, {SYS_execve}, [] {
        pid_t kid = fork();
        if (kid == 0) {
            execl("/bin/true", "true", nullptr);
            _exit(99);
        }
        int st = 0;
        waitpid(kid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) return 1;  // startup: exec worked
        usleep(900 * 1000);
        errno = 0;
        execl("/bin/true", "true", "after-ready", nullptr);
        return errno == EPERM ? 0 : 2;
    });
    CHECK(run.exit_code == 0);
    auto decisions = run.events("decision");
    REQUIRE(decisions.size() == 2);
    CHECK(decisions[0]["decision"] == "allow");
    CHECK(decisions[0]["phase"] == "startup");
    CHECK(decisions[0]["syscall"] == "execve");
    CHECK(decisions[1]["decision"] == "errno:EPERM");
    CHECK(decisions[1]["outcome"] == "denied");
    CHECK(decisions[1]["phase"] == "ready");
    CHECK(decisions[1]["rule"] == "test.toml:12");
    auto phases = run.events("phase");
    REQUIRE(phases.size() == 1);
    CHECK(phases[0]["phase"] == "ready");
    auto summary = run.events("summary");
    REQUIRE(summary.size() == 1);
    CHECK(summary[0]["decisions"]["execve"]["allowed"] == 1);
    CHECK(summary[0]["decisions"]["execve"]["denied"] == 1);
}

TEST_CASE("audit event fields of a decision") {
    Profile p;
    p.has_seccomp = true;
    NotifyPolicy ex = policy("execve", 7);
    ex.allow = entries("execve", {"/usr/bin/*"});
    ex.otherwise = errno_action(EACCES);
    p.notify["execve"] = ex;
    SessionRun run = run_session(p, {}, {SYS_execve}, [] {
        prctl(PR_SET_NAME, "worker-7");
        errno = 0;
        execl("/bin/sh", "sh", "-c", "echo pwned", nullptr);
        return errno == EACCES ? 0 : 1;
    });
    CHECK(run.exit_code == 0);
    auto d = run.events("decision");
    REQUIRE(d.size() == 1);
    const auto& e = d[0];
    CHECK(e["time"].get<std::string>().size() == 27);  // 2026-11-22T08:40:00.123456Z
    CHECK(e["pid"].get<int>() > 0);
    CHECK(e["tid"] == e["pid"]);
    CHECK(e["thread"] == "worker-7");
    CHECK(!e["exe"].get<std::string>().empty());
    CHECK(e["syscall"] == "execve");
    CHECK(e["nr"] == SYS_execve);
    CHECK(e["args"].size() == 6);
    CHECK(e["decoded"]["path"] == "/bin/sh");
    CHECK(e["decoded"]["argv"] == "sh -c echo pwned");
    CHECK(e["phase"] == "startup");
    CHECK(e["rule"] == "test.toml:7");
    CHECK(e["decision"] == "errno:EACCES");
    CHECK(e["mode"] == "enforce");
}

TEST_CASE("exec on a matching path continues only when the kernel enforces paths; else denied") {
    for (bool racy : {true, false}) {
        Profile p;
        p.has_seccomp = true;
        NotifyPolicy ex = policy("execve", 7);
        ex.allow = entries("execve", {"/bin/t*", "/usr/bin/t*"});
        ex.kernel_enforced = racy;
        p.notify["execve"] = ex;
        SessionRun run = run_session(p, {}, {SYS_execve}, [] {
            execl("/bin/true", "true", nullptr);
            return errno == EPERM ? 42 : 1;
        });
        CHECK(run.exit_code == (racy ? 0 : 42));
        auto d = run.events("decision");
        REQUIRE(d.size() == 1);
        CHECK(d[0]["reason"].get<std::string>().find(racy ? "the kernel ([landlock]) decides" : "[landlock] section") !=
              std::string::npos);
    }
}

TEST_CASE("connect to an allowed loopback port is performed by vigil; a forbidden one is refused") {
    Server allowed, forbidden;
    Profile p = connect_profile(allowed.port);
    int a = allowed.port, f = forbidden.port;
    SessionRun run = run_session(
        p, {}, {SYS_connect},
        [a, f] {
            int s = socket(AF_INET, SOCK_STREAM, 0);
            sockaddr_in to = loopback(a);
            if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) return 1;
            if (peer_port(s) != a) return 2;
            close(s);
            s = socket(AF_INET, SOCK_STREAM, 0);
            to = loopback(f);
            errno = 0;
            if (connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to) != -1 || errno != ECONNREFUSED)
                return 3;
            close(s);
            // Non-blocking: the app sees what a non-blocking connect says.
            s = socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0);
            to = loopback(a);
            int r = connect(s, reinterpret_cast<sockaddr*>(&to), sizeof to);
            if (r != 0 && errno != EINPROGRESS) return 4;
            return 0;
        },
        [&](EventLoop& loop) {
            allowed.serve(loop);
            forbidden.serve(loop);
        });
    CHECK(run.exit_code == 0);
    CHECK(forbidden.accepted == 0);
    // A connect performed by a worker is audited after its answer, so order by address.
    std::map<std::string, std::vector<nlohmann::json>> by_address;
    for (auto& e : run.events("decision")) by_address[e["decoded"]["address"]].push_back(e);
    auto& to_allowed = by_address["127.0.0.1:" + std::to_string(a)];
    auto& to_forbidden = by_address["127.0.0.1:" + std::to_string(f)];
    REQUIRE(to_allowed.size() == 2);
    REQUIRE(to_forbidden.size() == 1);
    for (auto& e : to_allowed) {
        CHECK(e["decision"] == "allow");
        CHECK(e["reason"].get<std::string>().find("performed by vigil") != std::string::npos);
    }
    CHECK(to_forbidden[0]["decision"] == "errno:ECONNREFUSED");
}

TEST_CASE("race: rewriting the sockaddr while vigil decides never connects to a forbidden port") {
    Server allowed, forbidden;
    Profile p = connect_profile(allowed.port);
    int a = allowed.port, f = forbidden.port;
    constexpr int kRounds = 3000;
    SessionRun run = run_session(
        p, {}, {SYS_connect},
        [a, f] {
            static sockaddr_in target;
            target = loopback(a);
            std::atomic<bool> stop{false};
            std::thread flipper([&] {
                uint16_t pa = htons(static_cast<uint16_t>(a)), pf = htons(static_cast<uint16_t>(f));
                while (!stop.load(std::memory_order_relaxed)) {
                    reinterpret_cast<volatile uint16_t&>(target.sin_port) = pf;
                    reinterpret_cast<volatile uint16_t&>(target.sin_port) = pa;
                }
            });
            int wrong = 0, ok = 0;
            for (int i = 0; i < kRounds; ++i) {
                int s = socket(AF_INET, SOCK_STREAM, 0);
                if (connect(s, reinterpret_cast<sockaddr*>(&target), sizeof target) == 0) {
                    ++ok;
                    if (peer_port(s) != a) ++wrong;
                }
                close(s);
            }
            stop = true;
            flipper.join();
            // Exit code: 0 if no connection ever reached the forbidden port and both
            // outcomes were seen (so the race was really exercised).
            if (wrong) return 1;
            return ok > 0 && ok < kRounds ? 0 : 2;
        },
        [&](EventLoop& loop) {
            allowed.serve(loop);
            forbidden.serve(loop);
        },
        120000);
    CHECK(run.exit_code == 0);
    CHECK(forbidden.accepted == 0);
    CHECK(allowed.accepted > 0);
    CHECK(run.events("decision").size() == kRounds);
}

TEST_CASE("race: rewriting the exec path never runs a forbidden program") {
    std::string marker = temp_path("pwned");
    std::string script = temp_path("evil.sh");
    unlink(marker.c_str());
    {
        std::ofstream s(script);
        s << "#!/bin/sh\ntouch " << marker << "\n";
    }
    chmod(script.c_str(), 0755);
    Profile p;
    p.has_seccomp = true;
    NotifyPolicy ex = policy("execve", 3);
    ex.allow = entries("execve", {"/bin/true"});  // no [landlock]: a matching path is still refused
    p.notify["execve"] = ex;
    constexpr int kRounds = 2000;
    SessionRun run = run_session(p, {}, {SYS_execve}, [script] {
        static char path[256];
        std::string good = "/bin/true";
        strcpy(path, good.c_str());
        std::atomic<bool> stop{false};
        std::thread flipper([&] {
            while (!stop.load(std::memory_order_relaxed)) {
                strcpy(path, script.c_str());
                strcpy(path, good.c_str());
            }
        });
        int denied = 0;
        for (int i = 0; i < kRounds; ++i) {
            char* argv[] = {path, nullptr};
            execv(path, argv);
            if (errno == EPERM) ++denied;
        }
        stop = true;
        flipper.join();
        return denied == kRounds ? 0 : 1;
    }, {}, 120000);
    CHECK(run.exit_code == 0);
    struct stat st {};
    CHECK(stat(marker.c_str(), &st) != 0);
    unlink(script.c_str());
    unlink(marker.c_str());
}

TEST_CASE("complain mode: a would-be denial is logged with its rule and the call goes ahead") {
    Profile p;
    p.has_seccomp = true;
    SyscallRule rule{"getppid", errno_action(EPERM), {}, {"base.toml", 33, 5}};
    NotifyConfig cfg;
    cfg.complain = true;
    cfg.evaluate = [&](int nr, const uint64_t*) {
        return nr == SYS_getppid ? Verdict{rule.action, &rule} : Verdict{};
    };
    pid_t me = getpid();
    SessionRun run = run_session(p, cfg, {SYS_getppid}, [me] {
        return syscall(SYS_getppid) == me ? 0 : 1;
    });
    CHECK(run.exit_code == 0);
    auto d = run.events("decision");
    REQUIRE(d.size() == 1);
    CHECK(d[0]["mode"] == "complain");
    CHECK(d[0]["decision"] == "errno:EPERM");
    CHECK(d[0]["outcome"] == "allowed");
    CHECK(d[0]["rule"] == "base.toml:33");
    auto summary = run.events("summary");
    REQUIRE(summary.size() == 1);
    CHECK(summary[0]["decisions"]["getppid"]["would_deny"] == 1);
}

TEST_CASE("complain vs enforce for a notify policy that denies in this phase") {
    for (bool complain : {false, true}) {
        Profile p;
        p.has_seccomp = true;
        NotifyPolicy g = policy("getppid", 9);
        g.by_phase = {{"startup", errno_action(EACCES)}};
        p.notify["getppid"] = g;
        NotifyConfig cfg;
        cfg.complain = complain;
        cfg.evaluate = [](int, const uint64_t*) { return Verdict{}; };
        SessionRun run = run_session(p, cfg, {SYS_getppid}, [] {
            errno = 0;
            long r = syscall(SYS_getppid);
            if (r > 0) return 10;
            return errno == EACCES ? 20 : 1;
        });
        CHECK(run.exit_code == (complain ? 10 : 20));
        auto d = run.events("decision");
        REQUIRE(d.size() == 1);
        CHECK(d[0]["mode"] == (complain ? "complain" : "enforce"));
        CHECK(d[0]["decision"] == "errno:EACCES");
    }
}

TEST_CASE("kill-process as a phase action kills the caller") {
    Profile p;
    p.has_seccomp = true;
    NotifyPolicy g = policy("getppid", 9);
    g.by_phase = {{"startup", Action{ActionKind::KillProcess, 0}}};
    p.notify["getppid"] = g;
    SessionRun run = run_session(p, {}, {SYS_getppid}, [] {
        syscall(SYS_getppid);
        return 0;
    });
    CHECK(run.exit_code == 128 + SIGKILL);
    auto d = run.events("decision");
    REQUIRE(d.size() == 1);
    CHECK(d[0]["outcome"] == "killed");
}

TEST_CASE("open: vigil never opens for the app; a matching path without [landlock] is denied") {
    std::string dir = temp_path("open");
    mkdir(dir.c_str(), 0755);
    std::string readable = dir + "/data.txt";
    {
        std::ofstream f(readable);
        f << "hello";
    }
    std::string link = dir + "/mem";
    symlink("/proc/self/mem", link.c_str());
    Profile p;
    p.has_seccomp = true;
    NotifyPolicy op = policy("openat", 40);
    op.allow = entries("openat", {dir + "/*"});
    p.notify["openat"] = op;
    SessionRun run = run_session(p, {}, {SYS_openat}, [readable, link] {
        if (open(readable.c_str(), O_RDONLY | O_CLOEXEC) != -1 || errno != EPERM) return 1;
        if (open(link.c_str(), O_RDONLY) != -1 || errno != EPERM) return 2;
        if (open("/etc/hostname", O_RDONLY) != -1 || errno != EPERM) return 3;
        return 0;
    });
    CHECK(run.exit_code == 0);
    auto d = run.events("decision");
    REQUIRE(d.size() == 3);
    CHECK(d[0]["reason"].get<std::string>().find("[landlock]") != std::string::npos);
    // The second denial is identical to the first and may come as its "repeated" line, so
    // the unlisted path is looked up, not taken by position.
    bool unlisted = false;
    for (const auto& e : d)
        if (e.contains("decoded") && e["decoded"].value("path", "") == "/etc/hostname")
            unlisted = e["reason"].get<std::string>().find("matches no entry") != std::string::npos;
    CHECK(unlisted);
    unlink(link.c_str());
    unlink(readable.c_str());
    rmdir(dir.c_str());
}
