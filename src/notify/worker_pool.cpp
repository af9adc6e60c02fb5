#include "worker_pool.hpp"

#include <linux/capability.h>
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <mutex>

#include "vigil/log.hpp"

namespace vigil {

namespace {

// A real-time signal only vigil sends to its own workers (pthread_kill): its handler does
// nothing, and without SA_RESTART the worker's blocking connect/send returns EINTR.
int abort_signal() { return SIGRTMIN + 5; }

void on_abort_signal(int) {}

void install_abort_handler() {
    static std::once_flag once;
    std::call_once(once, [] {
        struct sigaction sa {};
        sa.sa_handler = on_abort_signal;
        sigemptyset(&sa.sa_mask);
        sa.sa_flags = 0;
        if (sigaction(abort_signal(), &sa, nullptr) != 0)
            log::warn("notify workers: sigaction: {}", strerror(errno));
    });
}

}  // namespace

// A worker acts for the app (connects its sockets, binds unix paths): the kernel must judge it
// as the app. fsuid/fsgid and groups become the app's (per thread, raw syscalls; real and
// effective ids stay vigil's, so the app still cannot signal vigil), and the effective
// capabilities are emptied (no CAP_DAC_OVERRIDE on a socket file, no CAP_NET_BIND_SERVICE the
// app lacks).
bool WorkerPool::take_identity() {
    if (ids_) {
        if (syscall(SYS_setgroups, ids_->groups.size(), ids_->groups.data()) != 0) {
            std::vector<gid_t> mine(static_cast<size_t>(std::max(getgroups(0, nullptr), 0)));
            if (getgroups(static_cast<int>(mine.size()), mine.data()) < 0) return false;
            std::vector<gid_t> want = ids_->groups;
            std::sort(mine.begin(), mine.end());
            std::sort(want.begin(), want.end());
            if (mine != want) return false;
        }
        syscall(SYS_setfsgid, ids_->egid);
        syscall(SYS_setfsuid, ids_->euid);
        if (static_cast<uid_t>(syscall(SYS_setfsuid, -1)) != ids_->euid ||
            static_cast<gid_t>(syscall(SYS_setfsgid, -1)) != ids_->egid)
            return false;
    }
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (syscall(SYS_capget, &hdr, data) != 0) return false;
    for (auto& d : data) d.effective = 0;
    return syscall(SYS_capset, &hdr, data) == 0;
}

bool WorkerPool::try_post(std::function<void(bool)> job) {
    std::lock_guard lock(mu_);
    if (stopping_ || running_.size() + jobs_.size() >= max_threads_) return false;
    jobs_.push_back(std::move(job));
    if (idle_ < jobs_.size() && threads_.size() < max_threads_) {
        install_abort_handler();
        threads_.emplace_back([this] { run(); });
    }
    cv_.notify_one();
    return true;
}

size_t WorkerPool::busy() const {
    std::lock_guard lock(mu_);
    return running_.size() + jobs_.size();
}

void WorkerPool::stop() {
    {
        std::unique_lock lock(mu_);
        stopping_ = true;
        cv_.notify_all();
        while (!running_.empty() || (!jobs_.empty() && !threads_.empty())) {
            for (pthread_t t : running_) pthread_kill(t, abort_signal());
            done_cv_.wait_for(lock, std::chrono::milliseconds(20));
        }
    }
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WorkerPool::run() {
    sigset_t abort_only;
    sigemptyset(&abort_only);
    sigaddset(&abort_only, abort_signal());
    pthread_sigmask(SIG_UNBLOCK, &abort_only, nullptr);
    bool identity_ok = take_identity();
    if (!identity_ok)
        log::error("notify worker: cannot take the app's file-system identity; the calls it "
                      "would perform for the app are refused");
    std::unique_lock lock(mu_);
    for (;;) {
        ++idle_;
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) return;  // stopping and nothing left
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        running_.push_back(pthread_self());
        lock.unlock();
        job(identity_ok);
        lock.lock();
        running_.erase(std::find(running_.begin(), running_.end(), pthread_self()));
        done_cv_.notify_all();
    }
}

}  // namespace vigil
