// Readiness told to the outside: a ready file (Kubernetes exec probes) and sd_notify.
#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "vigil/log.hpp"

#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <random>

#include "vigil/error.hpp"
#include "vigil/supervise.hpp"
#include "vigil/text.hpp"

namespace vigil {

ReadyFile::ReadyFile(const std::string& path) : path_(path) {
    if (path.empty() || path.back() == '/') throw Error("--ready-file: '" + path + "' is not a file path");
    auto slash = path.rfind('/');
    std::string dir = slash == std::string::npos ? "." : (slash == 0 ? "/" : path.substr(0, slash));
    name_ = slash == std::string::npos ? path : path.substr(slash + 1);
    if (name_ == "." || name_ == "..") throw Error("--ready-file: '" + path + "' is not a file path");
    // Resolved now, while only vigil runs: later the app may own the directory's contents,
    // but this fd keeps pointing at the directory that was meant.
    dir_fd_ = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dir_fd_ < 0)
        throw Error("--ready-file " + path + ": cannot open directory " + dir + ": " + std::strerror(errno) +
                    " (create it first)");
    // A file left from an earlier container run would say "ready" before the app is.
    if (unlinkat(dir_fd_, name_.c_str(), 0) == 0) log::debug("removed stale ready file {}", path);
    else if (errno != ENOENT)
        throw Error("--ready-file " + path + ": cannot remove the existing file: " + std::strerror(errno));
}

ReadyFile::~ReadyFile() {
    remove();
    if (dir_fd_ >= 0) close(dir_fd_);
}

void ReadyFile::create(std::string_view content) {
    if (present_) return;
    std::string tmp = "." + name_ + ".vigil-" + std::to_string(getpid()) + "-" +
                      std::to_string(std::random_device{}());
    // O_EXCL | O_NOFOLLOW: a fresh file of vigil's own; a name the app planted is refused.
    int fd = openat(dir_fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0) {
        log::warn("--ready-file {}: cannot create {}: {}", path_, tmp, std::strerror(errno));
        return;
    }
    bool ok = write(fd, content.data(), content.size()) == static_cast<ssize_t>(content.size());
    ok = close(fd) == 0 && ok;
    // rename replaces whatever directory entry has the name (a symlink included), never its target.
    if (!ok || renameat(dir_fd_, tmp.c_str(), dir_fd_, name_.c_str()) < 0) {
        log::warn("--ready-file {}: cannot put it in place: {}", path_, std::strerror(errno));
        unlinkat(dir_fd_, tmp.c_str(), 0);
        return;
    }
    present_ = true;
    log::debug("ready file {} created", path_);
}

void ReadyFile::remove() {
    if (!present_ || dir_fd_ < 0) return;
    present_ = false;
    if (unlinkat(dir_fd_, name_.c_str(), 0) < 0 && errno != ENOENT)
        log::warn("--ready-file {}: cannot remove it: {}", path_, std::strerror(errno));
    else log::debug("ready file {} removed", path_);
}

std::unique_ptr<SdNotify> SdNotify::from_environment() {
    const char* env = std::getenv("NOTIFY_SOCKET");
    if (!env || !*env) return nullptr;
    std::string name = env;
    sockaddr_un addr{};
    addr.sun_family = AF_UNIX;
    if (name[0] != '/' && name[0] != '@')
        throw Error("NOTIFY_SOCKET='" + text::log_escape(name) + "': expected an absolute path or @abstract name");
    if (name.size() >= sizeof addr.sun_path)
        throw Error("NOTIFY_SOCKET: the socket name is longer than " + std::to_string(sizeof addr.sun_path - 1) +
                    " bytes");
    std::memcpy(addr.sun_path, name.data(), name.size());
    if (name[0] == '@') addr.sun_path[0] = '\0';
    socklen_t len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + name.size() + (name[0] == '/' ? 1 : 0));
    int fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) throw_errno("socket(AF_UNIX, SOCK_DGRAM) for NOTIFY_SOCKET");
    // Connected now, before the app exists: the path is not looked up again later.
    if (connect(fd, reinterpret_cast<sockaddr*>(&addr), len) < 0) {
        int e = errno;
        close(fd);
        throw Error("NOTIFY_SOCKET=" + text::log_escape(name) + ": cannot connect: " + std::strerror(e));
    }
    // The app talks to vigil's supervisor only through vigil.
    unsetenv("NOTIFY_SOCKET");
    return std::unique_ptr<SdNotify>(new SdNotify(fd, name));
}

SdNotify::~SdNotify() {
    if (fd_ >= 0) close(fd_);
}

void SdNotify::send(std::string_view message) {
    if (::send(fd_, message.data(), message.size(), MSG_DONTWAIT | MSG_NOSIGNAL) >= 0) {
        log::debug("sd_notify: {}", text::log_escape(message));
        return;
    }
    if (!failed_said_) log::warn("sd_notify to {}: {}", text::log_escape(name_), std::strerror(errno));
    failed_said_ = true;
}

}  // namespace vigil
