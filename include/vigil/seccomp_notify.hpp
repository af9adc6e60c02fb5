// A thin layer over the kernel's seccomp user-notification API (seccomp_unotify(2)), shared by
// the notify decisions (src/notify) and learn mode (src/learn). Implemented in
// src/notify/seccomp_notify.cpp. No policy here: receive, answer, read the caller's memory.
//
// Rules every user must follow:
//  - memory read from the caller is only a snapshot: another thread can change it right after
//    the read. Decide on the copy, and only *deny* on it, or emulate the call on the copy.
//  - after reading /proc/TID/... or the caller's memory, call Listener::id_valid(): the caller
//    may have died and its TID been reused, so the data may belong to another process.
//  - "caller gone" (ENOENT) is normal: receive() returns nothing, respond_*() returns false.
#pragma once

#include <linux/seccomp.h>
#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <utility>
#include <vector>

namespace vigil {

// The parts of struct seccomp_notif vigil uses, copied out of the kernel-sized buffer.
struct Notification {
    uint64_t id = 0;
    pid_t tid = 0;  // the calling thread, in vigil's PID namespace (0: not visible there)
    int nr = -1;
    uint32_t arch = 0;
    uint64_t instruction_pointer = 0;
    uint64_t args[6] = {};
};

// Sizes of the kernel's structs (SECCOMP_GET_NOTIF_SIZES); queried once, then cached.
// Throws vigil::Error when the kernel has no user notification.
struct NotifSizes {
    uint16_t notif = 0;
    uint16_t resp = 0;
    uint16_t data = 0;
};
const NotifSizes& notif_sizes();

// Owns a listener fd (close-on-exec is the kernel's default for it).
class Listener {
public:
    explicit Listener(int fd);  // takes ownership; -1 is allowed (an empty listener)
    ~Listener();
    Listener(const Listener&) = delete;
    Listener& operator=(const Listener&) = delete;
    Listener(Listener&& other) noexcept;
    Listener& operator=(Listener&& other) noexcept;

    int fd() const { return fd_; }
    void close();

    // Receives one notification. Blocks unless the fd is readable (use it from an epoll loop).
    // Returns nothing when the caller went away before it was received (ENOENT); EINTR is retried.
    // Throws vigil::Error on any other failure.
    std::optional<Notification> receive();

    // True while the notification is still pending (the caller is alive and waiting).
    bool id_valid(uint64_t id) const;

    // Answers; each returns false when the caller went away (ENOENT), throws on other errors.
    bool respond_continue(uint64_t id);           // SECCOMP_USER_NOTIF_FLAG_CONTINUE
    bool respond_errno(uint64_t id, int error);   // the call fails with this errno (> 0)
    bool respond_value(uint64_t id, int64_t value);  // the call "returns" value (success)

    // SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP (Linux 6.6): the kernel wakes the supervisor's thread
    // synchronously, which cuts the round trip when vigil answers at once. Returns false when
    // the kernel does not have it (nothing else changes).
    bool set_sync_wake_up();

    // SECCOMP_IOCTL_NOTIF_ADDFD: installs a dup of vigil's src_fd in the caller's fd table.
    // flags: SECCOMP_ADDFD_FLAG_*; fd_flags: O_CLOEXEC or 0. With SECCOMP_ADDFD_FLAG_SEND the
    // new fd number is also the caller's syscall result (atomic answer). Returns the caller's
    // fd number, or -errno (-ENOENT: caller gone).
    int add_fd(uint64_t id, int src_fd, uint32_t flags = 0, uint32_t fd_flags = 0,
               int target_fd = 0);

private:
    bool send(uint64_t id, int64_t value, int error, uint32_t flags);
    int fd_ = -1;
    std::vector<unsigned char> buf_;       // kernel-sized struct seccomp_notif
    std::vector<unsigned char> resp_buf_;  // kernel-sized struct seccomp_notif_resp
};

// Reads len bytes at addr in the address space of tid: process_vm_readv, and when that is
// refused (EPERM: no CAP_SYS_PTRACE and another real uid; ENOSYS: filtered) /proc/TID/mem opened
// with this thread's fsuid/fsgid set to the target's effective ids and restored right after
// (per thread, vigil's real and effective ids never change, so the app can never signal it).
// Returns the number of bytes read (may be short at an unmapped page), or -errno.
ssize_t read_memory(pid_t tid, uint64_t addr, void* buf, size_t len);
// The same for writing (what the kernel itself stores for a call vigil performs: msg_len of
// an emulated sendmmsg).
ssize_t write_memory(pid_t tid, uint64_t addr, const void* buf, size_t len);

// The ids and groups a process acts with (/proc/PID/status), to give vigil's worker threads the
// app's file-system identity. Nothing when unreadable.
struct ProcessIds {
    uid_t euid = 0;
    gid_t egid = 0;
    std::vector<gid_t> groups;
};
std::optional<ProcessIds> process_ids(pid_t pid);

// Reads a NUL-terminated string at addr, page by page so that a string ending just before an
// unmapped page still reads. Returns nothing when it cannot be read or has no NUL within
// max_len bytes (the caller should then fail closed).
std::optional<std::string> read_string(pid_t tid, uint64_t addr, size_t max_len = 4096);

// /proc/TID/status "Tgid:" (the process a thread belongs to); -1 when gone.
pid_t thread_group(pid_t tid);

// thread_group() for the notification hot path: remembers each thread's process, so that a
// busy thread costs one poll(2) per notification instead of an open/read/close of
// /proc/TID/status. A TID can be reused once its thread is gone, so every entry holds a pidfd
// of that very thread (pidfd_open PIDFD_THREAD, Linux 6.9): the entry is used only while the
// pidfd says the thread has not exited. Two live threads never share a TID, and a thread
// that exited never comes back, so a live entry for TID, checked after the notification from
// TID was received, names the caller's process. Without PIDFD_THREAD (older kernels) or past
// `capacity` entries, every lookup reads /proc as before. Not thread-safe (the event loop's).
class ThreadGroups {
public:
    explicit ThreadGroups(size_t capacity = 512);
    ~ThreadGroups();
    ThreadGroups(const ThreadGroups&) = delete;
    ThreadGroups& operator=(const ThreadGroups&) = delete;

    // The process TID belongs to; -1 when it is gone.
    pid_t of(pid_t tid);
    // Lookups answered from the cache / from /proc (for tests and benchmarks).
    uint64_t hits() const { return hits_; }
    uint64_t misses() const { return misses_; }

private:
    struct Entry {
        pid_t tgid;
        int pidfd;
    };
    void drop_exited();
    size_t capacity_;
    bool usable_ = true;  // false once the kernel refused PIDFD_THREAD
    std::vector<std::pair<pid_t, Entry>> entries_;  // sorted by tid
    uint64_t hits_ = 0, misses_ = 0;
};
// /proc/PID/task/TID/comm without the newline ("" when unreadable).
std::string thread_name(pid_t pid, pid_t tid);
// readlink /proc/PID/exe ("" when unreadable).
std::string executable(pid_t pid);

// Copies fd target_fd of process pid (pidfd_getfd). Returns the new fd (close-on-exec) or
// -errno: -EPERM when the kernel or vigil's own seccomp profile forbids it (Docker without
// CAP_SYS_PTRACE), -ENOSYS on old kernels, -EBADF when the caller has no such fd.
int copy_caller_fd(int pidfd, int target_fd);

// The inode of the socket at fd FD of process PID (/proc/PID/fd/FD reads "socket:[INO]", read
// as the target when vigil's own ids may not): 0 when that fd is not a socket, -errno when it
// cannot be read (-ENOENT: no such fd).
int64_t socket_inode(pid_t pid, int fd);

// Whether process PID is in vigil's network namespace (/proc/PID/ns/net, read as the target
// when vigil's own ids may not).
bool same_net_namespace(pid_t pid);

// PR_SET_DUMPABLE 0: no same-uid ptrace of vigil, no /proc/VIGIL/mem. Throws on failure.
void protect_self();

}  // namespace vigil
