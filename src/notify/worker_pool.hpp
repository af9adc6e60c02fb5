// Threads for the calls vigil performs on the app's behalf (connect, bind, send on its socket
// copy), which may block, so the event loop keeps answering notifications. Bounded: a job is
// refused when every allowed thread is busy (the caller then answers EAGAIN), and stop()
// interrupts jobs still blocked in a syscall so that vigil can exit with the app. Private to
// src/notify.
#pragma once

#include <pthread.h>
#include <sys/types.h>

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <optional>
#include <thread>
#include <vector>

#include "vigil/seccomp_notify.hpp"

namespace vigil {

class WorkerPool {
public:
    explicit WorkerPool(size_t max_threads) : max_threads_(max_threads) {}
    ~WorkerPool() { stop(); }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // The identity workers act with (the app's fsuid/fsgid and groups, no capabilities); set
    // before the first post.
    void set_identity(std::optional<ProcessIds> ids) { ids_ = std::move(ids); }

    // Queues a job and starts a thread when none is idle. False (job not queued) when all
    // max_threads are busy, or after stop().
    // The job gets false when the thread could not take the app's identity: it must then not act.
    bool try_post(std::function<void(bool identity_ok)> job);
    // Interrupts running jobs (a signal that makes their blocking syscall fail with EINTR),
    // over and over until every job has returned, then joins every thread. Queued jobs still
    // run (their syscalls fail at once: the caller closed the sockets' other ends).
    void stop();
    size_t busy() const;
    size_t max_threads() const { return max_threads_; }

private:
    void run();
    bool take_identity();
    size_t max_threads_;
    std::optional<ProcessIds> ids_;
    mutable std::mutex mu_;
    std::condition_variable cv_;
    std::condition_variable done_cv_;
    std::deque<std::function<void(bool)>> jobs_;
    std::vector<std::thread> threads_;
    std::vector<pthread_t> running_;  // threads inside a job
    size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace vigil
