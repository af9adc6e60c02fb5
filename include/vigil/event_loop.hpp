// One epoll loop for everything vigil waits on: signals (signalfd), the seccomp listener,
// timers (timerfd), readiness probes, the app's output. No polling timeouts.
#pragma once

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <utility>
#include <vector>

struct signalfd_siginfo;

namespace vigil {

class EventLoop {
public:
    using FdCallback = std::function<void(uint32_t events)>;
    using TimerCallback = std::function<void()>;

    EventLoop();
    ~EventLoop();
    EventLoop(const EventLoop&) = delete;
    EventLoop& operator=(const EventLoop&) = delete;

    // Calls cb with the epoll event mask whenever fd is ready. The loop does not own fd.
    // Watches with a higher priority are served first when several fds are ready at once
    // (the seccomp listener must not wait behind a log write or a health probe).
    void watch(int fd, uint32_t events, FdCallback cb, int priority = 0);
    // The same for a seccomp listener, which the loop waits on with poll(2) directly, beside
    // the epoll set, and serves before anything else: the kernel's "wake the supervisor on
    // the caller's CPU" (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) reaches a poll(2) waiter but not
    // an epoll one (epoll's relay wake-up drops it), and without it every notification waits
    // for the scheduler to run vigil elsewhere (bench/README.md, notification round trip).
    // cb gets POLLIN/POLLHUP/POLLERR, which equal the EPOLL* values.
    void watch_direct(int fd, FdCallback cb);
    void unwatch(int fd);  // either kind

    // Every signal, read from one signalfd (all signals must be blocked, as main does first):
    // cb gets each one, in order, served before ordinary fds. Returns the signalfd.
    int watch_signals(std::function<void(const signalfd_siginfo&)> cb);

    // One-shot (or repeating) timer on a timerfd; returns an id for cancel_timer.
    int add_timer(std::chrono::milliseconds after, TimerCallback cb, bool repeat = false);
    void cancel_timer(int id);

    // Serves events until stop() is called.
    void run();
    void stop() { running_ = false; }

private:
    struct Watch {
        FdCallback cb;
        int priority;
    };
    int epfd_ = -1;
    bool running_ = false;
    std::map<int, std::shared_ptr<Watch>> watches_;
    std::vector<std::pair<int, std::shared_ptr<Watch>>> direct_;  // watch_direct()
    std::map<int, int> timer_fds_;  // timer id -> timerfd
    int next_timer_id_ = 1;
};

}  // namespace vigil
