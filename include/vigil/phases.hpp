// The app's phases: it starts in "startup" and becomes "ready" when the profile's
// [phases.ready] condition holds (a TCP port listening, a 2xx answer from a loopback HTTP GET,
// a line of output matching, or a delay), whichever comes first. Probes run on vigil's event
// loop without threads or blocking calls. Implemented in src/phases.
#pragma once

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <atomic>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

#include "vigil/event_loop.hpp"
#include "vigil/profile.hpp"

namespace re2 {
class RE2;
}

namespace vigil {

enum class Phase { Startup = 0, Ready = 1 };
const char* phase_name(Phase p);

// [phases.ready] output_match is RE2 syntax (https://github.com/google/re2/wiki/Syntax), matched
// anywhere in a line: RE2 runs in time linear in the line and in bounded memory whatever the
// app prints, where a backtracking engine (std::regex) recursed once per character and crashed
// vigil on a 65,000-character line. Backreferences and lookaround are therefore not available.
// Why `pattern` is not a usable output_match (RE2's message), or nullopt when it is.
std::optional<std::string> validate_output_regex(const std::string& pattern);
// The longest part of a line the matcher looks at; the output relay keeps lines to this size.
inline constexpr size_t kMaxOutputLine = 65536;

// True when /proc/net/tcp-format `contents` has a socket in LISTEN state on `port`.
bool proc_net_tcp_listening(std::string_view contents, int port);
// Reads /proc/PID/net/tcp and tcp6 (the app's network namespace).
bool tcp_port_listening(pid_t pid, int port);

// An http:// URL whose host is a loopback address (127.0.0.0/8, [::1] or "localhost").
struct LoopbackUrl {
    sockaddr_storage addr{};
    socklen_t addr_len = 0;
    std::string host_header;  // host[:port] as written
    std::string path;         // "/..." (default "/")
};
// Throws vigil::Error for anything else: vigil probes only its own container.
LoopbackUrl parse_loopback_url(const std::string& url);

// One HTTP/1.0 GET over a non-blocking socket on the loop. Calls done(true) on a 2xx status,
// done(false) on anything else (refused, timeout after timeout_ms, other status). Call
// start() once; the probe must outlive the request or be destroyed (which cancels it).
// connect_only: done(true) as soon as the TCP connection is accepted (a TCP health check).
class HttpProbe {
public:
    HttpProbe(EventLoop& loop, const LoopbackUrl& url, int timeout_ms,
              std::function<void(bool ok)> done, bool connect_only = false);
    ~HttpProbe();
    void start();

private:
    void on_event(uint32_t events);
    void finish(bool ok);
    EventLoop& loop_;
    const LoopbackUrl& url_;
    int timeout_ms_;
    std::function<void(bool)> done_;
    bool connect_only_;
    int fd_ = -1;
    int timer_ = -1;
    bool sent_ = false;
    std::string reply_;
};

class PhaseTracker {
public:
    using OnChange = std::function<void(Phase phase, const std::string& reason)>;
    // on_change is called on the loop thread, once, when the app becomes ready; also called
    // with Phase::Startup and a reason when timeout_ms passes without readiness.
    PhaseTracker(const ReadyCondition& condition, OnChange on_change);
    ~PhaseTracker();

    // Arms the probes for the app `pid`. Throws vigil::Error for a bad http_get URL or regex.
    void start(EventLoop& loop, pid_t pid);
    // A line of the app's output (the run command captures output when output_match is set).
    void output_line(std::string_view line);
    // Cancels the probes and forgets the loop (call before the loop is destroyed).
    void stop();
    // Safe to read from any thread.
    Phase phase() const { return phase_.load(std::memory_order_acquire); }

private:
    void become_ready(const std::string& reason);
    void give_up();
    void stop_probes();
    void probe_http();

    ReadyCondition cond_;
    OnChange on_change_;
    std::atomic<Phase> phase_{Phase::Startup};
    EventLoop* loop_ = nullptr;
    pid_t pid_ = -1;
    bool probing_ = false;
    struct Re2Deleter {
        void operator()(re2::RE2* re) const;
    };
    std::unique_ptr<re2::RE2, Re2Deleter> output_re_;
    std::optional<LoopbackUrl> url_;
    std::unique_ptr<HttpProbe> http_;
    int after_timer_ = -1, timeout_timer_ = -1, tcp_timer_ = -1, http_timer_ = -1;
};

}  // namespace vigil
