// `vigil up`: one event loop supervising several services. Each service starts through the
// one launch path (start_app) with its own profile, so it has its own seccomp filter and
// listener, privileges and Landlock domain; this file only orders starts and stops, reaps,
// restarts, relays output and decides the exit status.
#include <linux/capability.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "vigil/log.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "output.hpp"
#include "vigil/audit.hpp"
#include "vigil/error.hpp"
#include "vigil/landlock.hpp"
#include "vigil/launch.hpp"
#include "vigil/notify.hpp"
#include "vigil/phases.hpp"
#include "vigil/privileges.hpp"
#include "vigil/process_tree.hpp"
#include "vigil/services.hpp"
#include "vigil/supervise.hpp"

namespace vigil {

using services_detail::format_line;
using services_detail::LineWriter;
using services_detail::OutputPipe;

std::string isolation_without_scope(const std::vector<ServiceIdentity>& ids) {
    for (const auto& s : ids)
        if (s.can_override)
            return "service '" + s.name + "' keeps CAP_KILL or CAP_SYS_PTRACE (or runs without a profile)";
    for (size_t i = 0; i < ids.size(); ++i)
        for (size_t j = i + 1; j < ids.size(); ++j)
            if (ids[i].uid == ids[j].uid)
                return "services '" + ids[i].name + "' and '" + ids[j].name + "' both run as uid " +
                       std::to_string(ids[i].uid);
    return "";
}

namespace {

// Landlock's signal scope (ABI 6, Linux 6.12) keeps each service from signalling anything
// outside its own domain; sibling domains also refuse each other ptrace (any ABI).
constexpr int kSignalScopeAbi = 6;

using Clock = std::chrono::steady_clock;

enum class State { Waiting, Running, BackingOff, Stopping, Done };

struct Run {
    int serial = 0;
    SpawnResult app;
    std::unique_ptr<NotifySession> hooks;
    std::unique_ptr<PhaseTracker> phases;
    Clock::time_point started;
};

struct Service {
    ServiceSpec* spec = nullptr;
    LaunchPlan plan;
    State state = State::Waiting;
    bool ready = false;
    std::optional<Run> run;
    int runs = 0;
    int streak = 0;
    int restart_timer = -1, stop_timer = -1;
    std::vector<size_t> deps, dependents;
};

struct Relay {
    size_t service;
    int serial, stream;
    std::unique_ptr<OutputPipe> pipe;
    bool paused = false;
};

// At most this many "ignored signal" lines per second (the app cannot flood vigil's log).
constexpr int kIgnoredLogBurst = 5;

class Group {
public:
    explicit Group(ServicesFile& file) : file_(file), pid1_(getpid() == 1) {
        json_ = [] {
            const char* f = std::getenv("VIGIL_LOG_FORMAT");
            return f && std::string(f) == "json";
        }();
        std::map<std::string, size_t> index;
        for (size_t i = 0; i < file_.services.size(); ++i) index[file_.services[i].name] = i;
        services_.resize(file_.services.size());
        for (size_t i = 0; i < services_.size(); ++i) {
            Service& s = services_[i];
            s.spec = &file_.services[i];
            for (const auto& d : s.spec->depends_on) {
                s.deps.push_back(index.at(d.name));
                services_[index.at(d.name)].dependents.push_back(i);
            }
        }
        order_ = start_order(file_.services);
    }

    int run() {
        prepare();
        if (!pid1_ && prctl(PR_SET_CHILD_SUBREAPER, 1) < 0) throw_errno("prctl(PR_SET_CHILD_SUBREAPER)");
        open_signalfd();
        writer_ = std::make_unique<LineWriter>(loop_, [this] { resume_relays(); });
        start_ready_services();
        reap();
        if (!done_) loop_.run();
        for (auto& r : relays_) r->pipe->drain();  // the last words still in the pipes
        relays_.clear();
        writer_->flush(std::chrono::seconds(2));
        writer_.reset();
        return exit_code();
    }

private:
    // Everything that can be refused is refused before the first service starts: users,
    // capabilities, filters, isolation.
    void prepare() {
        std::string reason;
        int abi = landlock_abi(&reason);
        bool scope = abi >= kSignalScopeAbi;
        std::vector<ServiceIdentity> ids;
        for (auto& s : services_) {
            ServiceSpec& spec = *s.spec;
            s.plan.argv = spec.command;
            s.plan.capture_output = true;  // every line gets the service's name
            s.plan.supervise.settings = spec.supervise;
            s.plan.supervise.forward_to_group = spec.supervise.signal_group;
            s.plan.isolate = scope;
            ServiceIdentity id{spec.name, getuid(), true};
            try {
                if (spec.profile) plan_profile(s.plan, *spec.profile, false);
                if (s.plan.process) {
                    PreparedPrivileges p = prepare_privileges(*s.plan.process);
                    id.uid = p.uid;
                    id.can_override = !p.drop_caps || std::count(p.keep_caps.begin(), p.keep_caps.end(), CAP_KILL) ||
                                      std::count(p.keep_caps.begin(), p.keep_caps.end(), CAP_SYS_PTRACE);
                }
            } catch (const Error& e) {
                throw Error("service " + spec.name + " (profile " + spec.profile_path + "): " + e.what(), e.code);
            }
            ids.push_back(id);
        }
        if (scope) {
            log::info("{} services, each in its own Landlock domain with the signal scope (ABI {}): none can "
                         "signal or ptrace another, nor vigil",
                         services_.size(), abi);
            return;
        }
        std::string why = abi == 0 ? reason : "this kernel's Landlock ABI is " + std::to_string(abi);
        if (services_.size() > 1) {
            std::string problem = isolation_without_scope(ids);
            if (!problem.empty())
                throw Error("cannot keep the services from signalling or tracing one another: Landlock's signal "
                            "scope needs ABI " + std::to_string(kSignalScopeAbi) + " (Linux 6.12) and " + why +
                            "; without it, each service needs its own user and no CAP_KILL/CAP_SYS_PTRACE, but " +
                            problem + ". Give each service a profile with its own [process] user.",
                            kExitVigilError);
        }
        log::warn("Landlock's signal scope is unavailable ({}): the services are kept apart by their distinct "
                     "users only",
                     why);
    }

    const std::string& name(size_t i) const { return services_[i].spec->name; }

    // ---- starting ---------------------------------------------------------------------

    void start_ready_services() {
        if (shutting_down_) return;
        for (size_t i : order_) {
            Service& s = services_[i];
            if (s.state != State::Waiting) continue;
            bool deps_ready = std::all_of(s.deps.begin(), s.deps.end(), [&](size_t d) { return services_[d].ready; });
            if (deps_ready) start(i);
            if (shutting_down_) return;
        }
    }

    void start(size_t i) {
        Service& s = services_[i];
        Run r;
        r.serial = ++serial_;
        try {
            if (s.spec->profile) r.hooks = notify_session_for(*s.spec->profile, false, "", "", name(i));
            r.app = start_app(s.plan);
        } catch (const Error& e) {
            log::error("service {}: cannot start: {}", name(i), e.what());
            s.state = State::Done;
            note_failure(e.code, true);
            begin_shutdown();
            return;
        }
        r.started = Clock::now();
        ++s.runs;
        s.state = State::Running;
        s.ready = false;
        log::info("service {} started (pid {}{})", name(i), r.app.pid,
                     s.runs > 1 ? ", run " + std::to_string(s.runs) : std::string());
        relay(i, r.serial, 1, r.app.stdout_fd);
        relay(i, r.serial, 2, r.app.stderr_fd);
        if (r.hooks) r.hooks->started(loop_, r.app);
        const auto& ready = s.spec->profile ? s.spec->profile->ready : std::nullopt;
        if (ready) {
            int serial = r.serial;
            r.phases = std::make_unique<PhaseTracker>(*ready, [this, i, serial](Phase p, const std::string& why) {
                on_phase(i, serial, p, why);
            });
            s.run = std::move(r);
            try {
                s.run->phases->start(loop_, s.run->app.pid);
            } catch (const Error& e) {
                log::error("service {}: its readiness cannot be watched: {}; stopping every service", name(i), e.what());
                note_failure(kExitVigilError, true);
                begin_shutdown();
            }
        } else {
            s.run = std::move(r);
            mark_ready(i, "started; its profile has no [phases.ready] condition");
        }
    }

    void on_phase(size_t i, int serial, Phase p, const std::string& why) {
        Service& s = services_[i];
        if (!s.run || s.run->serial != serial) return;
        // The notify session's phase (startup -> ready actions) follows this run's tracker.
        if (s.run->hooks) s.run->hooks->phase_changed(p, why);
        if (p == Phase::Ready) return mark_ready(i, why);
        std::vector<std::string> waiting;
        for (size_t d : s.dependents)
            if (services_[d].state == State::Waiting) waiting.push_back(name(d));
        if (waiting.empty()) {
            log::warn("service {} did not become ready: {}", name(i), why);
            return;
        }
        std::string list;
        for (const auto& w : waiting) list += (list.empty() ? "" : ", ") + w;
        log::error("service {} did not become ready ({}), so {} cannot start: stopping every service", name(i),
                      why, list);
        note_failure(kExitVigilError, true);
        begin_shutdown();
    }

    void mark_ready(size_t i, const std::string& why) {
        Service& s = services_[i];
        if (s.ready) return;
        s.ready = true;
        log::info("service {} is ready ({})", name(i), why);
        start_ready_services();
    }

    // ---- output -----------------------------------------------------------------------

    void relay(size_t i, int serial, int stream, int fd) {
        if (fd < 0) return;
        auto r = std::make_unique<Relay>();
        r->service = i;
        r->serial = serial;
        r->stream = stream;
        Relay* raw = r.get();
        r->pipe = std::make_unique<OutputPipe>(fd, [this, raw](std::string_view line) { on_line(*raw, line); });
        relays_.push_back(std::move(r));
        watch_relay(raw);
    }

    void watch_relay(Relay* r) {
        r->paused = false;
        loop_.watch(r->pipe->fd(), EPOLLIN, [this, r](uint32_t) {
            if (!r->pipe->pump()) return drop_relay(r);
            if (writer_->over_budget(static_cast<int>(r->service))) {
                r->paused = true;  // its lines wait in the writer: stop reading until it catches up
                loop_.unwatch(r->pipe->fd());
            }
        });
    }

    void drop_relay(Relay* r) {
        loop_.unwatch(r->pipe->fd());
        relays_.erase(std::remove_if(relays_.begin(), relays_.end(), [r](const auto& p) { return p.get() == r; }),
                      relays_.end());
    }

    void resume_relays() {
        for (auto& r : relays_)
            if (r->paused && !writer_->over_budget(static_cast<int>(r->service))) watch_relay(r.get());
    }

    void on_line(const Relay& r, std::string_view line) {
        Service& s = services_[r.service];
        writer_->push(static_cast<int>(r.service), r.stream, format_line(name(r.service), r.stream, line, json_));
        if (!s.run || s.run->serial != r.serial) return;  // the last words of an earlier run
        if (s.run->phases) s.run->phases->output_line(line);
        if (s.run->hooks) s.run->hooks->output_line(r.stream, line);
    }

    // ---- signals ----------------------------------------------------------------------

    void open_signalfd() {
        sfd_ = loop_.watch_signals([this](const signalfd_siginfo& si) { on_signal(si); });
    }

    void on_signal(const signalfd_siginfo& si) {
        int sig = static_cast<int>(si.ssi_signo);
        if (sig == SIGCHLD) return reap();
        pid_t self = getpid();
        SignalOrigin origin = signal_origin(si.ssi_code, static_cast<pid_t>(si.ssi_pid), self, pid1_,
                                            [self](pid_t p) { return is_descendant_of(p, self); });
        if (origin != SignalOrigin::Outside) return log_ignored(sig, si);
        if (sig == SIGTERM || sig == SIGINT) {
            if (shutting_down_) {
                log::warn("signal {} while stopping: killing every service", sig);
                for (auto& s : services_)
                    if (s.run) kill(-s.run->app.pid, SIGKILL);
                return;
            }
            log::info("signal {}: stopping the services in reverse dependency order", sig);
            stop_signal_ = true;
            begin_shutdown();
            return;
        }
        // Anything else (HUP, USR1, ...) is for the services: each gets it.
        for (size_t i = 0; i < services_.size(); ++i)
            if (services_[i].run) send(i, sig);
    }

    void log_ignored(int sig, const signalfd_siginfo& si) {
        auto now = Clock::now();
        if (now - ignored_window_ >= std::chrono::seconds(1)) {
            ignored_window_ = now;
            ignored_logged_ = 0;
        }
        if (ignored_logged_++ >= kIgnoredLogBurst) return;
        log::warn("ignored signal {} sent to vigil from inside the sandbox (pid {}, si_code {})", sig, si.ssi_pid,
                     si.ssi_code);
    }

    // To the service's main process through its pidfd (a recycled pid can never get it), or
    // to its whole process group when its profile says signal_group.
    void send(size_t i, int sig) {
        Service& s = services_[i];
        if (!s.run) return;
        if (s.plan.supervise.forward_to_group) {
            if (kill(-s.run->app.pid, sig) < 0 && errno != ESRCH)
                log::warn("service {}: kill(-{}, {}): {}", name(i), s.run->app.pid, sig, strerror(errno));
            return;
        }
        if (syscall(SYS_pidfd_send_signal, s.run->app.pidfd, sig, nullptr, 0) < 0 && errno != ESRCH)
            log::warn("service {}: pidfd_send_signal({}): {}", name(i), sig, strerror(errno));
    }

    // ---- ends -------------------------------------------------------------------------

    void reap() {
        for (;;) {
            // Peek first: while the ended main process is a zombie its process group id cannot
            // be reused, so what it left running can be killed by group without a race.
            siginfo_t info{};
            if (waitid(P_ALL, 0, &info, WEXITED | WNOHANG | WNOWAIT) < 0) {
                if (errno == EINTR) continue;
                if (errno == ECHILD && all_done()) {
                    done_ = true;
                    loop_.stop();
                }
                return;
            }
            pid_t pid = info.si_pid;
            if (pid == 0) {
                if (all_done() && !cleaning_up_) stop_leftovers();
                return;
            }
            size_t owner = services_.size();
            for (size_t i = 0; i < services_.size(); ++i)
                if (services_[i].run && services_[i].run->app.pid == pid) owner = i;
            if (owner < services_.size()) kill(-pid, SIGKILL);  // its leftovers end with it
            int status = 0;
            if (waitpid(pid, &status, 0) < 0) {
                if (errno == EINTR) continue;
                log::warn("waitpid({}): {}", pid, strerror(errno));
                return;
            }
            if (owner < services_.size()) on_exit(owner, status);
            else log::debug("reaped pid {} (status {:#x}), not a service's main process", pid, status);
        }
    }

    static int code_of(int status) { return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status); }

    void on_exit(size_t i, int status) {
        Service& s = services_[i];
        Run r = std::move(*s.run);
        s.run.reset();
        if (s.stop_timer >= 0) loop_.cancel_timer(s.stop_timer), s.stop_timer = -1;
        if (r.phases) r.phases->stop();
        if (r.hooks) r.hooks->app_exited(status);
        close(r.app.pidfd);
        bool stopped_by_vigil = s.state == State::Stopping;
        AppEnding ending{status, std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - r.started),
                         false, shutting_down_};
        const auto& remap = s.spec->supervise.remap_exit;
        bool failed = ending_failed(ending, remap);
        if (shutting_down_) {
            if (r.hooks) r.hooks->finished();
            log::info("service {} {}", name(i), describe(status));
            s.state = State::Done;
            if (failed) note_failure(code_of(status), !stopped_by_vigil);
            return step_shutdown();
        }
        RestartDecision d = decide_restart(s.spec->supervise.restart, s.streak, ending, remap);
        s.streak = d.streak;
        s.ready = false;
        if (r.hooks) {
            // In the service's own audit trail, which says nothing else about restarts.
            AuditEvent ev;
            ev.kind = AuditKind::Notice;
            ev.pid = r.app.pid;
            ev.reason = "service " + name(i) + " " + d.reason + ": " + (d.restart ? "" : "not restarted, ") + d.verdict;
            r.hooks->audit().write(ev);
            r.hooks->finished();
        }
        if (d.restart) {
            log::warn("service {} {}: {}", name(i), d.reason, d.verdict);
            s.state = State::BackingOff;
            s.restart_timer = loop_.add_timer(d.delay, [this, i] {
                services_[i].restart_timer = -1;
                if (services_[i].state == State::BackingOff) start(i);
            });
            return;
        }
        if (failed) log::warn("service {} {} ({}): stopping the other services", name(i), d.reason, d.verdict);
        else log::info("service {} {} ({}): stopping the other services", name(i), d.reason, d.verdict);
        s.state = State::Done;
        if (failed) note_failure(code_of(status), true);
        begin_shutdown();
    }

    static std::string describe(int status) {
        if (WIFSIGNALED(status)) {
            const char* abbrev = sigabbrev_np(WTERMSIG(status));
            return "was killed by signal " + std::to_string(WTERMSIG(status)) + (abbrev ? std::string(" (SIG") + abbrev + ")" : "");
        }
        return "exited with status " + std::to_string(WEXITSTATUS(status));
    }

    // ---- stopping ---------------------------------------------------------------------

    void begin_shutdown() {
        if (shutting_down_) return;
        shutting_down_ = true;
        for (size_t i = 0; i < services_.size(); ++i) {
            Service& s = services_[i];
            if (s.state == State::Waiting) {
                log::info("service {} was not started", name(i));
                s.state = State::Done;
            } else if (s.state == State::BackingOff) {
                loop_.cancel_timer(s.restart_timer);
                s.restart_timer = -1;
                s.state = State::Done;
            }
        }
        step_shutdown();
    }

    // Reverse dependency order: a service is stopped once every service that depends on it
    // has ended.
    void step_shutdown() {
        for (size_t i = 0; i < services_.size(); ++i) {
            Service& s = services_[i];
            if (s.state != State::Running) continue;
            bool free = std::all_of(s.dependents.begin(), s.dependents.end(),
                                    [&](size_t d) { return services_[d].state == State::Done; });
            if (free) stop(i);
        }
        if (all_done()) reap();
    }

    void stop(size_t i) {
        Service& s = services_[i];
        s.state = State::Stopping;
        int timeout = s.spec->supervise.stop_timeout_ms;
        log::info("stopping service {} (SIGTERM, SIGKILL after {} ms)", name(i), timeout);
        send(i, SIGTERM);
        int serial = s.run->serial;
        s.stop_timer = loop_.add_timer(std::chrono::milliseconds(timeout), [this, i, serial] {
            Service& t = services_[i];
            t.stop_timer = -1;
            if (!t.run || t.run->serial != serial) return;
            log::warn("service {} did not stop within {} ms: SIGKILL", name(i), t.spec->supervise.stop_timeout_ms);
            kill(-t.run->app.pid, SIGKILL);
        });
    }

    bool all_done() const {
        return std::all_of(services_.begin(), services_.end(), [](const Service& s) { return s.state == State::Done; });
    }

    // Processes no service claims any more (daemonised leftovers in sessions of their own).
    void stop_leftovers() {
        cleaning_up_ = true;
        kill_remaining(SIGTERM);
        loop_.add_timer(std::chrono::seconds(2), [this] { kill_remaining(SIGKILL); });
    }

    void kill_remaining(int sig) {
        if (pid1_) {
            if (kill(-1, sig) < 0 && errno != ESRCH) log::warn("kill(-1, {}): {}", sig, strerror(errno));
            return;
        }
        for (pid_t p : descendants_of(getpid())) kill(p, sig);
    }

    // ---- exit status ------------------------------------------------------------------

    // OWN: the service ended (or could not start) by itself, not because vigil stopped it.
    void note_failure(int code, bool own) {
        if (own && !first_own_failure_) first_own_failure_ = code;
        if (!own && !first_stopped_failure_) first_stopped_failure_ = code;
    }

    int exit_code() const {
        if (first_own_failure_) return *first_own_failure_;
        // Stopped from outside (docker stop): like `vigil run`, the status of the first
        // service that did not end cleanly on SIGTERM (0 if every one did).
        if (stop_signal_ && first_stopped_failure_) return *first_stopped_failure_;
        return 0;
    }

    ServicesFile& file_;
    bool pid1_;
    bool json_ = false;
    EventLoop loop_;
    std::vector<Service> services_;
    std::vector<size_t> order_;
    std::vector<std::unique_ptr<Relay>> relays_;
    std::unique_ptr<LineWriter> writer_;
    int sfd_ = -1;
    int serial_ = 0;
    bool shutting_down_ = false, stop_signal_ = false, done_ = false, cleaning_up_ = false;
    std::optional<int> first_own_failure_, first_stopped_failure_;
    Clock::time_point ignored_window_{};
    int ignored_logged_ = 0;
};

}  // namespace

int run_services(ServicesFile& file) {
    Group g(file);
    return g.run();
}

}  // namespace vigil
