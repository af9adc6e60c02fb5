#include "custody.hpp"

#include <fcntl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>

namespace vigil {

uint64_t SocketCustody::adopt(int fd, Clock::time_point now) {
    struct stat st {};
    if (fstat(fd, &st) != 0 || !S_ISSOCK(st.st_mode)) {
        close(fd);
        return 0;
    }
    if (held_.size() >= capacity_) sweep(now);
    while (held_.size() >= capacity_) {
        auto oldest = held_.begin();
        for (auto it = held_.begin(); it != held_.end(); ++it)
            if (it->second.used < oldest->second.used) oldest = it;
        release(oldest->first);
    }
    auto [it, fresh] = held_.try_emplace(st.st_ino, Held{fd, now});
    if (!fresh) {  // an inode is never reused while vigil holds the socket: a second fd of it
        close(fd);
        it->second.used = now;
    }
    return st.st_ino;
}

int SocketCustody::copy(uint64_t ino, Clock::time_point now) {
    auto it = held_.find(ino);
    if (it == held_.end()) return -1;
    it->second.used = now;
    return fcntl(it->second.fd, F_DUPFD_CLOEXEC, 0);
}

void SocketCustody::release(uint64_t ino) {
    auto it = held_.find(ino);
    if (it == held_.end()) return;
    close(it->second.fd);
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
    for (auto it = held_.begin(); it != held_.end();) {
        if (now - it->second.used > idle_ || settled(it->second.fd)) {
            close(it->second.fd);
            it = held_.erase(it);
        } else {
            ++it;
        }
    }
}

void SocketCustody::settle(uint64_t ino) {
    auto it = held_.find(ino);
    if (it != held_.end() && settled(it->second.fd)) release(ino);
}

void SocketCustody::clear() {
    for (auto& [ino, h] : held_) close(h.fd);
    held_.clear();
}

}  // namespace vigil
