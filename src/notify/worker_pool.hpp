// A few threads for the decisions that may block (connect performed on the app's behalf), so
// the event loop keeps answering notifications. Private to src/notify.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

namespace vigil {

class WorkerPool {
public:
    explicit WorkerPool(size_t max_threads) : max_threads_(max_threads) {}
    ~WorkerPool() { stop(); }
    WorkerPool(const WorkerPool&) = delete;
    WorkerPool& operator=(const WorkerPool&) = delete;

    // Queues a job; starts another thread when every thread is busy and the limit allows.
    void post(std::function<void()> job);
    // Runs what is queued, then joins every thread. Later posts run on the caller's thread.
    void stop();

private:
    void run();
    size_t max_threads_;
    std::mutex mu_;
    std::condition_variable cv_;
    std::deque<std::function<void()>> jobs_;
    std::vector<std::thread> threads_;
    size_t idle_ = 0;
    bool stopping_ = false;
};

}  // namespace vigil
