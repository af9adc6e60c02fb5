// Restart decisions: which endings are restarted, after which back-off. Pure functions, so
// that `vigil run` and `vigil up` decide alike and the unit tests need no process.
#include <signal.h>
#include <sys/wait.h>

#include <algorithm>
#include <string>

#include "vigil/supervise.hpp"
#include "vigil/text.hpp"

namespace vigil {

std::chrono::milliseconds restart_backoff(const RestartPolicy& policy, int streak) {
    long long delay = std::max(policy.delay_ms, 0);
    long long cap = std::max<long long>(kRestartDelayCap.count(), delay);
    for (int i = 0; i < streak && delay < cap; ++i) delay *= 2;
    return std::chrono::milliseconds(std::min(delay, cap));
}

namespace {

std::string describe(const AppEnding& e) {
    int st = e.wait_status;
    std::string what;
    if (WIFSIGNALED(st)) {
        what = "killed by signal " + std::to_string(WTERMSIG(st)) + " (" + text::signal_name(WTERMSIG(st)) + ")";
    } else {
        what = "exited with status " + std::to_string(WEXITSTATUS(st));
    }
    if (e.unhealthy) return "health check failed (the app was stopped and " + what + ")";
    return what;
}

}  // namespace

bool ending_failed(const AppEnding& e, const std::vector<int>& remap_exit) {
    if (e.unhealthy) return true;
    if (WIFSIGNALED(e.wait_status)) {
        int code = 128 + WTERMSIG(e.wait_status);
        return std::find(remap_exit.begin(), remap_exit.end(), code) == remap_exit.end();
    }
    int code = WEXITSTATUS(e.wait_status);
    return code != 0 && std::find(remap_exit.begin(), remap_exit.end(), code) == remap_exit.end();
}

RestartDecision decide_restart(const RestartPolicy& policy, int streak, const AppEnding& ending,
                               const std::vector<int>& remap_exit) {
    RestartDecision d;
    d.reason = describe(ending);
    if (ending.ran_for >= kHealthyRunReset) streak = 0;
    d.streak = streak;
    if (ending.stop_requested) {
        d.verdict = "vigil was asked to stop";
        return d;
    }
    bool failed = ending_failed(ending, remap_exit);
    if (policy.mode == RestartMode::No) {
        d.verdict = "restart policy is no";
        return d;
    }
    if (policy.mode == RestartMode::OnFailure && !failed) {
        d.verdict = "restart policy is on-failure and the app succeeded";
        return d;
    }
    if (streak >= policy.max) {
        d.verdict = std::to_string(streak) + " restarts in a row without " +
                    std::to_string(kHealthyRunReset.count() / 1000) + " s of running (restart max " +
                    std::to_string(policy.max) + ")";
        return d;
    }
    d.restart = true;
    d.delay = restart_backoff(policy, streak);
    d.streak = streak + 1;
    d.verdict = "restart " + std::to_string(d.streak) + " of at most " + std::to_string(policy.max) +
                " in a row (policy " + restart_mode_name(policy.mode) + ") after " +
                std::to_string(d.delay.count()) + " ms";
    return d;
}

}  // namespace vigil
