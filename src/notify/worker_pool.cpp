#include "worker_pool.hpp"

#include <linux/capability.h>
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <spdlog/spdlog.h>

namespace vigil {

namespace {

// Capabilities are per thread. A worker acts on the app's behalf (connects its sockets), so it
// must not carry vigil's overrides (e.g. CAP_DAC_OVERRIDE on a unix socket's file): it keeps
// the app's uid/gid (adopt_app_credentials) but an empty effective set.
void drop_effective_caps() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (syscall(SYS_capget, &hdr, data) != 0) return;
    for (auto& d : data) d.effective = 0;
    if (syscall(SYS_capset, &hdr, data) != 0)
        spdlog::warn("notify worker: cannot clear its effective capabilities");
}

}  // namespace

void WorkerPool::post(std::function<void()> job) {
    {
        std::lock_guard lock(mu_);
        if (!stopping_) {
            jobs_.push_back(std::move(job));
            if (idle_ == 0 && threads_.size() < max_threads_) threads_.emplace_back([this] { run(); });
            cv_.notify_one();
            return;
        }
    }
    job();
}

void WorkerPool::stop() {
    {
        std::lock_guard lock(mu_);
        stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : threads_)
        if (t.joinable()) t.join();
    threads_.clear();
}

void WorkerPool::run() {
    drop_effective_caps();
    // Its own cwd/root/umask, so that an open performed for the app can use the app's umask
    // without changing vigil's.
    if (unshare(CLONE_FS) != 0) spdlog::warn("notify worker: unshare(CLONE_FS) failed");
    std::unique_lock lock(mu_);
    for (;;) {
        ++idle_;
        cv_.wait(lock, [this] { return stopping_ || !jobs_.empty(); });
        --idle_;
        if (jobs_.empty()) return;  // stopping and nothing left
        auto job = std::move(jobs_.front());
        jobs_.pop_front();
        lock.unlock();
        job();
        lock.lock();
    }
}

}  // namespace vigil
