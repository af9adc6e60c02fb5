// Runs a NotifySession against a forked, filtered child (notify_harness.hpp) on a real event
// loop, until the child exits; collects the audit trail as parsed JSON lines.
#pragma once

#include <sys/syscall.h>
#include <sys/epoll.h>

#include <cstdio>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "notify_harness.hpp"
#include "vigil/event_loop.hpp"
#include "vigil/notify.hpp"

namespace notify_test {

inline vigil::NotifyPolicy policy(const std::string& syscall, int line) {
    vigil::NotifyPolicy p;
    p.syscall = syscall;
    p.where = {"test.toml", line, 1};
    return p;
}

// Parsed allow-list entries for SYSCALL (the loader's grammar).
inline std::vector<vigil::AllowEntry> entries(const std::string& syscall,
                                              const std::vector<std::string>& texts) {
    std::vector<vigil::AllowEntry> out;
    for (const auto& t : texts) {
        std::string problem;
        auto e = vigil::parse_allow_entry(vigil::allow_list_kind(syscall), t, problem);
        if (!e) throw std::runtime_error(problem);
        e->where = {"test.toml", 1, 1};
        out.push_back(*e);
    }
    return out;
}

inline vigil::Action errno_action(int e) { return {vigil::ActionKind::Errno, e}; }
inline vigil::Action allow_action() { return {vigil::ActionKind::Allow, 0}; }

struct SessionRun {
    int exit_code = -1;
    std::vector<nlohmann::json> audit;

    // Events of one kind ("decision", "phase", "summary"). The trail aggregates identical
    // decisions into a "repeated" line with a count: each counts as that many decisions here.
    std::vector<nlohmann::json> events(const std::string& kind) const {
        std::vector<nlohmann::json> out;
        for (auto& j : audit) {
            if (j.value("event", "") == kind) out.push_back(j);
            if (kind == "decision" && j.value("event", "") == "repeated")
                out.insert(out.end(), j["count"].get<size_t>(), j);
        }
        return out;
    }
};

inline std::string temp_path(const char* tag) {
    return "/tmp/vigil-notify-test-" + std::to_string(getpid()) + "-" + tag;
}

// setup(loop) runs before the loop starts (e.g. to watch test servers).
inline SessionRun run_session(const vigil::Profile& profile, vigil::NotifyConfig config,
                              const std::vector<int>& nrs, std::function<int()> body,
                              std::function<void(vigil::EventLoop&)> setup = {},
                              int timeout_ms = 20000) {
    std::string audit_path = temp_path("audit");
    unlink(audit_path.c_str());
    config.audit_sink = audit_path;
    config.audit_format = "json";
    SessionRun result;
    {
        vigil::NotifySession session(profile, config);
        vigil::EventLoop loop;
        Child child;
        start(child, nrs, std::move(body));
        vigil::SpawnResult spawned;
        spawned.pid = child.pid;
        spawned.listener_fd = child.listener;
        child.listener = -1;  // the session owns it now
        int pidfd = static_cast<int>(syscall(SYS_pidfd_open, child.pid, 0));
        if (pidfd < 0) throw std::runtime_error("pidfd_open");
        if (setup) setup(loop);
        session.started(loop, spawned);
        // The supervisor owns the phase probes and tells the session (SessionHooks::phase_changed).
        std::optional<vigil::PhaseTracker> phases;
        if (profile.ready) {
            phases.emplace(*profile.ready, [&](vigil::Phase p, const std::string& why) { session.phase_changed(p, why); });
            phases->start(loop, child.pid);
        }
        loop.watch(pidfd, EPOLLIN, [&](uint32_t) { loop.stop(); });
        bool timed_out = false;
        loop.add_timer(std::chrono::milliseconds(timeout_ms), [&] {
            timed_out = true;
            loop.stop();
        });
        loop.run();
        if (timed_out) kill(child.pid, SIGKILL);
        result.exit_code = child.wait();
        close(pidfd);
        if (phases) phases->stop();
        session.finished();
    }
    std::ifstream in(audit_path);
    std::string line;
    while (std::getline(in, line)) result.audit.push_back(nlohmann::json::parse(line));
    unlink(audit_path.c_str());
    return result;
}

}  // namespace notify_test
