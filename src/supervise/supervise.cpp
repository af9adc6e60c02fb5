// PID-1 duties: forward (and rewrite) signals, reap every child, stop gracefully, restart with
// back-off, watch health, tell the outside when the app is ready, return the app's status.
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

#include "vigil/audit.hpp"
#include "vigil/error.hpp"
#include "vigil/phases.hpp"
#include "vigil/process_tree.hpp"
#include "health.hpp"

namespace vigil {

namespace {

// Copies the app's captured output to vigil's own stdout/stderr and hands out whole lines.
class OutputRelay {
public:
    using LineFn = std::function<void(std::string_view)>;
    OutputRelay(int stream, int fd, SessionHooks* hooks, LineFn on_line)
        : stream_(stream), fd_(fd), hooks_(hooks), on_line_(std::move(on_line)) {}

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
        if (on_line_) on_line_(line_);
        if (hooks_) hooks_->output_line(stream_, line_);
        line_.clear();
    }
    int stream_, fd_;
    SessionHooks* hooks_;
    LineFn on_line_;
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

using Clock = std::chrono::steady_clock;

// What belongs to one run of the app; a restart starts a fresh one.
struct Run {
    SpawnResult app;
    Clock::time_point started{};
    std::optional<int> status;  // the app's wait status once it ended
    bool unhealthy = false;     // vigil stopped it after failed health checks
    bool cleaning_up = false;   // leftovers were sent SIGTERM
    int stop_timer = -1, leftovers_timer = -1;
    std::vector<std::unique_ptr<OutputRelay>> relays;
    std::unique_ptr<PhaseTracker> tracker;
    std::unique_ptr<HealthMonitor> health;
};

class Supervisor {
public:
    Supervisor(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& o, SessionHooks* hooks)
        : loop_(loop), first_(app), o_(o), hooks_(hooks), pid1_(getpid() == 1) {}

    int run() {
        if (!pid1_) become_subreaper();
        open_signalfd();
        begin_run(first_);
        reap();  // the app may have ended before the loop started
        if (!done_) loop_.run();
        if (ignored_suppressed_ > 0)
            log::warn("{} more signals to vigil from inside the sandbox were ignored without a log line",
                         ignored_suppressed_);
        end_run_io();
        if (o_.ready_file) o_.ready_file->remove();
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
        sfd_ = loop_.watch_signals([this](const signalfd_siginfo& si) { on_signal(si); });
    }

    AuditSink* audit() {
        AuditSink* a = hooks_ ? hooks_->audit_sink() : nullptr;
        return a ? a : o_.audit.get();
    }

    void audit_notice(const std::string& rule, const std::string& decision, const std::string& reason,
                      AuditOutcome outcome = AuditOutcome::Info) {
        AuditSink* a = audit();
        if (!a) return;
        AuditEvent ev;
        ev.kind = AuditKind::Notice;
        ev.pid = run_.app.pid;
        ev.rule = rule;
        ev.decision = decision;
        ev.outcome = outcome;
        ev.reason = reason;
        a->write(ev);
    }

    // ---- one run ----

    void begin_run(const SpawnResult& app) {
        run_ = Run{};
        run_.app = app;
        run_.started = Clock::now();
        relay_output(1, app.stdout_fd);
        relay_output(2, app.stderr_fd);
        if (hooks_) hooks_->started(loop_, app);
        if (o_.ready) {
            run_.tracker = std::make_unique<PhaseTracker>(
                *o_.ready, [this](Phase p, const std::string& why) { on_phase(p, why); });
            run_.tracker->start(loop_, app.pid);
        } else {
            outward_ready("the app started (no readiness condition)");
        }
    }

    void on_phase(Phase p, const std::string& why) {
        if (hooks_) hooks_->phase_changed(p, why);
        if (p == Phase::Ready) outward_ready(why);
    }

    // The app is ready: tell the outside, and start watching its health.
    void outward_ready(const std::string& why) {
        if (stopping_ || run_.status) return;
        if (o_.ready_file) o_.ready_file->create("ready: " + why + "\n");
        if (o_.sd_notify)
            o_.sd_notify->send("READY=1\nSTATUS=" + why + "\nMAINPID=" + std::to_string(getpid()));
        if (o_.settings.health && !run_.health) {
            run_.health = std::make_unique<HealthMonitor>(
                loop_, *o_.settings.health, [this](const std::string& why) { on_unhealthy(why); });
            run_.health->start();
        }
    }

    void on_unhealthy(const std::string& why) {
        if (run_.status || stopping_) return;
        run_.unhealthy = true;
        bool restart = o_.settings.restart.mode != RestartMode::No && o_.respawn;
        log::warn("the app is unhealthy: {}; stopping it{}", why, restart ? " (restart policy decides next)" : "");
        audit_notice("supervise.health", "stop", "unhealthy: " + why, AuditOutcome::Denied);
        if (o_.ready_file) o_.ready_file->remove();
        int sig = rewritten(SIGTERM);
        forward(sig > 0 ? sig : SIGTERM);
        arm_stop_timer();
    }

    void relay_output(int stream, int fd) {
        if (fd < 0) return;
        auto relay = std::make_unique<OutputRelay>(stream, fd, hooks_, [this](std::string_view line) {
            if (run_.tracker) run_.tracker->output_line(line);
        });
        OutputRelay* r = relay.get();
        run_.relays.push_back(std::move(relay));
        loop_.watch(fd, EPOLLIN, [this, r](uint32_t) {
            if (!r->pump()) loop_.unwatch(r->fd());
        });
    }

    // After the last process of a run is gone: what is still in the pipes is its last words.
    void end_run_io() {
        for (auto& r : run_.relays) {
            r->drain();
            loop_.unwatch(r->fd());
            close(r->fd());
        }
        run_.relays.clear();
        for (int* t : {&run_.stop_timer, &run_.leftovers_timer}) {
            if (*t >= 0) loop_.cancel_timer(*t);
            *t = -1;
        }
        if (run_.tracker) run_.tracker->stop();
        run_.health.reset();
    }

    // ---- signals ----

    // What -r/--rewrite-signal makes of sig: another signal, or 0 to drop it.
    int rewritten(int sig) const {
        auto it = o_.settings.rewrite_signals.find(sig);
        return it == o_.settings.rewrite_signals.end() ? sig : it->second;
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
        int to = rewritten(sig);
        if (to == 0) {
            log::debug("signal {} dropped (--rewrite-signal {}:0)", sig, sig);
            return;
        }
        bool stop = sig == SIGTERM || sig == SIGINT;
        if (stop) begin_stopping();
        if (backoff_timer_ >= 0) {
            // Between two runs: nothing to forward to; a stop request ends vigil here.
            if (stop) {
                log::info("signal {} during the restart back-off: not restarting", sig);
                loop_.cancel_timer(backoff_timer_);
                backoff_timer_ = -1;
                audit_notice("supervise.restart", "exit", "signal " + std::to_string(sig) +
                                                             " during the back-off: restart cancelled");
                finish();
            }
            return;
        }
        if (run_.status) {
            if (stop) kill_remaining(SIGKILL);
            return;
        }
        if (to != sig) log::debug("forwarding signal {} to the app as {}", sig, to);
        else log::debug("forwarding signal {} to the app", sig);
        forward(to);
        // Ctrl-C typed on the terminal (SI_KERNEL) is the user talking to the app, which has no
        // terminal of its own to get it from: a REPL that catches it must live on. A SIGINT or
        // SIGTERM that someone sent is a request to stop, with the stop timeout behind it.
        bool typed = sig == SIGINT && si.ssi_code == SI_KERNEL;
        if (stop && !typed && run_.stop_timer < 0) arm_stop_timer();
    }

    // A stop request: no restart follows, and the outside hears that the app is going away.
    void begin_stopping() {
        if (stopping_) return;
        stopping_ = true;
        if (o_.ready_file) o_.ready_file->remove();
        if (o_.sd_notify) o_.sd_notify->send("STOPPING=1");
    }

    void log_ignored(int sig, const signalfd_siginfo& si, SignalOrigin origin) {
        auto now = Clock::now();
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
            if (kill(-run_.app.pid, sig) < 0 && errno != ESRCH)
                log::warn("kill(-{}, {}): {}", run_.app.pid, sig, strerror(errno));
            return;
        }
        // Through the pidfd: a recycled pid can never receive a signal meant for the app.
        if (syscall(SYS_pidfd_send_signal, run_.app.pidfd, sig, nullptr, 0) < 0 && errno != ESRCH)
            log::warn("pidfd_send_signal({}): {}", sig, strerror(errno));
    }

    void arm_stop_timer() {
        if (run_.stop_timer >= 0) return;
        auto ms = std::chrono::milliseconds(o_.settings.stop_timeout_ms);
        run_.stop_timer = loop_.add_timer(ms, [this] {
            run_.stop_timer = -1;
            if (run_.status) return;
            log::warn("the app did not stop within {} ms: sending SIGKILL", o_.settings.stop_timeout_ms);
            forward(SIGKILL);
        });
    }

    // ---- reaping, the end of a run, restarts ----

    void reap() {
        for (;;) {
            int status;
            pid_t pid = waitpid(-1, &status, WNOHANG);
            if (pid > 0) {
                if (pid == run_.app.pid && !run_.status) on_app_exit(status);
                else log::debug("reaped pid {} (status {:#x})", pid, status);
                continue;
            }
            if (pid < 0 && errno == EINTR) continue;
            if (pid < 0 && errno == ECHILD && run_.status && backoff_timer_ < 0 && !done_) {
                run_over();
            } else if (pid == 0 && run_.status && !run_.cleaning_up) {
                stop_leftovers();
            }
            return;
        }
    }

    void on_app_exit(int status) {
        run_.status = status;
        if (WIFSIGNALED(status)) log::info("app (pid {}) killed by signal {}", run_.app.pid, WTERMSIG(status));
        else log::debug("app (pid {}) exited with {}", run_.app.pid, WEXITSTATUS(status));
        if (run_.app.pidfd >= 0) close(run_.app.pidfd);
        run_.app.pidfd = -1;
        if (o_.ready_file) o_.ready_file->remove();
        if (run_.tracker) run_.tracker->stop();
        run_.health.reset();
        if (hooks_) hooks_->app_exited(status);
    }

    // Every process of the run is gone: stop here, or start the app again after a back-off.
    void run_over() {
        end_run_io();
        if (!o_.respawn || o_.settings.restart.mode == RestartMode::No) return finish();
        AppEnding ending;
        ending.wait_status = *run_.status;
        ending.ran_for = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - run_.started);
        ending.unhealthy = run_.unhealthy;
        ending.stop_requested = stopping_;
        RestartDecision d = decide_restart(o_.settings.restart, streak_, ending, o_.settings.remap_exit);
        streak_ = d.streak;
        if (!d.restart) {
            log::info("the app {}: not restarting ({})", d.reason, d.verdict);
            audit_notice("supervise.restart", "exit", d.reason + "; not restarted: " + d.verdict);
            return finish();
        }
        ++restarts_;
        log::warn("the app {}: {}", d.reason, d.verdict);
        audit_notice("supervise.restart", "restart", d.reason + "; " + d.verdict);
        if (o_.sd_notify) o_.sd_notify->send("STATUS=restarting: " + d.reason);
        if (hooks_) hooks_->restarting();
        backoff_timer_ = loop_.add_timer(d.delay, [this] {
            backoff_timer_ = -1;
            relaunch();
        });
    }

    void relaunch() {
        SpawnResult app;
        try {
            app = o_.respawn();
        } catch (const Error& e) {
            // The command could not start again (gone, not executable, a set-up step failed):
            // an ending like any other, counted against the restart limit.
            log::error("restart failed: {}", e.what());
            run_ = Run{};
            run_.started = Clock::now();
            run_.status = (e.code & 0xff) << 8;
            audit_notice("supervise.restart", "failed", std::string("restart failed: ") + e.what());
            return run_over();
        }
        begin_run(app);
        reap();
    }

    // vigil never leaves orphans behind: whatever the app left running is stopped too.
    // (Only called when children remain, so the common case costs no /proc scan.)
    void stop_leftovers() {
        run_.cleaning_up = true;
        kill_remaining(SIGTERM);
        run_.leftovers_timer = loop_.add_timer(std::chrono::milliseconds(o_.settings.stop_timeout_ms), [this] {
            run_.leftovers_timer = -1;
            kill_remaining(SIGKILL);
        });
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

    void finish() {
        done_ = true;
        loop_.stop();
    }

    int exit_code() const {
        int code = kExitVigilError;
        if (run_.status) {
            int st = *run_.status;
            code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        const auto& remap = o_.settings.remap_exit;
        if (std::find(remap.begin(), remap.end(), code) != remap.end()) return 0;
        return code;
    }

    EventLoop& loop_;
    SpawnResult first_;
    SuperviseOptions o_;
    SessionHooks* hooks_;
    bool pid1_;
    int sfd_ = -1;
    bool done_ = false;
    bool stopping_ = false;
    Run run_;
    int streak_ = 0, restarts_ = 0;
    int backoff_timer_ = -1;
    Clock::time_point ignored_window_{};
    int ignored_logged_ = 0;
    int ignored_suppressed_ = 0;
};

}  // namespace

int supervise(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& options, SessionHooks* hooks) {
    Supervisor s(loop, app, options, hooks);
    return s.run();
}

}  // namespace vigil
