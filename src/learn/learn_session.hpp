// The learning session: plugs into supervise() through SessionHooks, answers every seccomp
// notification with "continue" after recording it, tracks the phase, and writes the profile
// and report when vigil finishes (app exit, app crash, or SIGINT/SIGTERM to vigil).
#pragma once

#include <sys/types.h>

#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>

#include "vigil/learn.hpp"
#include "vigil/phases.hpp"
#include "vigil/seccomp_notify.hpp"
#include "vigil/supervise.hpp"

namespace vigil::learn {

class LearnSession : public SessionHooks {
public:
    using Finish = std::function<void(LearnedStats&)>;
    // ready: when set, the phase tracker runs and calls are recorded as startup or ready.
    // finish: called once from finished() with this run's statistics.
    LearnSession(std::optional<ReadyCondition> ready, Finish finish);
    ~LearnSession() override;

    void started(EventLoop& loop, const SpawnResult& spawned) override;
    void output_line(int stream, std::string_view line) override;
    void finished() override;

    const LearnedStats& stats() const { return stats_; }

private:
    void on_notification();
    const std::string& thread_of(pid_t tid);
    void read_arguments(const Notification& n, CallInfo& call);
    double now_ms() const;

    LearnedStats stats_;
    Recorder recorder_{stats_};
    std::optional<ReadyCondition> ready_;
    std::unique_ptr<PhaseTracker> tracker_;
    Finish finish_;
    bool finished_ = false;
    Listener listener_{-1};
    EventLoop* loop_ = nullptr;
    std::chrono::steady_clock::time_point start_;
    struct CachedName {
        std::string name;
        std::chrono::steady_clock::time_point read_at;
    };
    std::unordered_map<pid_t, CachedName> names_;
};

}  // namespace vigil::learn
