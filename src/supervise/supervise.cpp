// PID-1 duties: forward signals, reap every child, stop gracefully, return the app's status.
#include "vigil/supervise.hpp"

#include <dirent.h>
#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/log.hpp"

#include <algorithm>
#include <chrono>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/error.hpp"
#include "vigil/phases.hpp"
#include "vigil/process_tree.hpp"

namespace vigil {

namespace {

// Copies the app's captured output to vigil's own stdout/stderr and hands out whole lines.
class OutputRelay {
public:
    OutputRelay(int stream, int fd, SessionHooks* hooks) : stream_(stream), fd_(fd), hooks_(hooks) {}

    // Returns false at EOF.
    bool pump() {
        char buf[16384];
        ssize_t n = read(fd_, buf, sizeof buf);
        if (n < 0) return errno == EAGAIN || errno == EINTR;
        if (n == 0) {
            flush();
            return false;
        }
        write_all(stream_, buf, static_cast<size_t>(n));
        for (ssize_t i = 0; i < n; ++i) {
            if (buf[i] == '\n') {
                emit();
            } else if (line_.size() < kMaxLine) {
                line_.push_back(buf[i]);
            }
        }
        return true;
    }
    void flush() {
        if (!line_.empty()) emit();
    }
    // After the last child is gone: what is still in the pipe is the app's last words.
    void drain() {
        while (readable() && pump()) {}  // not readable: a writer outside our tree holds it open
        flush();
    }
    int fd() const { return fd_; }

private:
    bool readable() const {
        pollfd p{fd_, POLLIN, 0};
        return poll(&p, 1, 0) == 1;
    }
    // A line longer than this (or one that never ends) is cut: the rest until the newline is
    // relayed but not kept, so the app cannot grow vigil's memory with output.
    static constexpr size_t kMaxLine = kMaxOutputLine;
    static void write_all(int fd, const char* p, size_t n) {
        while (n > 0) {
            ssize_t w = write(fd, p, n);
            if (w < 0 && errno == EINTR) continue;
            if (w <= 0) return;  // our own stdout is gone: the app keeps running regardless
            p += w;
            n -= static_cast<size_t>(w);
        }
    }
    void emit() {
        if (hooks_) hooks_->output_line(stream_, line_);
        line_.clear();
    }
    int stream_, fd_;
    SessionHooks* hooks_;
    std::string line_;
};

// At most this many "ignored signal" lines per second; the rest are counted and reported with
// the next line, so an app that floods vigil with signals cannot flood its log.
constexpr int kIgnoredLogBurst = 5;

const char* signal_abbrev(int sig) {
    const char* n = sigabbrev_np(sig);
    return n ? n : "?";
}

}  // namespace

SignalOrigin signal_origin(int code, pid_t sender, pid_t self, bool pid1,
                           const std::function<bool(pid_t)>& in_app_tree) {
    // The terminal (Ctrl-C, window size, hang-up), timers and resource limits.
    if (code == SI_KERNEL) return SignalOrigin::Outside;
    if (code > 0) {
        // Positive codes other than SI_KERNEL on a signal that reaches the signalfd are I/O
        // signals (POLL_IN..POLL_HUP) that a process asked for with F_SETOWN/F_SETSIG on one of
        // its own fds. vigil sets up none, so someone else pointed them at vigil.
        return SignalOrigin::Unattributed;
    }
    if (code == SI_USER || code == SI_TKILL) {
        // kill(), tgkill(), pidfd_send_signal() without siginfo: the kernel writes si_pid
        // itself, and writes 0 for a sender outside vigil's PID namespace.
        if (sender == 0 || sender == self) return SignalOrigin::Outside;
        // As PID 1 every process that has a pid in our namespace is inside the container.
        if (pid1) return SignalOrigin::App;
        return in_app_tree(sender) ? SignalOrigin::App : SignalOrigin::Outside;
    }
    // Every other code <= 0 (SI_QUEUE, SI_MESGQ, SI_ASYNCIO, SI_SIGIO, SI_TIMER, SI_DETHREAD...)
    // can be chosen by the sender with rt_sigqueueinfo, and so can the si_pid beside it. The
    // kernel only overrides si_pid (with 0) for a sender in an ancestor PID namespace.
    if (pid1 && sender != 0) return SignalOrigin::App;
    if (!pid1 && sender > 0 && sender != self && in_app_tree(sender)) return SignalOrigin::App;
    return SignalOrigin::Unattributed;
}

namespace {

class Supervisor {
public:
    Supervisor(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& o, SessionHooks* hooks)
        : loop_(loop), app_(app), o_(o), hooks_(hooks), pid1_(getpid() == 1) {}

    int run() {
        if (!pid1_) become_subreaper();
        open_signalfd();
        relay_output(1, app_.stdout_fd);
        relay_output(2, app_.stderr_fd);
        if (hooks_) hooks_->started(loop_, app_);
        reap();  // the app may have ended before the loop started
        if (!done_) loop_.run();
        if (ignored_suppressed_ > 0)
            log::warn("{} more signals to vigil from inside the sandbox were ignored without a log line",
                         ignored_suppressed_);
        for (auto& r : relays_) r->drain();
        if (hooks_) hooks_->finished();
        return exit_code();
    }

private:
    void become_subreaper() {
        // Not PID 1 (e.g. `docker run` without --init, or a shell): orphans of the app would
        // otherwise go to the real init and never be reaped by us.
        if (prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
        log::debug("not PID 1 (pid {}): registered as child subreaper", getpid());
    }

    void open_signalfd() {
        sigset_t all;
        sigfillset(&all);
        sfd_ = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
        if (sfd_ < 0) throw_errno("signalfd");
        loop_.watch(sfd_, EPOLLIN, [this](uint32_t) { read_signals(); }, 1);
    }

    void relay_output(int stream, int fd) {
        if (fd < 0) return;
        auto relay = std::make_unique<OutputRelay>(stream, fd, hooks_);
        OutputRelay* r = relay.get();
        relays_.push_back(std::move(relay));
        loop_.watch(fd, EPOLLIN, [this, r](uint32_t) {
            if (!r->pump()) loop_.unwatch(r->fd());
        });
    }

    void read_signals() {
        signalfd_siginfo si;
        for (;;) {
            ssize_t n = read(sfd_, &si, sizeof si);
            if (n != sizeof si) return;  // EAGAIN: drained
            on_signal(si);
        }
    }

    void on_signal(const signalfd_siginfo& si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) return reap();
        pid_t self = getpid();
        SignalOrigin origin = signal_origin(si.ssi_code, static_cast<pid_t>(si.ssi_pid), self, pid1_,
                                            [self](pid_t p) { return is_descendant_of(p, self); });
        if (origin != SignalOrigin::Outside) {
            // The app is untrusted: it must not be able to stop its own supervisor, nor make
            // vigil act as if the operator had asked.
            log_ignored(sig, si, origin);
            return;
        }
        if (app_status_) {
            if (sig == SIGTERM || sig == SIGINT) kill_remaining(SIGKILL);
            return;
        }
        log::debug("forwarding signal {} to the app", sig);
        forward(sig);
        // Ctrl-C typed on the terminal (SI_KERNEL) is the user talking to the app, which has no
        // terminal of its own to get it from: a REPL that catches it must live on. A SIGINT or
        // SIGTERM that someone sent is a request to stop, with the stop timeout behind it.
        bool typed = sig == SIGINT && si.ssi_code == SI_KERNEL;
        if ((sig == SIGTERM || sig == SIGINT) && !typed && stop_timer_ < 0) arm_stop_timer();
    }

    void log_ignored(int sig, const signalfd_siginfo& si, SignalOrigin origin) {
        auto now = std::chrono::steady_clock::now();
        if (now - ignored_window_ >= std::chrono::seconds(1)) {
            if (ignored_suppressed_ > 0)
                log::warn("{} more signals to vigil from inside the sandbox were ignored without a log line",
                             ignored_suppressed_);
            ignored_window_ = now;
            ignored_logged_ = 0;
            ignored_suppressed_ = 0;
        }
        if (ignored_logged_ >= kIgnoredLogBurst) {
            ++ignored_suppressed_;
            return;
        }
        ++ignored_logged_;
        if (origin == SignalOrigin::App)
            log::warn("ignored signal {} ({}) sent to vigil by pid {} inside the sandbox (si_code {})", sig,
                         signal_abbrev(sig), si.ssi_pid, si.ssi_code);
        else
            log::warn("ignored signal {} ({}) with si_code {}: its sender cannot be told apart from the app "
                         "(it claims pid {}); send signals to vigil with kill(2)",
                         sig, signal_abbrev(sig), si.ssi_code, si.ssi_pid);
    }

    void forward(int sig) {
        if (o_.forward_to_group) {
            if (kill(-app_.pid, sig) < 0 && errno != ESRCH) log::warn("kill(-{}, {}): {}", app_.pid, sig, strerror(errno));
            return;
        }
        // Through the pidfd: a recycled pid can never receive a signal meant for the app.
        if (syscall(SYS_pidfd_send_signal, app_.pidfd, sig, nullptr, 0) < 0 && errno != ESRCH)
            log::warn("pidfd_send_signal({}): {}", sig, strerror(errno));
    }

    void arm_stop_timer() {
        auto ms = std::chrono::milliseconds(o_.settings.stop_timeout_ms);
        stop_timer_ = loop_.add_timer(ms, [this] {
            if (app_status_) return;
            log::warn("the app did not stop within {} ms: sending SIGKILL", o_.settings.stop_timeout_ms);
            forward(SIGKILL);
        });
    }

    void reap() {
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid > 0) {
                if (pid == app_.pid) on_app_exit(status);
                else log::debug("reaped pid {} (status {:#x})", pid, status);
                continue;
            }
            if (pid < 0 && errno == EINTR) continue;
            if (pid < 0 && errno == ECHILD && app_status_) {
                done_ = true;
                loop_.stop();
            } else if (pid == 0 && app_status_ && !cleaning_up_) {
                stop_leftovers();
            }
            return;
        }
    }

    void on_app_exit(int status) {
        app_status_ = status;
        if (WIFSIGNALED(status)) log::info("app (pid {}) killed by signal {}", app_.pid, WTERMSIG(status));
        else log::debug("app (pid {}) exited with {}", app_.pid, WEXITSTATUS(status));
        if (hooks_) hooks_->app_exited(status);
    }

    // vigil never leaves orphans behind: whatever the app left running is stopped too.
    // (Only called when children remain, so the common case costs no /proc scan.)
    void stop_leftovers() {
        cleaning_up_ = true;
        kill_remaining(SIGTERM);
        loop_.add_timer(std::chrono::milliseconds(o_.settings.stop_timeout_ms), [this] { kill_remaining(SIGKILL); });
    }

    void kill_remaining(int sig) {
        if (pid1_) {
            // Every process of the namespace but ourselves.
            if (kill(-1, sig) < 0 && errno != ESRCH) log::warn("kill(-1, {}): {}", sig, strerror(errno));
            return;
        }
        for (pid_t p : descendants_of(getpid()))
            if (kill(p, sig) == 0) log::debug("sent signal {} to leftover pid {}", sig, p);
    }

    int exit_code() const {
        int code = kExitVigilError;
        if (app_status_) {
            int st = *app_status_;
            code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        const auto& remap = o_.settings.remap_exit;
        if (std::find(remap.begin(), remap.end(), code) != remap.end()) return 0;
        return code;
    }

    EventLoop& loop_;
    SpawnResult app_;
    SuperviseOptions o_;
    SessionHooks* hooks_;
    bool pid1_;
    int sfd_ = -1;
    int stop_timer_ = -1;
    bool done_ = false;
    bool cleaning_up_ = false;
    std::optional<int> app_status_;
    std::vector<std::unique_ptr<OutputRelay>> relays_;
    std::chrono::steady_clock::time_point ignored_window_{};
    int ignored_logged_ = 0;
    int ignored_suppressed_ = 0;
};

}  // namespace

int supervise(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& options, SessionHooks* hooks) {
    Supervisor s(loop, app, options, hooks);
    return s.run();
}

}  // namespace vigil
