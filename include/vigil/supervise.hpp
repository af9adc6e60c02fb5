// PID-1 duties around one app: signal forwarding (and rewriting), reaping, graceful stop,
// restarts with back-off, health checks, readiness outward (ready file, sd_notify), exit status.
// Implemented in src/supervise. Notify (run-time decisions) and learn plug in through
// SessionHooks so that the init core does not know about them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/event_loop.hpp"
#include "vigil/phases.hpp"
#include "vigil/profile.hpp"
#include "vigil/spawn.hpp"

namespace vigil {

class AuditSink;

class SessionHooks {
public:
    virtual ~SessionHooks() = default;
    // The app runs; register fds (e.g. spawned.listener_fd) and timers on the loop here.
    // Called again for each restart, after restarting().
    virtual void started(EventLoop& loop, const SpawnResult& spawned) { (void)loop, (void)spawned; }
    // One line (without '\n') of the app's stdout (stream 1) or stderr (2), with capture_output.
    virtual void output_line(int stream, std::string_view line) { (void)stream, (void)line; }
    // The readiness condition held (Phase::Ready), or its timeout passed (Phase::Startup), in
    // the current run. Only with a readiness condition (SuperviseOptions::ready).
    virtual void phase_changed(Phase phase, const std::string& reason) { (void)phase, (void)reason; }
    // The app (main process) ended with this wait status; other processes may still run.
    virtual void app_exited(int wait_status) { (void)wait_status; }
    // Every process of the run is gone and the app will be started again: drop what belonged
    // to that run (its listener, its phase: the next run starts in startup).
    virtual void restarting() {}
    // vigil is about to exit: write summaries, learned profiles.
    virtual void finished() {}
    // The audit trail the hooks write to, for vigil's own events (restarts, health); null: none.
    virtual AuditSink* audit_sink() { return nullptr; }
};

// ---- Restarts (pure; shared by `vigil run` and `vigil up`) ----
// RestartMode / RestartPolicy are plain data in profile.hpp (the profile holds them).
inline constexpr std::chrono::milliseconds kRestartDelayCap{30000};
// A run at least this long resets the back-off and the count of restarts in a row.
inline constexpr std::chrono::milliseconds kHealthyRunReset{60000};

// The back-off before restart number streak+1 of a streak (streak 0: the first restart):
// delay_ms * 2^streak, capped at 30 s (or at delay_ms itself when that is longer).
std::chrono::milliseconds restart_backoff(const RestartPolicy& policy, int streak);

// How one run of the app ended.
struct AppEnding {
    int wait_status = 0;                 // as from waitpid
    std::chrono::milliseconds ran_for{0};  // from spawn to the end
    bool unhealthy = false;              // vigil stopped it after failed health checks
    bool stop_requested = false;         // vigil was asked to stop (SIGTERM...): never restart
};

struct RestartDecision {
    bool restart = false;
    std::chrono::milliseconds delay{0};  // back-off before the restart
    int streak = 0;                      // the streak to pass to the next decision
    std::string reason;                  // why the app ended ("exited with status 1", ...)
    std::string verdict;                 // why it is (not) restarted, for the log and audit
};

// True when the ending counts as a failure: a non-zero status not in remap_exit, a signal,
// or unhealthy.
bool ending_failed(const AppEnding& ending, const std::vector<int>& remap_exit = {});

// Whether to start the app again and after which delay. streak is the count of restarts in
// a row so far (0 at first); a run of kHealthyRunReset or more resets it before deciding.
RestartDecision decide_restart(const RestartPolicy& policy, int streak, const AppEnding& ending,
                               const std::vector<int>& remap_exit = {});

// ---- Readiness, outward ----

// --ready-file PATH: the file exists exactly while the app is ready. The directory is opened
// when this is constructed, before the app exists; the file is only ever made there by name
// through that fd, as a fresh file (O_CREAT | O_EXCL | O_NOFOLLOW) renamed into place, so a
// link the app plants at PATH is replaced, never followed.
class ReadyFile {
public:
    // Throws vigil::Error (125) when the directory cannot be opened; removes a stale PATH.
    explicit ReadyFile(const std::string& path);
    ~ReadyFile();  // removes the file
    ReadyFile(const ReadyFile&) = delete;
    ReadyFile& operator=(const ReadyFile&) = delete;
    void create(std::string_view content);
    void remove();
    const std::string& path() const { return path_; }

private:
    int dir_fd_ = -1;
    std::string path_, name_;
    bool present_ = false;
};

// sd_notify(3) datagrams to $NOTIFY_SOCKET (a path, or @name for an abstract socket).
class SdNotify {
public:
    // Null when NOTIFY_SOCKET is unset or empty. Connects now, before the app exists, and
    // removes NOTIFY_SOCKET from the environment the app inherits (vigil speaks for it).
    // Throws vigil::Error (125) for an address that is not a unix socket name.
    static std::unique_ptr<SdNotify> from_environment();
    ~SdNotify();
    // Never blocks; a failure is logged (once).
    void send(std::string_view message);

private:
    explicit SdNotify(int fd, std::string name) : fd_(fd), name_(std::move(name)) {}
    int fd_ = -1;
    std::string name_;
    bool failed_said_ = false;
};

struct SuperviseOptions {
    SuperviseSettings settings;
    bool forward_to_group = false;  // also from --signal-group / settings.signal_group
    // What makes the app ready ([phases.ready] or --ready-*); probed anew in each run. Without
    // one the app counts as ready (outward) once it has started.
    std::optional<ReadyCondition> ready;
    std::shared_ptr<ReadyFile> ready_file;  // --ready-file
    std::shared_ptr<SdNotify> sd_notify;    // $NOTIFY_SOCKET
    std::shared_ptr<AuditSink> audit;       // restarts and health when the hooks have no sink
    // Starts the app again (a whole launch: new filter and listener); null: never restart.
    std::function<SpawnResult()> respawn;
};

// Watches on the seccomp listener are served before everything else on the loop (signals,
// output, probes): each pending notification is an app thread stopped until vigil answers.
inline constexpr int kListenerWatchPriority = 100;

// Who asked for a signal that vigil received, as far as the kernel lets vigil know.
enum class SignalOrigin {
    Outside,       // the kernel (terminal, hang-up), vigil itself, or a process outside the app's tree
    App,           // a process of the app's tree
    Unattributed,  // nothing proves it comes from outside: the sender wrote the pid it claims
                   // (sigqueue-style codes) or had the kernel send an I/O signal (F_SETOWN)
};

// The decision behind forwarding, without /proc: code and sender are the siginfo's si_code and
// si_pid, self is vigil's pid, pid1 whether vigil is its PID namespace's init, in_app_tree
// answers whether a pid is a process below vigil (only asked when it matters).
// Only Outside signals are forwarded to the app or acted on.
SignalOrigin signal_origin(int code, pid_t sender, pid_t self, bool pid1,
                           const std::function<bool(pid_t)>& in_app_tree);

// Runs the loop until the app and every other child are gone and no restart follows; returns
// vigil's exit code (the last run's status, 128+N for signal N, remapped codes as 0).
int supervise(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& options,
              SessionHooks* hooks);

}  // namespace vigil
