// Receiving and recording notifications. Every call is continued: learn never decides,
// so reading the caller's memory here is only for the record: nothing is decided on it.
#include "vigil/log.hpp"
#include <sys/epoll.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>

#include "learn_internal.hpp"
#include "learn_session.hpp"

#include <unistd.h>
#include "vigil/notify.hpp"

namespace vigil::learn {

namespace {

// Thread names change (the JVM names its threads after they start); re-read a cached name
// when it is older than this, so a busy thread costs one /proc read per interval, not per call.
constexpr auto kNameRefresh = std::chrono::milliseconds(50);

}  // namespace

LearnSession::LearnSession(std::optional<ReadyCondition> ready, Finish finish)
    : ready_(std::move(ready)), finish_(std::move(finish)), start_(std::chrono::steady_clock::now()) {}

LearnSession::~LearnSession() {
    if (loop_ && listener_.fd() >= 0) loop_->unwatch(listener_.fd());
}

double LearnSession::now_ms() const {
    return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start_).count();
}

void LearnSession::started(EventLoop& loop, const SpawnResult& spawned) {
    loop_ = &loop;
    start_ = std::chrono::steady_clock::now();
    if (ready_) {
        tracker_ = std::make_unique<PhaseTracker>(*ready_, [this](Phase phase, const std::string& why) {
            if (phase == Phase::Ready) {
                recorder_.set_phase(kReady);
                stats_.reached_ready = true;
                log::info("learn: app is ready ({}); calls from now on count as \"ready\"", why);
            } else {
                log::warn("learn: app never became ready ({}); every call counts as \"startup\"", why);
            }
        });
        tracker_->start(loop, spawned.pid);
    }
    if (spawned.listener_fd < 0) {
        // Without a listener nothing can be recorded; say so loudly rather than write an
        // empty profile that would break the app.
        log::error("learn: no seccomp listener (the kernel refused it: {}); nothing will be recorded",
                      spawned.listener_refused ? "another listener holds the task" : "no filter");
        return;
    }
    listener_ = Listener(spawned.listener_fd);
    if (listener_.set_sync_wake_up()) log::debug("learn: listener uses synchronous wake-up");
    loop.watch_direct(listener_.fd(), [this](uint32_t events) {
        if (events & (EPOLLHUP | EPOLLERR)) {
            // Every process under the filter is gone.
            loop_->unwatch(listener_.fd());
            listener_.close();
            return;
        }
        on_notification();
    });
}

void LearnSession::output_line(int stream, std::string_view line) {
    (void)stream;
    if (tracker_) tracker_->output_line(line);
}

const std::string& LearnSession::thread_of(pid_t tid) {
    auto now = std::chrono::steady_clock::now();
    auto it = names_.find(tid);
    if (it == names_.end() || now - it->second.read_at > kNameRefresh) {
        // /proc/TID/task/TID names the thread whichever process it belongs to.
        std::string name = thread_name(tid, tid);
        it = names_.insert_or_assign(tid, CachedName{std::move(name), now}).first;
    }
    return it->second.name;
}

void LearnSession::read_arguments(const Notification& n, CallInfo& call) {
    switch (memory_need(n.nr)) {
        case MemoryNeed::None:
            return;
        case MemoryNeed::PathArg0:
            call.path = read_string(n.tid, n.args[0]);
            break;
        case MemoryNeed::PathArg1:
            call.path = read_string(n.tid, n.args[1]);
            break;
        case MemoryNeed::SockaddrArg1: {
            sockaddr_storage ss{};
            size_t len = std::min<uint64_t>(n.args[2], sizeof ss);
            ssize_t got = read_memory(n.tid, n.args[1], &ss, len);
            if (got > 0)
                call.dest = format_sockaddr(reinterpret_cast<const sockaddr*>(&ss), static_cast<socklen_t>(got));
            break;
        }
        case MemoryNeed::Clone3Flags: {
            uint64_t flags = 0;
            if (read_memory(n.tid, n.args[0], &flags, sizeof flags) == sizeof flags) call.clone3_flags = flags;
            break;
        }
    }
    // A relative path names a file under the caller's working directory (run.sh and
    // catalina.sh change it), not vigil's: recorded, never used to decide anything.
    if (call.path && !call.path->empty() && (*call.path)[0] != '/') {
        char cwd[4096];
        std::string link = "/proc/" + std::to_string(n.tid) + "/cwd";
        ssize_t len = readlink(link.c_str(), cwd, sizeof cwd - 1);
        if (len > 0 && cwd[0] == '/') call.cwd = std::string(cwd, static_cast<size_t>(len));
    }
    // The thread may have died and its TID been reused: then the bytes are someone else's.
    if (!listener_.id_valid(n.id)) {
        call.cwd.reset();
        call.path.reset();
        call.dest.reset();
        call.clone3_flags.reset();
    }
}

void LearnSession::on_notification() {
    std::optional<Notification> n = listener_.receive();
    if (!n) return;  // the caller went away before we got to it
    CallInfo call;
    call.nr = n->nr;
    std::copy(std::begin(n->args), std::end(n->args), std::begin(call.args));
    read_arguments(*n, call);
    // Answer first: the thread waits for us, the bookkeeping does not need it.
    listener_.respond_continue(n->id);
    if (n->tid > 0) call.thread = thread_of(n->tid);
    recorder_.record(call, now_ms());
    // The thread renames itself: its next call must not be booked under the old name.
    if (n->nr == SYS_prctl && n->args[0] == PR_SET_NAME) names_.erase(n->tid);
}

void LearnSession::finished() {
    if (finished_) return;
    finished_ = true;
    // Notifications still queued belong to processes that outlived the app; they are
    // answered by the kernel (ENOSYS) once the listener closes.
    if (loop_ && listener_.fd() >= 0) {
        loop_->unwatch(listener_.fd());
        listener_.close();
    }
    finish_(stats_);
}

}  // namespace vigil::learn
