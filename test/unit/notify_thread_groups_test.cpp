// ThreadGroups (src/notify/seccomp_notify.cpp): the notification path's tid -> process cache.
// An entry is trusted only while the thread it was made for is alive: once that thread exits,
// its TID may name another thread, so the next lookup must go back to /proc.
#include <doctest/doctest.h>

#include <sys/syscall.h>
#include <unistd.h>

#include <atomic>
#include <thread>

#include "vigil/seccomp_notify.hpp"

using namespace vigil;

TEST_CASE("ThreadGroups answers from the cache while the thread lives, and not after it exited") {
    ThreadGroups groups;
    std::atomic<pid_t> tid{0};
    std::atomic<bool> done{false};
    std::thread t([&] {
        tid = static_cast<pid_t>(syscall(SYS_gettid));
        while (!done) usleep(1000);
    });
    while (tid == 0) usleep(1000);
    CHECK(groups.of(tid) == getpid());
    CHECK(groups.of(tid) == getpid());
    CHECK(groups.of(tid) == getpid());
    // The kernel may lack PIDFD_THREAD (before Linux 6.9): then every lookup reads /proc.
    bool cached = groups.hits() == 2;
    CHECK((cached || groups.misses() == 3));
    pid_t gone = tid;
    done = true;
    t.join();
    uint64_t misses = groups.misses();
    pid_t after = groups.of(gone);
    CHECK(groups.misses() == misses + 1);  // never answered from the dead thread's entry
    CHECK(after != getpid());              // /proc has no such thread of ours any more
    CHECK(groups.of(getpid()) == getpid());
}
