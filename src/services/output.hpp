// Internal to src/services: the services' stdout and stderr, relayed line by line to vigil's own
// with the service's name on each line, without ever blocking the event loop.
#pragma once

#include <chrono>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <thread>

#include "vigil/event_loop.hpp"

namespace vigil::services_detail {

// A writer thread takes the lines to vigil's stdout/stderr, so a slow or stuck reader of
// vigil's output (a full pipe, a paused terminal) stalls that thread, never the loop that
// answers seccomp notifications. Each service may have at most kOwnerBudget bytes waiting; a
// service over it is paused (its pipe is not read, so it waits in its own write(2)) until the
// writer has caught up: a flooding service slows itself down, not vigil nor its neighbours.
class LineWriter {
public:
    static constexpr size_t kOwnerBudget = 256 * 1024;

    // resumed is called on the loop's thread when a paused owner may be read again.
    LineWriter(EventLoop& loop, std::function<void()> resumed);
    ~LineWriter();
    LineWriter(const LineWriter&) = delete;
    LineWriter& operator=(const LineWriter&) = delete;

    // Queues one line (newline included) for fd on behalf of owner.
    void push(int owner, int fd, std::string line);
    // True while owner has more than its budget waiting.
    bool over_budget(int owner);
    // Waits up to max for the queue to be written (at exit); gives up on a reader that never reads.
    void flush(std::chrono::milliseconds max);

private:
    struct State;  // shared with the writer thread, which may outlive a writer stuck at exit
    static void thread_main(std::shared_ptr<State> st);
    EventLoop& loop_;
    std::function<void()> resumed_;
    std::shared_ptr<State> st_;
    std::thread thread_;
};

// "name | line" (text logs) or a JSON object per line (VIGIL_LOG_FORMAT=json) with the line's
// text escaped: whatever a service prints, it cannot start a line that seems to come from
// another service or from vigil.
std::string format_line(std::string_view service, int stream, std::string_view line, bool json);

// Reads one service's stdout or stderr pipe and hands out whole lines (at most
// kMaxOutputLine bytes; a longer one is cut into pieces of that size).
class OutputPipe {
public:
    using LineFn = std::function<void(std::string_view line)>;
    OutputPipe(int fd, LineFn on_line) : fd_(fd), on_line_(std::move(on_line)) {}
    ~OutputPipe();
    // Reads what is there (one buffer); returns false at EOF (the last partial line has been
    // handed out).
    bool pump();
    // Reads until the pipe is empty or at EOF, and hands out the partial line (at exit).
    void drain();
    int fd() const { return fd_; }

private:
    void emit();
    int fd_;
    LineFn on_line_;
    std::string line_;
};

}  // namespace vigil::services_detail
