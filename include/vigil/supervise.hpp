// PID-1 duties around one app: signal forwarding, reaping, graceful stop, exit status.
// Implemented in src/supervise. Notify (run-time decisions) and learn plug in through
// SessionHooks so that the init core does not know about them.
#pragma once

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

// Runs the loop until the app and every other child are gone; returns vigil's exit code
// (the app's status, 128+N for signal N, remapped codes as 0).
int supervise(EventLoop& loop, const SpawnResult& app, const SuperviseOptions& options,
              SessionHooks* hooks);

}  // namespace vigil
