// Phase tracking: startup -> ready, probed on the event loop.
#include "vigil/phases.hpp"

#include <arpa/inet.h>
#include <sys/epoll.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include <re2/re2.h>
#include "vigil/log.hpp"

#include "vigil/error.hpp"
#include "vigil/text.hpp"

namespace vigil {

namespace {

constexpr std::chrono::milliseconds kTcpPollInterval{100};
constexpr std::chrono::milliseconds kHttpRetryInterval{250};
constexpr int kHttpAttemptTimeoutMs = 2000;
// RE2's own default (8 MiB) for the compiled program and its DFA cache: when a pattern's DFA
// outgrows it RE2 falls back to a slower NFA, still linear, never unbounded.
constexpr int64_t kRegexMaxMem = 8 << 20;

std::unique_ptr<re2::RE2> compile(const std::string& pattern) {
    RE2::Options o;
    o.set_log_errors(false);  // the error goes into vigil's own message instead
    o.set_max_mem(kRegexMaxMem);
    return std::make_unique<re2::RE2>(pattern, o);
}

}  // namespace

std::optional<std::string> validate_output_regex(const std::string& pattern) {
    auto re = compile(pattern);
    if (re->ok()) return std::nullopt;
    return re->error();
}

void PhaseTracker::Re2Deleter::operator()(re2::RE2* re) const { delete re; }

const char* phase_name(Phase p) { return p == Phase::Ready ? "ready" : "startup"; }

bool proc_net_tcp_listening(std::string_view contents, int port) {
    std::istringstream in{std::string(contents)};
    std::string line;
    std::getline(in, line);  // header
    while (std::getline(in, line)) {
        std::istringstream fields(line);
        std::string slot, local, remote, state;
        if (!(fields >> slot >> local >> remote >> state)) continue;
        auto colon = local.rfind(':');
        if (colon == std::string::npos || state != "0A") continue;  // 0A: TCP_LISTEN
        auto local_port = text::parse_unsigned(std::string_view(local).substr(colon + 1), 16);
        if (local_port && *local_port == static_cast<uint64_t>(port)) return true;
    }
    return false;
}

bool tcp_port_listening(pid_t pid, int port) {
    std::string base = "/proc/" + std::to_string(pid) + "/net/";
    // Up to 64 MiB: one line per socket, and a busy server has many.
    constexpr size_t kLimit = 64u << 20;
    return proc_net_tcp_listening(text::read_small_file((base + "tcp").c_str(), kLimit), port) ||
           proc_net_tcp_listening(text::read_small_file((base + "tcp6").c_str(), kLimit), port);
}

LoopbackUrl parse_loopback_url(const std::string& url) {
    auto bad = [&](const std::string& why) {
        return Error("phases.ready.http_get \"" + url + "\": " + why +
                     " (expected http://127.0.0.1:PORT/PATH, http://[::1]:PORT/PATH or "
                     "http://localhost:PORT/PATH)");
    };
    const std::string scheme = "http://";
    if (url.rfind(scheme, 0) != 0) throw bad("only http:// is supported");
    std::string rest = url.substr(scheme.size());
    auto slash = rest.find('/');
    LoopbackUrl out;
    out.host_header = rest.substr(0, slash);
    out.path = slash == std::string::npos ? "/" : rest.substr(slash);
    std::string host = out.host_header, port_text = "80";
    if (!host.empty() && host.front() == '[') {
        auto close = host.find(']');
        if (close == std::string::npos) throw bad("unterminated [IPv6] host");
        if (close + 1 < host.size()) {
            if (host[close + 1] != ':') throw bad("garbage after ]");
            port_text = host.substr(close + 2);
        }
        host = host.substr(1, close - 1);
    } else if (auto colon = host.find(':'); colon != std::string::npos) {
        port_text = host.substr(colon + 1);
        host = host.substr(0, colon);
    }
    auto port = text::parse_integer(port_text, 1, 65535);
    if (!port) throw bad("bad port");
    if (host == "localhost") host = "127.0.0.1";
    auto* v4 = reinterpret_cast<sockaddr_in*>(&out.addr);
    auto* v6 = reinterpret_cast<sockaddr_in6*>(&out.addr);
    if (inet_pton(AF_INET, host.c_str(), &v4->sin_addr) == 1) {
        if ((ntohl(v4->sin_addr.s_addr) >> 24) != 127) throw bad("not a loopback address");
        v4->sin_family = AF_INET;
        v4->sin_port = htons(static_cast<uint16_t>(*port));
        out.addr_len = sizeof(sockaddr_in);
    } else if (inet_pton(AF_INET6, host.c_str(), &v6->sin6_addr) == 1) {
        if (!IN6_IS_ADDR_LOOPBACK(&v6->sin6_addr)) throw bad("not a loopback address");
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons(static_cast<uint16_t>(*port));
        out.addr_len = sizeof(sockaddr_in6);
    } else {
        throw bad("the host must be a literal loopback address or localhost");
    }
    return out;
}

HttpProbe::HttpProbe(EventLoop& loop, const LoopbackUrl& url, int timeout_ms,
                     std::function<void(bool)> done, bool connect_only)
    : loop_(loop), url_(url), timeout_ms_(timeout_ms), done_(std::move(done)), connect_only_(connect_only) {}

HttpProbe::~HttpProbe() {
    if (fd_ >= 0) {
        loop_.unwatch(fd_);
        close(fd_);
    }
    if (timer_ >= 0) loop_.cancel_timer(timer_);
}

void HttpProbe::start() {
    fd_ = socket(url_.addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd_ < 0) {
        log::warn("readiness probe: socket: {}", strerror(errno));
        return finish(false);
    }
    if (connect(fd_, reinterpret_cast<const sockaddr*>(&url_.addr), url_.addr_len) < 0 &&
        errno != EINPROGRESS)
        return finish(false);
    timer_ = loop_.add_timer(std::chrono::milliseconds(timeout_ms_), [this] {
        timer_ = -1;
        finish(false);
    });
    loop_.watch(fd_, EPOLLOUT, [this](uint32_t ev) { on_event(ev); });
}

void HttpProbe::on_event(uint32_t events) {
    if (!sent_) {
        int err = 0;
        socklen_t len = sizeof err;
        if (getsockopt(fd_, SOL_SOCKET, SO_ERROR, &err, &len) < 0 || err != 0 ||
            (events & (EPOLLERR | EPOLLHUP)))
            return finish(false);
        if (connect_only_) return finish(true);
        std::string req = "GET " + url_.path + " HTTP/1.0\r\nHost: " + url_.host_header +
                          "\r\nUser-Agent: vigil-readiness\r\nConnection: close\r\n\r\n";
        // A request this small fits in an empty socket buffer in one go.
        if (send(fd_, req.data(), req.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(req.size()))
            return finish(false);
        sent_ = true;
        loop_.watch(fd_, EPOLLIN, [this](uint32_t ev) { on_event(ev); });
        return;
    }
    char buf[512];
    ssize_t n = recv(fd_, buf, sizeof buf, 0);
    if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
    if (n > 0) reply_.append(buf, static_cast<size_t>(n));
    auto eol = reply_.find("\r\n");
    if (eol == std::string::npos && n > 0 && reply_.size() < 4096) return;
    // "HTTP/1.1 200 OK": the status is the second word of the first line.
    std::istringstream status(reply_.substr(0, eol));
    std::string version;
    int code = 0;
    status >> version >> code;
    finish(version.rfind("HTTP/", 0) == 0 && code >= 200 && code < 300);
}

void HttpProbe::finish(bool ok) {
    if (fd_ >= 0) {
        loop_.unwatch(fd_);
        close(fd_);
        fd_ = -1;
    }
    if (timer_ >= 0) {
        loop_.cancel_timer(timer_);
        timer_ = -1;
    }
    // done_ may destroy this probe: call it last, from a local copy.
    auto done = std::move(done_);
    done_ = nullptr;
    if (done) done(ok);
}

PhaseTracker::PhaseTracker(const ReadyCondition& condition, OnChange on_change)
    : cond_(condition), on_change_(std::move(on_change)) {}

PhaseTracker::~PhaseTracker() { stop_probes(); }

void PhaseTracker::start(EventLoop& loop, pid_t pid) {
    loop_ = &loop;
    pid_ = pid;
    if (cond_.output_match) {
        auto re = compile(*cond_.output_match);
        if (!re->ok())
            throw Error("phases.ready.output_match \"" + *cond_.output_match +
                        "\" is not a valid regular expression: " + re->error());
        output_re_.reset(re.release());
    }
    if (cond_.http_get) url_ = parse_loopback_url(*cond_.http_get);
    probing_ = true;
    if (cond_.after_ms)
        after_timer_ = loop.add_timer(std::chrono::milliseconds(*cond_.after_ms), [this] {
            after_timer_ = -1;
            become_ready("after_ms " + std::to_string(*cond_.after_ms) + " passed");
        });
    if (cond_.tcp_listen)
        tcp_timer_ = loop.add_timer(kTcpPollInterval, [this] {
            if (tcp_port_listening(pid_, *cond_.tcp_listen))
                become_ready("TCP port " + std::to_string(*cond_.tcp_listen) + " is listening");
        }, true);
    if (url_) probe_http();
    if (cond_.timeout_ms > 0)
        timeout_timer_ = loop.add_timer(std::chrono::milliseconds(cond_.timeout_ms), [this] {
            timeout_timer_ = -1;
            give_up();
        });
}

void PhaseTracker::probe_http() {
    http_timer_ = -1;
    http_ = std::make_unique<HttpProbe>(*loop_, *url_, kHttpAttemptTimeoutMs, [this](bool ok) {
        if (!probing_) return;
        if (ok) return become_ready("GET " + *cond_.http_get + " answered 2xx");
        http_timer_ = loop_->add_timer(kHttpRetryInterval, [this] { probe_http(); });
    });
    http_->start();
}

void PhaseTracker::output_line(std::string_view line) {
    if (!probing_ || !output_re_) return;
    // The relay already bounds lines; the matcher does not rely on it.
    if (line.size() > kMaxOutputLine) line = line.substr(0, kMaxOutputLine);
    if (RE2::PartialMatch(re2::StringPiece(line.data(), line.size()), *output_re_))
        become_ready("output matched \"" + *cond_.output_match + "\"");
}

void PhaseTracker::become_ready(const std::string& reason) {
    if (!probing_) return;
    stop_probes();
    phase_.store(Phase::Ready, std::memory_order_release);
    on_change_(Phase::Ready, reason);
}

void PhaseTracker::give_up() {
    if (!probing_) return;
    stop_probes();
    on_change_(Phase::Startup, "not ready after timeout_ms " + std::to_string(cond_.timeout_ms) +
                                   ": staying in startup");
}

void PhaseTracker::stop() {
    stop_probes();
    loop_ = nullptr;
}

void PhaseTracker::stop_probes() {
    probing_ = false;
    if (!loop_) return;
    for (int* t : {&after_timer_, &tcp_timer_, &http_timer_, &timeout_timer_}) {
        if (*t >= 0) loop_->cancel_timer(*t);
        *t = -1;
    }
    // Destroying the probe from inside its own callback is safe: it calls done() last.
    http_.reset();
}

}  // namespace vigil
