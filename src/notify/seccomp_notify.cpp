// Kernel seccomp user-notification API, caller-memory reads, vigil's self-protection.
#include "vigil/seccomp_notify.hpp"

#include <fcntl.h>
#include <poll.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string_view>

#include "vigil/error.hpp"
#include "vigil/text.hpp"

// Newer than the Debian 12 kernel headers (Linux 6.6).
#ifndef SECCOMP_IOCTL_NOTIF_SET_FLAGS
#define SECCOMP_IOCTL_NOTIF_SET_FLAGS SECCOMP_IOW(4, __u64)
#endif
#ifndef SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP
#define SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (1UL << 0)
#endif

namespace vigil {

const NotifSizes& notif_sizes() {
    static const NotifSizes sizes = [] {
        seccomp_notif_sizes s{};
        if (syscall(SYS_seccomp, SECCOMP_GET_NOTIF_SIZES, 0, &s) != 0)
            throw_errno("seccomp(SECCOMP_GET_NOTIF_SIZES)");
        return NotifSizes{s.seccomp_notif, s.seccomp_notif_resp, s.seccomp_data};
    }();
    return sizes;
}

Listener::Listener(int fd) : fd_(fd) {}

Listener::~Listener() { close(); }

Listener::Listener(Listener&& other) noexcept
    : fd_(other.fd_), buf_(std::move(other.buf_)), resp_buf_(std::move(other.resp_buf_)) {
    other.fd_ = -1;
}

Listener& Listener::operator=(Listener&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = other.fd_;
        buf_ = std::move(other.buf_);
        resp_buf_ = std::move(other.resp_buf_);
        other.fd_ = -1;
    }
    return *this;
}

void Listener::close() {
    if (fd_ >= 0) ::close(fd_);
    fd_ = -1;
}

std::optional<Notification> Listener::receive() {
    // The kernel's struct may be larger than the one in our headers; it also insists on a
    // zeroed buffer (EINVAL otherwise).
    size_t size = std::max<size_t>(notif_sizes().notif, sizeof(seccomp_notif));
    buf_.assign(size, 0);
    for (;;) {
        if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_RECV, buf_.data()) == 0) break;
        if (errno == EINTR) {
            std::fill(buf_.begin(), buf_.end(), 0);
            continue;
        }
        if (errno == ENOENT) return std::nullopt;
        throw_errno("ioctl(SECCOMP_IOCTL_NOTIF_RECV)");
    }
    const auto* raw = reinterpret_cast<const seccomp_notif*>(buf_.data());
    Notification n;
    n.id = raw->id;
    n.tid = static_cast<pid_t>(raw->pid);
    n.nr = raw->data.nr;
    n.arch = raw->data.arch;
    n.instruction_pointer = raw->data.instruction_pointer;
    std::copy(std::begin(raw->data.args), std::end(raw->data.args), n.args);
    return n;
}

bool Listener::id_valid(uint64_t id) const {
    return ioctl(fd_, SECCOMP_IOCTL_NOTIF_ID_VALID, &id) == 0;
}

bool Listener::send(uint64_t id, int64_t value, int error, uint32_t flags) {
    size_t size = std::max<size_t>(notif_sizes().resp, sizeof(seccomp_notif_resp));
    resp_buf_.assign(size, 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(resp_buf_.data());
    resp->id = id;
    resp->val = value;
    resp->error = error;
    resp->flags = flags;
    for (;;) {
        if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_SEND, resp) == 0) return true;
        if (errno == EINTR) continue;
        if (errno == ENOENT) return false;
        throw_errno("ioctl(SECCOMP_IOCTL_NOTIF_SEND)");
    }
}

bool Listener::respond_continue(uint64_t id) {
    return send(id, 0, 0, SECCOMP_USER_NOTIF_FLAG_CONTINUE);
}

bool Listener::respond_errno(uint64_t id, int error) {
    // The kernel returns `error` as the syscall's result, so it must be negative.
    return send(id, 0, -std::abs(error), 0);
}

bool Listener::respond_value(uint64_t id, int64_t value) { return send(id, value, 0, 0); }

bool Listener::set_sync_wake_up() {
    // For measurements (bench/README.md): VIGIL_SYNC_WAKE_UP=0 leaves the kernel's default.
    if (const char* v = getenv("VIGIL_SYNC_WAKE_UP"); v && std::strcmp(v, "0") == 0) return false;
    if (ioctl(fd_, SECCOMP_IOCTL_NOTIF_SET_FLAGS, SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP) == 0)
        return true;
    if (errno == EINVAL || errno == ENOTTY) return false;
    throw_errno("ioctl(SECCOMP_IOCTL_NOTIF_SET_FLAGS)");
}

int Listener::add_fd(uint64_t id, int src_fd, uint32_t flags, uint32_t fd_flags, int target_fd) {
    seccomp_notif_addfd addfd{};
    addfd.id = id;
    addfd.flags = flags;
    addfd.srcfd = static_cast<uint32_t>(src_fd);
    addfd.newfd = static_cast<uint32_t>(target_fd);
    addfd.newfd_flags = fd_flags;
    for (;;) {
        int r = ioctl(fd_, SECCOMP_IOCTL_NOTIF_ADDFD, &addfd);
        if (r >= 0) return r;
        if (errno != EINTR) return -errno;
    }
}

namespace {

std::string proc_path(pid_t pid, const char* leaf) {
    char buf[64];
    snprintf(buf, sizeof buf, "/proc/%d/%s", static_cast<int>(pid), leaf);
    return buf;
}

// "Name:\tvalue..." line of /proc/PID/status, without the key ("" when absent).
std::string status_field(pid_t pid, const std::string& key) {
    std::string status = text::read_small_file(proc_path(pid, "status").c_str());
    std::string want = key + ":";
    for (size_t at = 0; at < status.size();) {
        size_t end = status.find('\n', at);
        if (end == std::string::npos) end = status.size();
        if (status.compare(at, want.size(), want) == 0)
            return status.substr(at + want.size(), end - at - want.size());
        at = end + 1;
    }
    return {};
}

// Whitespace-separated unsigned numbers of a status field ("1000\t1000\t1000\t1000").
std::vector<unsigned long> numbers(const std::string& field) {
    std::vector<unsigned long> out;
    const char* p = field.c_str();
    for (;;) {
        while (*p == ' ' || *p == '\t') ++p;
        if (*p < '0' || *p > '9') break;
        char* end = nullptr;
        errno = 0;
        unsigned long v = strtoul(p, &end, 10);
        if (errno != 0 || end == p) break;
        out.push_back(v);
        p = end;
    }
    return out;
}

// setfsuid/setfsgid as raw syscalls: they change the calling thread only (the kernel's
// credentials are per thread), and they never touch the real, effective or saved ids, which
// decide who may signal vigil. setfsuid(-1) only reports the current value.
uid_t set_fsuid(uid_t id) { return static_cast<uid_t>(syscall(SYS_setfsuid, id)); }
gid_t set_fsgid(gid_t id) { return static_cast<gid_t>(syscall(SYS_setfsgid, id)); }

// Runs F (a /proc access that returns >= 0 or -errno) as the target TID: the kernel's check
// for /proc/TID/mem and /proc/TID/fd (PTRACE_MODE_*_FSCREDS) compares vigil's fsuid/fsgid with
// the target's ids, so this works without CAP_SYS_PTRACE when the target is dumpable and holds
// no capability vigil lacks.
template <class F>
long as_target(pid_t tid, F f) {
    auto ids = process_ids(tid);
    if (!ids) return -ESRCH;
    gid_t old_gid = set_fsgid(ids->egid);
    uid_t old_uid = set_fsuid(ids->euid);
    long r = f();
    set_fsuid(old_uid);
    set_fsgid(old_gid);
    // A thread left with the app's fs identity would act as the app: never go on like that.
    if (set_fsuid(static_cast<uid_t>(-1)) != old_uid || set_fsgid(static_cast<gid_t>(-1)) != old_gid) {
        fprintf(stderr, "vigil: cannot restore its file-system ids after reading from the app\n");
        abort();
    }
    return r;
}

// F as vigil first, and as the target only when vigil's own ids are refused (/proc/PID/fd and
// /proc/PID/ns of an app under another uid).
template <class F>
long as_target_if_refused(pid_t tid, F f) {
    long r = f();
    return r == -EACCES || r == -EPERM ? as_target(tid, f) : r;
}

int open_mem_as_target(pid_t tid, int flags) {
    std::string path = proc_path(tid, "mem");
    return static_cast<int>(as_target(tid, [&]() -> long {
        int fd = open(path.c_str(), flags | O_CLOEXEC);
        return fd < 0 ? -errno : fd;
    }));
}

ssize_t proc_mem_io(pid_t tid, uint64_t addr, void* buf, size_t len, bool write) {
    int fd = open_mem_as_target(tid, write ? O_WRONLY : O_RDONLY);
    if (fd < 0) return fd;
    ssize_t n = write ? pwrite(fd, buf, len, static_cast<off_t>(addr))
                      : pread(fd, buf, len, static_cast<off_t>(addr));
    int err = errno;
    ::close(fd);
    return n < 0 ? -err : n;
}

}  // namespace

std::optional<ProcessIds> process_ids(pid_t pid) {
    auto u = numbers(status_field(pid, "Uid")), g = numbers(status_field(pid, "Gid"));
    if (u.size() < 2 || g.size() < 2) return std::nullopt;
    ProcessIds ids{static_cast<uid_t>(u[1]), static_cast<gid_t>(g[1]), {}};
    for (unsigned long one : numbers(status_field(pid, "Groups"))) ids.groups.push_back(static_cast<gid_t>(one));
    return ids;
}

ssize_t read_memory(pid_t tid, uint64_t addr, void* buf, size_t len) {
    iovec local{buf, len};
    iovec remote{reinterpret_cast<void*>(addr), len};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n >= 0) return n;
    if (errno == ENOSYS || errno == EPERM) return proc_mem_io(tid, addr, buf, len, false);
    return -errno;
}

ssize_t write_memory(pid_t tid, uint64_t addr, const void* buf, size_t len) {
    iovec local{const_cast<void*>(buf), len};
    iovec remote{reinterpret_cast<void*>(addr), len};
    ssize_t n = process_vm_writev(tid, &local, 1, &remote, 1, 0);
    if (n >= 0) return n;
    if (errno == ENOSYS || errno == EPERM)
        return proc_mem_io(tid, addr, const_cast<void*>(buf), len, true);
    return -errno;
}

std::optional<std::string> read_string(pid_t tid, uint64_t addr, size_t max_len) {
    const size_t page = static_cast<size_t>(sysconf(_SC_PAGESIZE));
    std::string out;
    char chunk[4096];
    while (out.size() < max_len) {
        // Never read across a page boundary in one go: the next page may be unmapped even
        // though the string ends on this one.
        size_t to_page_end = page - (addr % page);
        size_t want = std::min({to_page_end, sizeof chunk, max_len - out.size()});
        ssize_t n = read_memory(tid, addr, chunk, want);
        if (n <= 0) return std::nullopt;
        const void* nul = memchr(chunk, '\0', static_cast<size_t>(n));
        if (nul) {
            out.append(chunk, static_cast<const char*>(nul) - chunk);
            return out;
        }
        out.append(chunk, static_cast<size_t>(n));
        addr += static_cast<uint64_t>(n);
    }
    return std::nullopt;
}

pid_t thread_group(pid_t tid) {
    auto v = numbers(status_field(tid, "Tgid"));
    if (v.empty()) return -1;
    return static_cast<pid_t>(v[0]);
}

ThreadGroups::ThreadGroups(size_t capacity) : capacity_(capacity) {
    // A quarter of the fd limit at most: the cache must never starve vigil's own opens.
    rlimit nofile{};
    if (getrlimit(RLIMIT_NOFILE, &nofile) == 0 && nofile.rlim_cur != RLIM_INFINITY)
        capacity_ = std::min<size_t>(capacity_, nofile.rlim_cur / 4);
}

ThreadGroups::~ThreadGroups() {
    for (auto& [tid, e] : entries_) ::close(e.pidfd);
}

namespace {

#ifndef PIDFD_THREAD
#define PIDFD_THREAD O_EXCL
#endif

// A pidfd of a thread is readable once that thread has exited.
bool exited(int pidfd) {
    pollfd p{pidfd, POLLIN, 0};
    int r = poll(&p, 1, 0);
    return r != 0;  // readable, hung up, or poll failed: do not trust the entry
}

}  // namespace

void ThreadGroups::drop_exited() {
    auto keep = entries_.begin();
    for (auto& e : entries_) {
        if (exited(e.second.pidfd)) ::close(e.second.pidfd);
        else *keep++ = e;
    }
    entries_.erase(keep, entries_.end());
}

pid_t ThreadGroups::of(pid_t tid) {
    auto it = std::lower_bound(entries_.begin(), entries_.end(), tid,
                               [](const auto& e, pid_t t) { return e.first < t; });
    if (it != entries_.end() && it->first == tid) {
        if (!exited(it->second.pidfd)) {
            ++hits_;
            return it->second.tgid;
        }
        // That thread is gone: TID now names another one (or none).
        ::close(it->second.pidfd);
        it = entries_.erase(it);
    }
    ++misses_;
    if (!usable_) return thread_group(tid);
    // The pidfd first, then /proc: if TID is reused between the two, the pidfd names a thread
    // that exited and the next lookup drops the entry; the answer for this notification is
    // /proc's, read while the caller waits for it (as without the cache).
    int pidfd = static_cast<int>(syscall(SYS_pidfd_open, tid, PIDFD_THREAD));
    if (pidfd < 0 && errno == EINVAL) usable_ = false;  // no PIDFD_THREAD before Linux 6.9
    pid_t tgid = thread_group(tid);
    if (pidfd < 0) return tgid;
    if (tgid < 0 || exited(pidfd)) {
        ::close(pidfd);
        return tgid;
    }
    if (entries_.size() >= capacity_) {
        drop_exited();
        if (entries_.size() >= capacity_) {
            ::close(pidfd);
            return tgid;
        }
        it = std::lower_bound(entries_.begin(), entries_.end(), tid,
                              [](const auto& e, pid_t t) { return e.first < t; });
    }
    entries_.insert(it, {tid, Entry{tgid, pidfd}});
    return tgid;
}

std::string thread_name(pid_t pid, pid_t tid) {
    char path[80];
    snprintf(path, sizeof path, "/proc/%d/task/%d/comm", static_cast<int>(pid), static_cast<int>(tid));
    std::string s = text::read_small_file(path);
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

std::string executable(pid_t pid) {
    std::string path = proc_path(pid, "exe");
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return {};
    return std::string(buf, static_cast<size_t>(n));
}

int64_t socket_inode(pid_t pid, int fd) {
    std::string path = proc_path(pid, "fd") + "/" + std::to_string(fd);
    char target[64];
    auto link = [&]() -> long {
        ssize_t n = readlink(path.c_str(), target, sizeof target);
        return n < 0 ? -errno : n;
    };
    long n = as_target_if_refused(pid, link);
    if (n < 0) return n;
    std::string_view t(target, static_cast<size_t>(n));
    if (!t.starts_with("socket:[") || !t.ends_with("]")) return 0;
    auto ino = text::parse_unsigned(t.substr(8, t.size() - 9));
    return ino && *ino > 0 && *ino <= static_cast<uint64_t>(INT64_MAX) ? static_cast<int64_t>(*ino) : 0;
}

bool same_net_namespace(pid_t pid) {
    // vigil never changes its own network namespace: read once.
    static const std::optional<struct stat> own = []() -> std::optional<struct stat> {
        struct stat st {};
        if (stat("/proc/self/ns/net", &st) != 0) return std::nullopt;
        return st;
    }();
    struct stat theirs {};
    std::string path = proc_path(pid, "ns/net");
    long r = as_target_if_refused(pid, [&]() -> long { return stat(path.c_str(), &theirs) == 0 ? 0 : -errno; });
    return own && r == 0 && own->st_ino == theirs.st_ino && own->st_dev == theirs.st_dev;
}

int copy_caller_fd(int pidfd, int target_fd) {
    long r = syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
    return r < 0 ? -errno : static_cast<int>(r);
}

void protect_self() {
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_DUMPABLE, 0)");
}

}  // namespace vigil
