// PID-1 duties around one app: signal forwarding, reaping, graceful stop, exit status.
// Implemented in src/supervise. Notify (run-time decisions) and learn plug in through
// SessionHooks so that the init core does not know about them.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "vigil/event_loop.hpp"
#include "vigil/profile.hpp"
#include "vigil/spawn.hpp"

namespace vigil {

class SessionHooks {
public:
    virtual ~SessionHooks() = default;
    // The app runs; register fds (e.g. spawned.listener_fd) and timers on the loop here.
    virtual void started(EventLoop& loop, const SpawnResult& spawned) { (void)loop, (void)spawned; }
    // One line (without '\n') of the app's stdout (stream 1) or stderr (2), with capture_output.
    virtual void output_line(int stream, std::string_view line) { (void)stream, (void)line; }
    // The app (main process) ended with this wait status; other processes may still run.
    virtual void app_exited(int wait_status) { (void)wait_status; }
    // vigil is about to exit: write summaries, learned profiles.
    virtual void finished() {}
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

struct SuperviseOptions {
    SuperviseSettings settings;
    bool forward_to_group = false;  // also from --signal-group / settings.signal_group
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

// Runs the loop until the app and every other child are gone; returns vigil's exit code
// (the app's status, 128+N for signal N, remapped codes as 0).
int supervise(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& options,
              SessionHooks* hooks);

}  // namespace vigil
