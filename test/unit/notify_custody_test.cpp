// SocketCustody: the sockets vigil holds for an app it cannot copy sockets from. Bounded
// (least recently used first), refreshed by use, let go of once no decision needs them.
#include <doctest/doctest.h>

#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../src/notify/custody.hpp"

using namespace vigil;
using namespace std::chrono_literals;

namespace {
uint64_t inode_of(int fd) {
    struct stat st {};
    REQUIRE(fstat(fd, &st) == 0);
    return st.st_ino;
}
int udp() { return socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0); }
}  // namespace

TEST_CASE("socket custody: capacity evicts the least recently used, a copy refreshes") {
    SocketCustody c(2, 30s);
    auto t0 = SocketCustody::Clock::now();
    int a = udp(), b = udp(), d = udp();
    uint64_t ia = inode_of(a), ib = inode_of(b), id = inode_of(d);
    CHECK(c.adopt(a, t0) == ia);
    CHECK(c.adopt(b, t0 + 1s) == ib);
    int copy = c.copy(ia, t0 + 2s);  // a is now the most recently used
    REQUIRE(copy >= 0);
    CHECK(inode_of(copy) == ia);
    close(copy);
    CHECK(c.adopt(d, t0 + 3s) == id);  // full: b goes
    CHECK(c.copy(ib) == -1);
    int again = c.copy(ia);
    CHECK(again >= 0);
    close(again);
    again = c.copy(id);
    CHECK(again >= 0);
    close(again);
}

TEST_CASE("socket custody: a sweep lets go of idle and listening sockets, keeps the rest") {
    SocketCustody c(16, 30s);
    auto t0 = SocketCustody::Clock::now();
    int idle = udp(), fresh = udp();
    int lst = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(bind(lst, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0);
    REQUIRE(listen(lst, 1) == 0);
    uint64_t ii = inode_of(idle), ifr = inode_of(fresh), il = inode_of(lst);
    c.adopt(idle, t0);
    c.adopt(fresh, t0 + 40s);
    c.adopt(lst, t0 + 40s);
    c.sweep(t0 + 41s);
    CHECK(c.copy(ii) == -1);  // idle for 41 s
    CHECK(c.copy(il) == -1);  // listening: no decision needs it
    int kept = c.copy(ifr);
    CHECK(kept >= 0);
    close(kept);
}
