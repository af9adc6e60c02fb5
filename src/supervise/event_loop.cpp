#include "vigil/event_loop.hpp"

#include <signal.h>
#include <poll.h>
#include <sys/epoll.h>
#include <sys/signalfd.h>
#include <sys/timerfd.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <vector>

#include "vigil/error.hpp"

namespace vigil {

EventLoop::EventLoop() {
    epfd_ = epoll_create1(EPOLL_CLOEXEC);
    if (epfd_ < 0) throw_errno("epoll_create1");
}

EventLoop::~EventLoop() {
    for (auto& [id, fd] : timer_fds_) close(fd);
    if (epfd_ >= 0) close(epfd_);
}

void EventLoop::watch(int fd, uint32_t events, FdCallback cb, int priority) {
    epoll_event ev{};
    ev.events = events;
    ev.data.fd = fd;
    int op = watches_.count(fd) ? EPOLL_CTL_MOD : EPOLL_CTL_ADD;
    if (epoll_ctl(epfd_, op, fd, &ev) < 0) throw_errno("epoll_ctl(fd " + std::to_string(fd) + ")");
    watches_[fd] = std::make_shared<Watch>(Watch{std::move(cb), priority});
}

void EventLoop::watch_direct(int fd, FdCallback cb) {
    unwatch(fd);
    direct_.emplace_back(fd, std::make_shared<Watch>(Watch{std::move(cb), 0}));
}

void EventLoop::unwatch(int fd) {
    if (watches_.erase(fd)) epoll_ctl(epfd_, EPOLL_CTL_DEL, fd, nullptr);
    std::erase_if(direct_, [fd](const auto& d) { return d.first == fd; });
}

int EventLoop::watch_signals(std::function<void(const signalfd_siginfo&)> cb) {
    sigset_t all;
    sigfillset(&all);
    int sfd = signalfd(-1, &all, SFD_CLOEXEC | SFD_NONBLOCK);
    if (sfd < 0) throw_errno("signalfd");
    watch(sfd, EPOLLIN, [sfd, cb = std::move(cb)](uint32_t) {
        signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == sizeof si) cb(si);  // until EAGAIN: drained
    }, 1);
    return sfd;
}

int EventLoop::add_timer(std::chrono::milliseconds after, TimerCallback cb, bool repeat) {
    int tfd = timerfd_create(CLOCK_MONOTONIC, TFD_CLOEXEC | TFD_NONBLOCK);
    if (tfd < 0) throw_errno("timerfd_create");
    itimerspec spec{};
    auto ms = std::max<long long>(after.count(), 1);  // 0 would disarm the timer
    spec.it_value = {static_cast<time_t>(ms / 1000), static_cast<long>(ms % 1000) * 1000000};
    if (repeat) spec.it_interval = spec.it_value;
    if (timerfd_settime(tfd, 0, &spec, nullptr) < 0) {
        close(tfd);
        throw_errno("timerfd_settime");
    }
    int id = next_timer_id_++;
    timer_fds_[id] = tfd;
    watch(tfd, EPOLLIN, [this, id, tfd, repeat, cb = std::move(cb)](uint32_t) {
        uint64_t expirations;
        if (read(tfd, &expirations, sizeof expirations) < 0 && errno == EAGAIN) return;
        if (!repeat) cancel_timer(id);
        cb();
    });
    return id;
}

void EventLoop::cancel_timer(int id) {
    auto it = timer_fds_.find(id);
    if (it == timer_fds_.end()) return;
    unwatch(it->second);
    close(it->second);
    timer_fds_.erase(it);
}

void EventLoop::run() {
    running_ = true;
    std::vector<epoll_event> events(32);
    std::vector<pollfd> polled;
    while (running_) {
        int timeout = -1;
        if (!direct_.empty()) {
            // The listeners and the epoll fd (readable when an epoll event is ready) in one
            // poll(2); listeners first, then whatever epoll has, without blocking again.
            polled.clear();
            for (const auto& d : direct_) polled.push_back({d.first, POLLIN, 0});
            polled.push_back({epfd_, POLLIN, 0});
            int r = poll(polled.data(), polled.size(), -1);
            if (r < 0) {
                if (errno == EINTR) continue;
                throw_errno("poll");
            }
            auto snapshot = direct_;  // a callback may unwatch itself or another listener
            for (size_t i = 0; i + 1 < polled.size() && running_; ++i) {
                if (!polled[i].revents) continue;
                bool still = std::any_of(direct_.begin(), direct_.end(),
                                         [&](const auto& d) { return d.second == snapshot[i].second; });
                if (still) snapshot[i].second->cb(static_cast<uint32_t>(polled[i].revents));
            }
            if (!(polled.back().revents & POLLIN)) continue;
            timeout = 0;
        }
        int n = epoll_wait(epfd_, events.data(), static_cast<int>(events.size()), timeout);
        if (n < 0) {
            if (errno == EINTR) continue;
            throw_errno("epoll_wait");
        }
        if (n == 0) continue;
        if (n == 1) {  // the common case (one notification): no ordering to do
            auto it = watches_.find(events[0].data.fd);
            if (it == watches_.end()) continue;
            std::shared_ptr<Watch> w = it->second;  // the callback may unwatch itself
            w->cb(events[0].events);
            continue;
        }
        // Hold the watches by shared_ptr: a callback may unwatch itself or another fd.
        struct Ready {
            int fd;
            std::shared_ptr<Watch> watch;
            uint32_t events;
        };
        std::vector<Ready> ready;
        for (int i = 0; i < n; ++i) {
            auto it = watches_.find(events[i].data.fd);
            if (it != watches_.end()) ready.push_back({it->first, it->second, events[i].events});
        }
        std::stable_sort(ready.begin(), ready.end(),
                         [](const Ready& a, const Ready& b) { return a.watch->priority > b.watch->priority; });
        for (auto& r : ready) {
            if (!running_) break;
            // An earlier callback of this round may have unwatched (or replaced) this one.
            auto it = watches_.find(r.fd);
            if (it == watches_.end() || it->second != r.watch) continue;
            r.watch->cb(r.events);
        }
    }
}

}  // namespace vigil
