// Where learn writes: relative to a directory fd taken before the app started, never through a
// path the app could have changed since. See OutputDir in vigil/learn.hpp.
#include <fcntl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <utility>

#include "vigil/error.hpp"
#include "vigil/learn.hpp"

namespace vigil::learn {

namespace {

// A name nobody can have prepared: the app may be able to create entries in the directory
// (it is often the app's own), so a fixed "OUT.tmp" could be a symlink it planted.
std::string random_name(const std::string& name) {
    unsigned char bytes[8];
    if (getrandom(bytes, sizeof bytes, 0) != sizeof bytes) throw_errno("getrandom (temporary file name)");
    static const char hex[] = "0123456789abcdef";
    std::string out = "." + name + ".";
    for (unsigned char b : bytes) out += hex[b >> 4], out += hex[b & 15];
    return out + ".tmp";
}

void write_all(int fd, const std::string& text, const std::string& what) {
    const char* p = text.data();
    size_t left = text.size();
    while (left > 0) {
        ssize_t n = ::write(fd, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("cannot write " + what);
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace

OutputDir OutputDir::open(const std::string& dir, bool create) {
    if (create && mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST) throw_errno("cannot create " + dir);
    int fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) {
        if (errno == ELOOP || errno == ENOTDIR)
            throw Error("cannot write into " + dir + ": it is not a directory (or is a symlink; give the real path)");
        throw_errno("cannot open the directory " + dir);
    }
    // Found out now, not after an hour of learning. AT_EACCESS: vigil writes with its
    // effective ids.
    if (faccessat(fd, ".", W_OK | X_OK, AT_EACCESS) != 0) {
        int e = errno;
        close(fd);
        errno = e;
        throw_errno("cannot create files in " + dir);
    }
    return OutputDir(fd, dir);
}

OutputDir::OutputDir(OutputDir&& other) noexcept
    : fd_(std::exchange(other.fd_, -1)), path_(std::move(other.path_)) {}

OutputDir& OutputDir::operator=(OutputDir&& other) noexcept {
    if (this != &other) {
        if (fd_ >= 0) close(fd_);
        fd_ = std::exchange(other.fd_, -1);
        path_ = std::move(other.path_);
    }
    return *this;
}

OutputDir::~OutputDir() {
    if (fd_ >= 0) close(fd_);
}

void OutputDir::write_file(const std::string& name, const std::string& text) const {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        throw Error("cannot write '" + name + "' into " + path_ + ": not a plain file name");
    const std::string shown = path_ + "/" + name;
    std::string tmp;
    int fd = -1;
    for (int attempt = 0; fd < 0; ++attempt) {
        tmp = random_name(name);
        fd = openat(fd_, tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
        if (fd < 0 && (errno != EEXIST || attempt == 8)) throw_errno("cannot create a temporary file for " + shown);
    }
    try {
        write_all(fd, text, shown);
        if (fsync(fd) != 0) throw_errno("cannot write " + shown + " (fsync)");
        if (close(std::exchange(fd, -1)) != 0) throw_errno("cannot write " + shown + " (close)");
        if (renameat(fd_, tmp.c_str(), fd_, name.c_str()) != 0)
            throw_errno("cannot rename " + path_ + "/" + tmp + " to " + shown);
    } catch (...) {
        if (fd >= 0) close(fd);
        unlinkat(fd_, tmp.c_str(), 0);
        throw;
    }
}

}  // namespace vigil::learn
