#include "output.hpp"

#include <poll.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <map>
#include <mutex>
#include <vector>

#include "vigil/audit.hpp"  // rfc3339
#include "vigil/error.hpp"
#include "vigil/phases.hpp"  // kMaxOutputLine
#include "vigil/text.hpp"

namespace vigil::services_detail {

namespace {

// One write(2) carries whole lines up to this size: a pipe writes that much atomically, so a
// relayed line never interleaves with a line vigil logs on the same stream.
constexpr size_t kBatch = 4096;

void write_all(int fd, const char* p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) return;  // vigil's own output is gone: the services keep running regardless
        p += w;
        n -= static_cast<size_t>(w);
    }
}

}  // namespace

struct LineWriter::State {
    struct Line {
        int owner, fd;
        std::string bytes;
    };
    int wake_fd = -1;  // eventfd: the writer made room for a paused owner
    std::mutex mu;
    std::condition_variable cv, drained;
    std::deque<Line> queue;
    std::map<int, size_t> queued;  // owner -> bytes waiting
    std::map<int, bool> wants_resume;
    bool stop = false;
    bool writing = false;
    ~State() {
        if (wake_fd >= 0) close(wake_fd);
    }
};

LineWriter::LineWriter(EventLoop& loop, std::function<void()> resumed)
    : loop_(loop), resumed_(std::move(resumed)), st_(std::make_shared<State>()) {
    st_->wake_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
    if (st_->wake_fd < 0) throw_errno("eventfd (output relay)");
    loop_.watch(st_->wake_fd, EPOLLIN, [this](uint32_t) {
        uint64_t n;
        while (read(st_->wake_fd, &n, sizeof n) == sizeof n) {}
        resumed_();
    });
    thread_ = std::thread(thread_main, st_);
}

LineWriter::~LineWriter() {
    bool idle;
    {
        std::lock_guard lock(st_->mu);
        st_->stop = true;
        idle = st_->queue.empty() && !st_->writing;
    }
    st_->cv.notify_all();
    loop_.unwatch(st_->wake_fd);
    // A writer stuck on a reader that never reads is left behind (it holds the state); exit
    // ends it with vigil.
    if (idle) thread_.join();
    else thread_.detach();
}

void LineWriter::push(int owner, int fd, std::string line) {
    {
        std::lock_guard lock(st_->mu);
        st_->queued[owner] += line.size();
        st_->queue.push_back({owner, fd, std::move(line)});
    }
    st_->cv.notify_one();
}

bool LineWriter::over_budget(int owner) {
    std::lock_guard lock(st_->mu);
    bool over = st_->queued[owner] > kOwnerBudget;
    if (over) st_->wants_resume[owner] = true;
    return over;
}

void LineWriter::flush(std::chrono::milliseconds max) {
    std::unique_lock lock(st_->mu);
    st_->drained.wait_for(lock, max, [this] { return st_->queue.empty() && !st_->writing; });
}

void LineWriter::thread_main(std::shared_ptr<State> st) {
    std::unique_lock lock(st->mu);
    for (;;) {
        st->cv.wait(lock, [&] { return st->stop || !st->queue.empty(); });
        if (st->queue.empty()) return;  // stop, and nothing left to write
        // Whole lines for one fd, up to kBatch bytes (a longer line goes alone).
        int fd = st->queue.front().fd;
        std::string out;
        std::vector<std::pair<int, size_t>> owners;
        while (!st->queue.empty() && st->queue.front().fd == fd &&
               (out.empty() || out.size() + st->queue.front().bytes.size() <= kBatch)) {
            out += st->queue.front().bytes;
            owners.emplace_back(st->queue.front().owner, st->queue.front().bytes.size());
            st->queue.pop_front();
        }
        st->writing = true;
        lock.unlock();
        write_all(fd, out.data(), out.size());
        lock.lock();
        st->writing = false;
        bool wake = false;
        for (const auto& [owner, size] : owners) {
            size_t& q = st->queued[owner];
            q -= size;
            if (st->wants_resume[owner] && q <= kOwnerBudget / 2) {
                st->wants_resume[owner] = false;
                wake = true;
            }
        }
        if (wake) {
            uint64_t one = 1;
            if (::write(st->wake_fd, &one, sizeof one) < 0) {}  // counter full: a wake-up is pending anyway
        }
        if (st->queue.empty()) st->drained.notify_all();
    }
}

std::string format_line(std::string_view service, int stream, std::string_view line, bool json) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);  // CRLF output
    if (json) {
        return "{\"time\":\"" + rfc3339(std::chrono::system_clock::now()) + "\",\"source\":\"service\",\"service\":\"" +
               text::json_escape(service) + "\",\"stream\":\"" + (stream == 2 ? "stderr" : "stdout") + "\",\"msg\":\"" +
               text::json_escape(line) + "\"}\n";
    }
    // Control characters other than tab (a carriage return could overwrite the prefix on a
    // terminal, an escape sequence move the cursor) are shown as '?'.
    std::string clean = text::sanitize_utf8(line);
    for (char& c : clean)
        if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
    std::string out;
    out.reserve(service.size() + 3 + clean.size() + 1);
    out.append(service).append(" | ").append(clean).push_back('\n');
    return out;
}

OutputPipe::~OutputPipe() {
    if (fd_ >= 0) close(fd_);
}

bool OutputPipe::pump() {
    char buf[16384];
    ssize_t n = read(fd_, buf, sizeof buf);
    if (n < 0) return errno == EAGAIN || errno == EINTR;
    if (n == 0) {
        if (!line_.empty()) emit();
        return false;
    }
    for (ssize_t i = 0; i < n; ++i) {
        if (buf[i] == '\n') {
            emit();
            continue;
        }
        line_.push_back(buf[i]);
        if (line_.size() >= kMaxOutputLine) emit();  // a line that never ends is relayed in pieces
    }
    return true;
}

void OutputPipe::drain() {
    for (;;) {
        pollfd p{fd_, POLLIN, 0};
        if (poll(&p, 1, 0) != 1 || !pump()) break;  // not readable: a writer outside vigil's tree holds it
    }
    if (!line_.empty()) emit();
}

void OutputPipe::emit() {
    on_line_(line_);
    line_.clear();
}

}  // namespace vigil::services_detail
