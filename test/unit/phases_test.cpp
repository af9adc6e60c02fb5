// Phase tracking: /proc/net/tcp parsing, loopback URLs, and the tracker on a real loop.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <thread>

#include "vigil/error.hpp"
#include "vigil/phases.hpp"

using namespace vigil;

namespace {

const char* kProcNetTcp =
    "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n"
    "   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000  1000        0 1 1\n"
    "   1: 0100007F:1F91 0100007F:D2C4 01 00000000:00000000 00:00000000 00000000  1000        0 2 1\n";

// A listening TCP socket on 127.0.0.1; serve() answers each connection with `reply`.
struct TinyHttp {
    int fd = -1;
    int port = 0;
    TinyHttp() {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        REQUIRE(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
        REQUIRE(listen(fd, 16) == 0);
        socklen_t len = sizeof a;
        getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
        port = ntohs(a.sin_port);
    }
    ~TinyHttp() { close(fd); }
    void serve(EventLoop& loop, std::string reply) {
        loop.watch(fd, EPOLLIN, [this, &loop, reply](uint32_t) {
            int c = accept4(fd, nullptr, nullptr, SOCK_CLOEXEC);
            if (c < 0) return;
            // Same loop as the probe: wait for the request instead of blocking on it.
            loop.watch(c, EPOLLIN, [c, &loop, reply](uint32_t) {
                char buf[1024];
                (void)!read(c, buf, sizeof buf);  // the request (small, arrives at once)
                (void)!write(c, reply.data(), reply.size());
                loop.unwatch(c);
                close(c);
            });
        });
    }
};

// Runs the loop until the tracker reports, or the deadline.
struct Observed {
    std::optional<Phase> phase;
    std::string reason;
};

Observed track(const ReadyCondition& cond, std::function<void(EventLoop&, PhaseTracker&)> setup,
               int deadline_ms = 5000) {
    EventLoop loop;
    Observed seen;
    PhaseTracker t(cond, [&](Phase p, const std::string& why) {
        seen.phase = p;
        seen.reason = why;
        loop.stop();
    });
    if (setup) setup(loop, t);
    t.start(loop, getpid());
    loop.add_timer(std::chrono::milliseconds(deadline_ms), [&] { loop.stop(); });
    loop.run();
    if (seen.phase) CHECK(t.phase() == *seen.phase);
    return seen;
}

}  // namespace

TEST_CASE("/proc/net/tcp: only LISTEN sockets count") {
    CHECK(proc_net_tcp_listening(kProcNetTcp, 8080));
    CHECK_FALSE(proc_net_tcp_listening(kProcNetTcp, 8081));  // established, not listening
    CHECK_FALSE(proc_net_tcp_listening("", 8080));
}

TEST_CASE("tcp_port_listening sees a real listening socket of this process") {
    TinyHttp s;
    CHECK(tcp_port_listening(getpid(), s.port));
    CHECK_FALSE(tcp_port_listening(getpid(), 1));
}

TEST_CASE("loopback URLs") {
    auto u = parse_loopback_url("http://127.0.0.1:8080/fhir/metadata");
    CHECK(u.addr.ss_family == AF_INET);
    CHECK(ntohs(reinterpret_cast<sockaddr_in*>(&u.addr)->sin_port) == 8080);
    CHECK(u.path == "/fhir/metadata");
    CHECK(u.host_header == "127.0.0.1:8080");
    u = parse_loopback_url("http://[::1]:9000");
    CHECK(u.addr.ss_family == AF_INET6);
    CHECK(u.path == "/");
    u = parse_loopback_url("http://localhost/x");
    CHECK(ntohs(reinterpret_cast<sockaddr_in*>(&u.addr)->sin_port) == 80);
    for (const char* bad : {"https://127.0.0.1/", "http://10.0.0.1/", "http://example.org/",
                            "http://127.0.0.1:0/", "http://127.0.0.1:x/", "http://[::2]:80/"}) {
        std::string text = bad;
        CAPTURE(text);
        CHECK_THROWS_AS(parse_loopback_url(bad), Error);
    }
}

TEST_CASE("ready when an HTTP GET on loopback answers 2xx, not on 503") {
    TinyHttp unhealthy, healthy;
    ReadyCondition c;
    c.http_get = "http://127.0.0.1:" + std::to_string(unhealthy.port) + "/health";
    c.timeout_ms = 800;
    Observed seen = track(c, [&](EventLoop& loop, PhaseTracker&) {
        unhealthy.serve(loop, "HTTP/1.1 503 Service Unavailable\r\n\r\n");
    });
    REQUIRE(seen.phase);
    CHECK(*seen.phase == Phase::Startup);  // gave up after timeout_ms
    CHECK(seen.reason.find("timeout_ms 800") != std::string::npos);

    c.http_get = "http://127.0.0.1:" + std::to_string(healthy.port) + "/health";
    c.timeout_ms = 0;
    seen = track(c, [&](EventLoop& loop, PhaseTracker&) {
        healthy.serve(loop, "HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n");
    });
    REQUIRE(seen.phase);
    CHECK(*seen.phase == Phase::Ready);
    CHECK(seen.reason.find("answered 2xx") != std::string::npos);
}

TEST_CASE("an HTTP probe keeps retrying until the server comes up") {
    // Reserve a port, close it, start listening on it only later.
    int port;
    {
        TinyHttp probe;
        port = probe.port;
    }
    ReadyCondition c;
    c.http_get = "http://127.0.0.1:" + std::to_string(port) + "/";
    std::unique_ptr<TinyHttp> late;
    Observed seen = track(c, [&](EventLoop& loop, PhaseTracker&) {
        loop.add_timer(std::chrono::milliseconds(600), [&] {
            late = std::make_unique<TinyHttp>();  // random port: rebind the reserved one
            close(late->fd);
            late->fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
            int one = 1;
            setsockopt(late->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
            sockaddr_in a{};
            a.sin_family = AF_INET;
            a.sin_port = htons(static_cast<uint16_t>(port));
            a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
            REQUIRE(bind(late->fd, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
            REQUIRE(listen(late->fd, 16) == 0);
            late->serve(loop, "HTTP/1.0 204 No Content\r\n\r\n");
        });
    });
    REQUIRE(seen.phase);
    CHECK(*seen.phase == Phase::Ready);
}

TEST_CASE("ready on tcp_listen of the watched process") {
    TinyHttp s;
    ReadyCondition c;
    c.tcp_listen = s.port;
    Observed seen = track(c, {});
    REQUIRE(seen.phase);
    CHECK(*seen.phase == Phase::Ready);
    CHECK(seen.reason == "TCP port " + std::to_string(s.port) + " is listening");
}

TEST_CASE("ready on an output line matching the regex; other lines do not count") {
    ReadyCondition c;
    c.output_match = "Server startup in \\d+ ms";
    Observed seen = track(c, [](EventLoop& loop, PhaseTracker& t) {
        loop.add_timer(std::chrono::milliseconds(20), [&t] {
            t.output_line("INFO: Deploying web application");
            CHECK(t.phase() == Phase::Startup);
            t.output_line("INFO: Server startup in 1234 ms");
        });
    });
    REQUIRE(seen.phase);
    CHECK(*seen.phase == Phase::Ready);
}

TEST_CASE("ready after a fixed delay; a bad regex is an error") {
    ReadyCondition c;
    c.after_ms = 100;
    auto t0 = std::chrono::steady_clock::now();
    Observed seen = track(c, {});
    auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::steady_clock::now() - t0);
    REQUIRE(seen.phase);
    CHECK(*seen.phase == Phase::Ready);
    CHECK(ms.count() >= 100);
    ReadyCondition bad;
    bad.output_match = "([unclosed";
    EventLoop loop;
    PhaseTracker t(bad, [](Phase, const std::string&) {});
    CHECK_THROWS_AS(t.start(loop, getpid()), Error);
}

TEST_CASE("output_match is linear: hostile lines of any length are matched fast, beyond the bound never") {
    ReadyCondition c;
    c.output_match = "Started .* in [0-9]+ ms";
    EventLoop loop;
    std::optional<std::string> why;
    PhaseTracker t(c, [&](Phase, const std::string& r) { why = r; });
    t.start(loop, getpid());
    // What made std::regex recurse once per character (and crash at ~65,000): RE2 is linear.
    auto t0 = std::chrono::steady_clock::now();
    t.output_line("Started " + std::string(1 << 20, 'x'));
    t.output_line(std::string(1 << 20, 'a') + "Started in 1 ms");  // past kMaxOutputLine: cut
    CHECK(std::chrono::steady_clock::now() - t0 < std::chrono::seconds(2));
    CHECK(t.phase() == Phase::Startup);
    t.output_line("Started app in 12 ms");
    CHECK(t.phase() == Phase::Ready);
    t.stop();
    CHECK(validate_output_regex("Started .* in [0-9]+ ms") == std::nullopt);
    CHECK(validate_output_regex("(a)\\1").has_value());  // backreferences are not RE2
    CHECK(validate_output_regex("([unclosed").has_value());
}
