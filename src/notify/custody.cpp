#include "custody.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace vigil {

void SocketCustody::touch(Held& h, Clock::time_point now) {
    h.used = now;
    lru_.splice(lru_.end(), lru_, h.in_lru);
}

uint64_t SocketCustody::adopt(int fd, Clock::time_point now) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        close(fd);
        return 0;
    }
    if (auto it = held_.find(st.st_ino); it != held_.end()) {
        close(fd);  // an inode is never reused while vigil holds the socket: a second fd of it
        touch(it->second, now);
        return st.st_ino;
    }
    while (held_.size() >= capacity_) release(lru_.front());
    lru_.push_back(st.st_ino);
    held_.emplace(st.st_ino, Held{fd, now, std::prev(lru_.end())});
    return st.st_ino;
}

int SocketCustody::copy(uint64_t ino, Clock::time_point now) {
    auto it = held_.find(ino);
    if (it == held_.end()) return -1;
    touch(it->second, now);
    return fcntl(it->second.fd, F_DUPFD_CLOEXEC, 0);
}

void SocketCustody::release(uint64_t ino) {
    auto it = held_.find(ino);
    if (it == held_.end()) return;
    close(it->second.fd);
    lru_.erase(it->second.in_lru);
    held_.erase(it);
}

namespace {

// Whether vigil's hold on the socket is of no use: no connect or destination is decided on a
// listening socket or a connected stream again.
bool settled(int fd) {
    int type = 0, listening = 0;
    socklen_t len = sizeof type;
    if (getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len) != 0) return true;
    len = sizeof listening;
    if (getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &listening, &len) == 0 && listening) return true;
    sockaddr_storage peer{};
    socklen_t plen = sizeof peer;
    return type == SOCK_STREAM && getpeername(fd, reinterpret_cast<sockaddr*>(&peer), &plen) == 0;
}

}  // namespace

void SocketCustody::sweep(Clock::time_point now) {
    for (auto at = lru_.begin(); at != lru_.end();) {
        uint64_t ino = *at++;  // release() erases this list node
        const Held& h = held_.at(ino);
        if (now - h.used > idle_ || settled(h.fd)) release(ino);
    }
}

void SocketCustody::settle(uint64_t ino) {
    auto it = held_.find(ino);
    if (it != held_.end() && settled(it->second.fd)) release(ino);
}

void SocketCustody::clear() {
    for (auto& [ino, h] : held_) close(h.fd);
    held_.clear();
    lru_.clear();
}

}  // namespace vigil
