// Socket custody: when vigil cannot copy the app's sockets (pidfd_getfd needs CAP_SYS_PTRACE
// over an app under another uid, and Docker's default seccomp profile refuses the call to
// everyone without that capability), vigil makes the app's IP sockets itself and keeps a
// reference to each, so that a connect or send it must decide always has the very socket to
// perform the call on. Private to src/notify; used by the event loop's thread only.
#pragma once

#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <list>
#include <map>

namespace vigil {

class SocketCustody {
public:
    using Clock = std::chrono::steady_clock;
    // capacity: sockets held at most (the least recently used goes first); idle: how long a
    // socket nobody decided on is held.
    explicit SocketCustody(size_t capacity = 4096, Clock::duration idle = std::chrono::seconds(30))
        : capacity_(capacity), idle_(idle) {}
    ~SocketCustody() { clear(); }
    SocketCustody(const SocketCustody&) = delete;
    SocketCustody& operator=(const SocketCustody&) = delete;

    // Takes ownership of FD (a socket vigil made for the app). Returns its inode, 0 on error
    // (FD is then closed).
    uint64_t adopt(int fd, Clock::time_point now = Clock::now());
    // A close-on-exec duplicate of the held socket with inode INO, or -1 when none is held.
    int copy(uint64_t ino, Clock::time_point now = Clock::now());
    void release(uint64_t ino);
    // Lets go of what vigil no longer needs: sockets idle for longer than `idle`, and streams
    // that listen or are connected (no connect or destination is decided on them again; holding
    // them would keep a port or a connection open after the app closed its end).
    void sweep(Clock::time_point now = Clock::now());
    // The same for one socket (after vigil connected it).
    void settle(uint64_t ino);
    void clear();

private:
    struct Held {
        int fd;
        Clock::time_point used;
        std::list<uint64_t>::iterator in_lru;
    };
    void touch(Held& h, Clock::time_point now);
    size_t capacity_;
    Clock::duration idle_;
    std::map<uint64_t, Held> held_;
    std::list<uint64_t> lru_;  // inodes, least recently used first: eviction and expiry in order
};

}  // namespace vigil
