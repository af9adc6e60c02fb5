// Kernel seccomp user-notification API, caller-memory reads and vigil's own credentials.
#include "vigil/seccomp_notify.hpp"

#include <fcntl.h>
#include <grp.h>
#include <linux/capability.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "vigil/error.hpp"

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

Listener::Listener(Listener&& other) noexcept : fd_(other.fd_), buf_(std::move(other.buf_)) {
    other.fd_ = -1;
}

Listener& Listener::operator=(Listener&& other) noexcept {
    if (this != &other) {
        close();
        fd_ = other.fd_;
        buf_ = std::move(other.buf_);
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
    std::vector<unsigned char> buf(size, 0);
    auto* resp = reinterpret_cast<seccomp_notif_resp*>(buf.data());
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

ssize_t read_proc_mem(pid_t tid, uint64_t addr, void* buf, size_t len) {
    std::string path = "/proc/" + std::to_string(tid) + "/mem";
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0) return -errno;
    ssize_t n = pread(fd, buf, len, static_cast<off_t>(addr));
    int err = errno;
    ::close(fd);
    return n < 0 ? -err : n;
}

std::string read_small_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

// "Name:\tvalue..." line of /proc/PID/status, without the key ("" when absent).
std::string status_field(pid_t pid, const std::string& key) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/status");
    std::string line;
    while (std::getline(in, line))
        if (line.rfind(key + ":", 0) == 0) return line.substr(key.size() + 1);
    return {};
}

}  // namespace

ssize_t read_memory(pid_t tid, uint64_t addr, void* buf, size_t len) {
    iovec local{buf, len};
    iovec remote{reinterpret_cast<void*>(addr), len};
    ssize_t n = process_vm_readv(tid, &local, 1, &remote, 1, 0);
    if (n >= 0) return n;
    // process_vm_readv may be filtered out (ENOSYS/EPERM by a container's seccomp profile);
    // /proc/TID/mem is the same access check through another door.
    if (errno == ENOSYS || errno == EPERM) return read_proc_mem(tid, addr, buf, len);
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
    std::string v = status_field(tid, "Tgid");
    if (v.empty()) return -1;
    return static_cast<pid_t>(std::stol(v));
}

std::string thread_name(pid_t pid, pid_t tid) {
    std::string s = read_small_file("/proc/" + std::to_string(pid) + "/task/" +
                                    std::to_string(tid) + "/comm");
    if (!s.empty() && s.back() == '\n') s.pop_back();
    return s;
}

std::string executable(pid_t pid) {
    std::string path = "/proc/" + std::to_string(pid) + "/exe";
    char buf[4096];
    ssize_t n = readlink(path.c_str(), buf, sizeof buf);
    if (n < 0) return {};
    return std::string(buf, static_cast<size_t>(n));
}

int copy_caller_fd(int pidfd, int target_fd) {
    long r = syscall(SYS_pidfd_getfd, pidfd, target_fd, 0);
    return r < 0 ? -errno : static_cast<int>(r);
}

void protect_self() {
    if (prctl(PR_SET_DUMPABLE, 0, 0, 0, 0) != 0) throw_errno("prctl(PR_SET_DUMPABLE, 0)");
}

// Why these credentials. The kernel lets vigil read the app's memory (process_vm_readv and
// pidfd_getfd: PTRACE_MODE_ATTACH_REALCREDS; /proc/PID/mem: ..._FSCREDS) when
// __ptrace_may_access() passes:
//  1. vigil's real (or fs) uid equals the app's real, effective and saved uid, and the same for
//     the gids; otherwise CAP_SYS_PTRACE is needed, which Docker does not grant;
//  2. the app is dumpable (it is: it exec'd a readable binary with euid == uid);
//  3. cap_ptrace_access_check: the app's permitted capabilities are a subset of vigil's
//     permitted (REALCREDS) or effective (FSCREDS) set, or CAP_SYS_PTRACE again;
//  4. Yama, if built in: scope 1 is satisfied because the app descends from vigil; scope 2
//     and 3 need CAP_SYS_PTRACE and cannot work in a default container.
// So as root with an app switched to uid U: vigil sets real = effective (= fs) uid to U and
// gid to the app's gid, but keeps saved uid/gid 0. Keeping a privileged saved id means the
// permitted capability set survives the switch (cap_emulate_setxuid only clears it when all
// three uids become non-zero), and the app can never pass check 1 against vigil. The
// effective set is cleared by the switch and raised again to the permitted set (check 3 for
// FSCREDS, and so vigil can still signal, reap and respawn). The switch resets dumpability,
// so DUMPABLE 0 is set again afterwards.
namespace {

struct Ids {
    uid_t ruid, euid, suid;
    gid_t rgid, egid, sgid;
};

bool parse_ids(pid_t pid, Ids& ids) {
    std::istringstream u(status_field(pid, "Uid")), g(status_field(pid, "Gid"));
    uid_t fsuid;
    gid_t fsgid;
    u >> ids.ruid >> ids.euid >> ids.suid >> fsuid;
    g >> ids.rgid >> ids.egid >> ids.sgid >> fsgid;
    return !u.fail() && !g.fail();
}

std::vector<gid_t> app_groups(pid_t pid) {
    std::istringstream in(status_field(pid, "Groups"));
    std::vector<gid_t> groups;
    gid_t g;
    while (in >> g) groups.push_back(g);
    return groups;
}

void raise_effective_to_permitted() {
    __user_cap_header_struct hdr{_LINUX_CAPABILITY_VERSION_3, 0};
    __user_cap_data_struct data[_LINUX_CAPABILITY_U32S_3]{};
    if (syscall(SYS_capget, &hdr, data) != 0) throw_errno("capget");
    for (auto& d : data) d.effective = d.permitted;
    if (syscall(SYS_capset, &hdr, data) != 0) throw_errno("capset (effective = permitted)");
}

}  // namespace

std::string adopt_app_credentials(pid_t app_pid) {
    Ids app{};
    if (!parse_ids(app_pid, app))
        throw Error("cannot read the credentials of the app (pid " + std::to_string(app_pid) +
                    ") from /proc/" + std::to_string(app_pid) + "/status");
    Ids self{};
    if (getresuid(&self.ruid, &self.euid, &self.suid) != 0) throw_errno("getresuid");
    if (getresgid(&self.rgid, &self.egid, &self.sgid) != 0) throw_errno("getresgid");
    if (self.ruid == app.ruid && self.euid == app.ruid && self.rgid == app.rgid &&
        self.egid == app.rgid) {
        protect_self();
        return "vigil already runs with the app's uid/gid";
    }
    // Supplementary groups first: that needs CAP_SETGID, which the uid switch takes away from
    // the effective set. Matching them lets vigil reach what the app may reach (unix sockets
    // it connects to on the app's behalf) and nothing of root's groups.
    std::vector<gid_t> groups = app_groups(app_pid);
    if (setgroups(groups.size(), groups.data()) != 0) throw_errno("setgroups (app's groups)");
    if (setresgid(app.rgid, app.rgid, self.sgid) != 0) throw_errno("setresgid (app's gid)");
    if (setresuid(app.ruid, app.ruid, self.suid) != 0) throw_errno("setresuid (app's uid)");
    raise_effective_to_permitted();
    protect_self();
    return "vigil switched to uid " + std::to_string(app.ruid) + " gid " +
           std::to_string(app.rgid) + " (saved uid " + std::to_string(self.suid) +
           ") to read the app's memory without CAP_SYS_PTRACE";
}

}  // namespace vigil
