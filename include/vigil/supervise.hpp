// PID-1 duties around one app: signal forwarding, reaping, graceful stop, exit status.
// Implemented in src/supervise. Notify (run-time decisions) and learn plug in through
// SessionHooks so that the init core does not know about them.
#pragma once

#include <sys/types.h>

#include <functional>
#include <string_view>

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
