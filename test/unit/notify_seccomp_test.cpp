// The seccomp user-notification layer against the real kernel (forked, filtered children).
#include <doctest/doctest.h>
#include <fcntl.h>
#include <poll.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include <cerrno>

#include "notify_harness.hpp"
#include "vigil/seccomp_notify.hpp"

using namespace vigil;
using notify_test::Child;

namespace {

Notification receive_one(Listener& l) {
    auto n = l.receive();
    REQUIRE(n.has_value());
    return *n;
}

}  // namespace

TEST_CASE("notif sizes come from the kernel") {
    CHECK(notif_sizes().notif >= sizeof(seccomp_notif));
    CHECK(notif_sizes().resp >= sizeof(seccomp_notif_resp));
}

TEST_CASE("respond value, errno and continue reach the caller") {
    Child c;
    notify_test::start(c, {SYS_getppid}, [] {
        long parent = getppid();  // answered: continue, so the real value
        errno = 0;
        if (syscall(SYS_getppid) != 4242) return 1;  // answered with a value
        if (syscall(SYS_getppid) != -1 || errno != EACCES) return 2;  // answered with an errno
        return parent == getppid() - 0 ? 0 : 3;  // continue again
    });
    Listener l(c.listener);
    c.listener = -1;
    Notification first = receive_one(l);
    CHECK(first.nr == SYS_getppid);
    CHECK(first.tid == c.pid);
    CHECK(first.arch == AUDIT_ARCH_X86_64);
    CHECK(l.id_valid(first.id));
    CHECK(l.respond_continue(first.id));
    CHECK(l.respond_value(receive_one(l).id, 4242));
    CHECK(l.respond_errno(receive_one(l).id, EACCES));
    CHECK(l.respond_continue(receive_one(l).id));
    CHECK(c.wait() == 0);
}

TEST_CASE("a caller that went away: id invalid, answer returns false, receive returns nothing") {
    Child c;
    notify_test::start(c, {SYS_getppid}, [] { return static_cast<int>(syscall(SYS_getppid)); });
    Listener l(c.listener);
    c.listener = -1;
    pollfd p{l.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    Notification n = receive_one(l);
    kill(c.pid, SIGKILL);
    CHECK(c.wait() == 128 + SIGKILL);
    CHECK_FALSE(l.id_valid(n.id));
    CHECK_FALSE(l.respond_continue(n.id));
}

TEST_CASE("receive returns nothing when the caller died between poll and receive") {
    Child c;
    notify_test::start(c, {SYS_getppid}, [] { return static_cast<int>(syscall(SYS_getppid)); });
    Listener l(c.listener);
    c.listener = -1;
    pollfd p{l.fd(), POLLIN, 0};
    REQUIRE(poll(&p, 1, 5000) == 1);
    kill(c.pid, SIGKILL);
    CHECK(c.wait() == 128 + SIGKILL);
    CHECK_FALSE(l.receive().has_value());
}

TEST_CASE("read_string reads a path ending just before an unmapped page") {
    Child c;
    notify_test::start(c, {SYS_openat}, [] {
        long page = sysconf(_SC_PAGESIZE);
        char* two = static_cast<char*>(
            mmap(nullptr, 2 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
        if (two == MAP_FAILED) return 10;
        munmap(two + page, page);
        const char path[] = "/vigil/edge/of/page";
        char* s = two + page - sizeof path;  // the NUL is the page's last byte
        memcpy(s, path, sizeof path);
        errno = 0;
        int fd = openat(AT_FDCWD, s, O_RDONLY);
        if (fd != -1 || errno != ENOENT) return 11;
        // Unterminated: the string runs into the unmapped page.
        memset(two, 'x', page);
        fd = openat(AT_FDCWD, two, O_RDONLY);
        return (fd == -1 && errno == EFAULT) ? 0 : 12;
    });
    Listener l(c.listener);
    c.listener = -1;
    Notification n = receive_one(l);
    auto path = read_string(n.tid, n.args[1]);
    REQUIRE(path.has_value());
    CHECK(*path == "/vigil/edge/of/page");
    CHECK(l.id_valid(n.id));
    CHECK(l.respond_errno(n.id, ENOENT));
    n = receive_one(l);
    CHECK_FALSE(read_string(n.tid, n.args[1]).has_value());
    CHECK_FALSE(read_string(n.tid, n.args[1], 16).has_value());  // no NUL within max_len
    CHECK(l.respond_errno(n.id, EFAULT));
    CHECK(c.wait() == 0);
}

TEST_CASE("process facts: thread group, thread name, executable") {
    Child c;
    notify_test::start(c, {SYS_getppid}, [] {
        prctl(PR_SET_NAME, "vigil-test-thr");
        return static_cast<int>(syscall(SYS_getppid) == 0 ? 0 : 1);
    });
    Listener l(c.listener);
    c.listener = -1;
    Notification n = receive_one(l);
    CHECK(thread_group(n.tid) == c.pid);
    CHECK(thread_name(c.pid, n.tid) == "vigil-test-thr");
    CHECK(executable(c.pid) == executable(getpid()));
    CHECK(l.respond_value(n.id, 0));
    CHECK(c.wait() == 0);
    CHECK(thread_group(c.pid + 0) == -1);  // reaped: gone
}

TEST_CASE("add_fd with SEND answers the call with a new fd in the caller") {
    Child c;
    notify_test::start(c, {SYS_openat}, [] {
        int fd = openat(AT_FDCWD, "/vigil-nonexistent", O_RDONLY);
        struct stat st {};
        if (fd < 0 || fstat(fd, &st) != 0) return 1;
        return S_ISCHR(st.st_mode) ? 0 : 2;
    });
    Listener l(c.listener);
    c.listener = -1;
    Notification n = receive_one(l);
    int devnull = open("/dev/null", O_RDONLY | O_CLOEXEC);
    REQUIRE(devnull >= 0);
    int remote = l.add_fd(n.id, devnull, SECCOMP_ADDFD_FLAG_SEND, O_CLOEXEC);
    close(devnull);
    CHECK(remote >= 0);
    CHECK(c.wait() == 0);
}

TEST_CASE("copy_caller_fd duplicates the caller's socket") {
    Child c;
    notify_test::start(c, {SYS_getppid}, [] {
        int sv[2];
        if (socketpair(AF_UNIX, SOCK_STREAM, 0, sv) != 0) return 1;
        if (syscall(SYS_getppid, sv[0]) != 0) return 2;  // pass the fd number in arg0 (ignored)
        char buf[3] = {};
        return read(sv[1], buf, 2) == 2 && memcmp(buf, "ok", 2) == 0 ? 0 : 3;
    });
    Listener l(c.listener);
    c.listener = -1;
    Notification n = receive_one(l);
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, c.pid, 0));
    REQUIRE(pidfd >= 0);
    int fd = copy_caller_fd(pidfd, static_cast<int>(n.args[0]));
    REQUIRE(fd >= 0);
    CHECK((fcntl(fd, F_GETFD) & FD_CLOEXEC) != 0);
    CHECK(write(fd, "ok", 2) == 2);
    close(fd);
    CHECK(copy_caller_fd(pidfd, 999) == -EBADF);
    close(pidfd);
    CHECK(l.respond_value(n.id, 0));
    CHECK(c.wait() == 0);
}

TEST_CASE("sync wake-up is available on this kernel") {
    Child c;
    notify_test::start(c, {SYS_getppid}, [] { return 0; });
    Listener l(c.listener);
    c.listener = -1;
    CHECK(l.set_sync_wake_up());
    CHECK(c.wait() == 0);
}
