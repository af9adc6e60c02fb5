// Unit tests of learn's recorder, writer, merge and report on synthetic calls.
#include <doctest/doctest.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "../../src/learn/learn_internal.hpp"
#include "vigil/error.hpp"
#include "vigil/learn.hpp"

using namespace vigil::learn;

namespace {

CallInfo call(int nr, std::initializer_list<uint64_t> args, const char* thread = "main") {
    CallInfo c;
    c.nr = nr;
    int i = 0;
    for (auto a : args) c.args[i++] = a;
    c.thread = thread;
    return c;
}

std::string temp_file(const std::string& text) {
    char path[] = "/tmp/vigil_learn_unit_XXXXXX";
    int fd = mkstemp(path);
    REQUIRE(fd >= 0);
    REQUIRE(write(fd, text.data(), text.size()) == static_cast<ssize_t>(text.size()));
    close(fd);
    return path;
}

// One exact learning run that reached "ready".
LearnedStats exact_ready_run() {
    LearnedStats stats;
    stats.runs = 1;
    stats.mode = "exact";
    stats.reached_ready = true;
    return stats;
}

// Ready when the app listens on TCP 8080.
WriteOptions ready_on_tcp_8080() {
    WriteOptions opt;
    opt.ready = vigil::ReadyCondition{};
    opt.ready->tcp_listen = 8080;
    return opt;
}

}  // namespace

TEST_CASE("recorder keeps counts, phases, folded thread names and socket arguments") {
    LearnedStats stats;
    Recorder rec(stats);
    rec.record(call(SYS_socket, {AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0}, "pool-1-thread-7"), 1);
    rec.set_phase(kReady);
    rec.record(call(SYS_socket, {AF_UNIX, SOCK_DGRAM, 0}, "pool-1-thread-12"), 5);
    const auto& s = stats.syscalls.at("socket");
    CHECK(s.count == 2);
    CHECK(s.first_ms == 1);
    CHECK(s.last_ms == 5);
    CHECK(s.phases == std::set<std::string>{"ready", "startup"});
    CHECK(s.threads == std::set<std::string>{"pool-N-thread-N"});
    CHECK(s.args.at(kArgFamily) == std::set<std::string>{"AF_INET", "AF_UNIX"});
    CHECK(s.args.at(kArgSocket) == std::set<std::string>{"AF_INET/SOCK_STREAM", "AF_UNIX/SOCK_DGRAM"});
}

TEST_CASE("opened paths are kept only outside the usual places, exec paths always") {
    LearnedStats stats;
    Recorder rec(stats);
    CallInfo open_lib = call(SYS_openat, {0, 0, 0});
    open_lib.path = "/usr/lib/x86_64-linux-gnu/libc.so.6";
    CallInfo open_data = call(SYS_openat, {0, 0, 0});
    open_data.path = "/data/patients.db";
    CallInfo exec = call(SYS_execve, {0, 0, 0});
    exec.path = "/usr/bin/sh";
    rec.record(open_lib, 0);
    rec.record(open_data, 0);
    rec.record(exec, 0);
    CHECK(stats.syscalls.at("openat").args.at(kArgPath) == std::set<std::string>{"/data/patients.db"});
    CHECK(stats.syscalls.at("execve").args.at(kArgPath) == std::set<std::string>{"/usr/bin/sh"});
}

TEST_CASE("argument sets stop growing at the limit and say so") {
    LearnedStats stats;
    Recorder rec(stats);
    for (uint64_t req = 0; req < kMaxArgValues + 5; ++req) rec.record(call(SYS_ioctl, {1, 0x5400 + req}), 0);
    const auto& s = stats.syscalls.at("ioctl");
    CHECK(s.args.at(kArgRequest).size() == kMaxArgValues);
    CHECK(s.overflow.count(kArgRequest) == 1);
    // Too many values: no condition, plain allow.
    stats.runs = 1;
    std::string text = write_profile(stats, {});
    CHECK(text.find("syscall = \"ioctl\"") == std::string::npos);
    CHECK(text.find("\"ioctl\",  #") != std::string::npos);
}

TEST_CASE("the writer limits socket to the pairs seen and specialises startup-only syscalls") {
    LearnedStats stats = exact_ready_run();
    Recorder rec(stats);
    rec.record(call(SYS_socket, {AF_INET6, SOCK_STREAM}), 0);
    rec.record(call(SYS_mkdir, {0, 0}), 0);
    rec.set_phase(kReady);
    rec.record(call(SYS_read, {0, 0, 0}), 0);
    rec.record(call(SYS_socket, {AF_INET6, SOCK_STREAM}), 0);
    WriteOptions opt = ready_on_tcp_8080();
    std::string text = write_profile(stats, opt);
    CHECK(text.find("syscall = \"socket\"\naction = \"allow\"\nwhen = [\"arg0 == AF_INET6\", \"arg1 & 0xf == SOCK_STREAM\"]") !=
          std::string::npos);
    CHECK(text.find("[notify.mkdir]") != std::string::npos);
    CHECK(text.find("ready = \"errno:EPERM\"") != std::string::npos);
    CHECK(text.find("\"read\",  # 1 call; ready") != std::string::npos);
    CHECK(text.find("tcp_listen = 8080") != std::string::npos);
    // Without a ready condition nothing is phase-dependent.
    std::string flat = write_profile(stats, {});
    CHECK(flat.find("\n[notify.") == std::string::npos);  // no table (comments may name one)
    CHECK(flat.find("\"mkdir\",  #") != std::string::npos);
}

TEST_CASE("clone3 becomes ENOSYS and clone gets the namespace mask") {
    LearnedStats stats;
    stats.runs = 1;
    Recorder rec(stats);
    CallInfo c3 = call(SYS_clone3, {0, 88});
    c3.clone3_flags = 0x3d0f00;  // pthread_create's flags
    rec.record(c3, 0);
    std::string text = write_profile(stats, {});
    CHECK(text.find("clone3 = \"errno:ENOSYS\"") != std::string::npos);
    CHECK(text.find("syscall = \"clone\"\naction = \"allow\"\nwhen = [\"arg0 & CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET == 0\"]") !=
          std::string::npos);
}

TEST_CASE("written statistics read back and merge with counts added") {
    LearnedStats a;
    a.runs = 1;
    a.mode = "exact";
    Recorder ra(a);
    ra.record(call(SYS_socket, {AF_INET, SOCK_STREAM}), 0);
    ra.record(call(SYS_getuid, {}), 0);
    LearnedStats b;
    b.runs = 1;
    b.mode = "exact";
    Recorder rb(b);
    rb.record(call(SYS_socket, {AF_UNIX, SOCK_STREAM}), 0);
    rb.record(call(SYS_getuid, {}), 0);
    rb.record(call(SYS_getuid, {}), 0);

    std::string path = temp_file(write_profile(a, {}));
    auto back = read_learned(path);
    std::remove(path.c_str());
    REQUIRE(back);
    CHECK(back->syscalls.at("getuid").count == 1);
    CHECK(back->syscalls.at("socket").args.at(kArgFamily) == std::set<std::string>{"AF_INET"});
    merge(*back, b);
    CHECK(back->runs == 2);
    CHECK(back->mode == "exact");
    CHECK(back->syscalls.at("getuid").count == 3);
    CHECK(back->syscalls.at("socket").args.at(kArgFamily) == std::set<std::string>{"AF_INET", "AF_UNIX"});
    // A profile without [learned] has nothing to merge.
    std::string plain = temp_file("[seccomp]\ndefault = \"allow\"\n");
    CHECK_FALSE(read_learned(plain));
    std::remove(plain.c_str());
}

TEST_CASE("equal statistics give byte-identical profiles") {
    auto make = [] {
        LearnedStats s;
        s.runs = 1;
        s.assumed = jvm_hot_baseline();
        Recorder r(s);
        r.record(call(SYS_prctl, {PR_SET_NAME}), 3);
        r.record(call(SYS_openat, {0, 0}), 7);
        return write_profile(s, {});
    };
    CHECK(make() == make());
}

TEST_CASE("the report counts the attack surface and draws one bar per syscall") {
    LearnedStats stats;
    stats.runs = 1;
    Recorder rec(stats);
    for (int i = 0; i < 1000; ++i) rec.record(call(SYS_read, {}), i);
    rec.record(call(SYS_openat, {}), 1);
    auto surface = attack_surface(stats, {});
    CHECK(surface.kernel_total > 300);
    CHECK(surface.docker_default > 250);
    CHECK(surface.docker_default < surface.kernel_total);
    CHECK(surface.allowed == 2 + 4);  // read, openat + exit essentials
    std::string svg = render_svg(stats);
    CHECK(svg.find(">read</text>") < svg.find(">openat</text>"));
    CHECK(svg.find(">1000</text>") != std::string::npos);
}

TEST_CASE("a malformed [learned] table is an error, not an empty merge") {
    auto rejects = [](const std::string& text) {
        std::string path = temp_file(text);
        bool threw = false;
        try {
            read_learned(path);
        } catch (const vigil::Error&) {
            threw = true;
        }
        std::remove(path.c_str());
        return threw;
    };
    CHECK(rejects("[learned]\nmode = \"sloppy\"\n"));
    CHECK(rejects("[learned]\nruns = -1\n"));
    CHECK(rejects("[learned.syscalls]\nread = { count = -3 }\n"));
    CHECK(rejects("[learned.syscalls]\nread = { count = 1, phases = [1, 2] }\n"));
    CHECK(rejects("[learned]\nsyscalls = 5\n"));
    CHECK(rejects("this is = not toml ["));
}

TEST_CASE("a selector's epoll and eventfd seen only at start-up stay allowed once ready") {
    LearnedStats stats = exact_ready_run();
    Recorder rec(stats);
    rec.record(call(SYS_epoll_create1, {0}), 0);
    rec.record(call(SYS_eventfd2, {0, 0}), 0);
    rec.record(call(SYS_listen, {3, 50}), 0);
    rec.set_phase(kReady);
    rec.record(call(SYS_read, {0, 0, 0}), 0);
    WriteOptions opt = ready_on_tcp_8080();
    std::string text = write_profile(stats, opt);
    CHECK(text.find("[notify.listen]") != std::string::npos);
    CHECK(text.find("[notify.epoll_create1]") == std::string::npos);
    CHECK(text.find("[notify.eventfd2]") == std::string::npos);
    CHECK(text.find("\"epoll_create1\",  # 1 call; startup") != std::string::npos);
}
