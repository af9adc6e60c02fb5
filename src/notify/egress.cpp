// Matching of parsed allow-list entries (AllowEntry, from the profile loader) against what the
// app asked for: socket addresses and paths.
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include <fmt/format.h>

#include "vigil/notify.hpp"

namespace vigil {

namespace {

bool prefix_matches(const uint8_t* a, const uint8_t* b, int bits) {
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

// Absolute, and no "//", "/./", "/../", trailing "/." or "/..": a glob then means what it says.
bool normalised(const std::string& path) {
    if (path.empty() || path[0] != '/') return false;
    for (const char* bad : {"//", "/./", "/../"})
        if (path.find(bad) != std::string::npos) return false;
    return !path.ends_with("/.") && !path.ends_with("/..");
}

size_t sun_bytes(socklen_t len) {
    size_t n = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    return std::min(n, sizeof(sockaddr_un::sun_path));
}

// A pathname socket's path: up to the first NUL, as the kernel reads it.
std::string unix_path(const sockaddr_un* un, socklen_t len) {
    size_t max = sun_bytes(len);
    return std::string(un->sun_path, strnlen(un->sun_path, max));
}

bool is_abstract(const sockaddr_un* un, socklen_t len) {
    return sun_bytes(len) > 0 && un->sun_path[0] == '\0';
}

// The abstract name: every byte after the leading NUL up to LEN (NULs included).
std::string abstract_name(const sockaddr_un* un, socklen_t len) {
    size_t n = sun_bytes(len);
    return n <= 1 ? std::string() : std::string(un->sun_path + 1, n - 1);
}

std::string printable(const std::string& bytes) {
    std::string out;
    for (unsigned char c : bytes) {
        if (c >= 0x20 && c < 0x7f && c != '\\') out += static_cast<char>(c);
        else out += fmt::format("\\x{:02x}", c);
    }
    return out;
}

}  // namespace

const AllowEntry* match_address(const std::vector<AllowEntry>& rules, const SockAddr& a) {
    if (a.len < sizeof(sa_family_t)) return nullptr;
    const sockaddr* addr = a.sa();
    for (const auto& r : rules) {
        switch (r.kind) {
            case AllowEntry::Kind::UnixPath: {
                auto* un = reinterpret_cast<const sockaddr_un*>(addr);
                if (addr->sa_family != AF_UNIX || is_abstract(un, a.len)) continue;
                std::string path = unix_path(un, a.len);
                if (normalised(path) &&
                    fnmatch(r.name.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0)
                    return &r;
                continue;
            }
            case AllowEntry::Kind::UnixAbstract: {
                auto* un = reinterpret_cast<const sockaddr_un*>(addr);
                if (addr->sa_family == AF_UNIX && is_abstract(un, a.len) &&
                    abstract_name(un, a.len) == r.name)
                    return &r;
                continue;
            }
            case AllowEntry::Kind::PathGlob: continue;
            case AllowEntry::Kind::Inet: break;
        }
        if (r.family != addr->sa_family) continue;
        const uint8_t* ip;
        int port;
        if (r.family == AF_INET) {
            if (a.len < sizeof(sockaddr_in)) continue;
            auto* in = reinterpret_cast<const sockaddr_in*>(addr);
            ip = reinterpret_cast<const uint8_t*>(&in->sin_addr);
            port = ntohs(in->sin_port);
        } else {
            if (a.len < sizeof(sockaddr_in6)) continue;
            auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
            ip = in6->sin6_addr.s6_addr;
            port = ntohs(in6->sin6_port);
        }
        if (port >= r.port_lo && port <= r.port_hi && prefix_matches(ip, r.addr, r.prefix))
            return &r;
    }
    return nullptr;
}

bool self_referring_path(const std::string& path) {
    for (const char* p : {"/proc/self", "/proc/thread-self", "/dev/fd"}) {
        size_t n = strlen(p);
        if (path.compare(0, n, p) == 0 && (path.size() == n || path[n] == '/')) return true;
    }
    return false;
}

const AllowEntry* match_path(const std::vector<AllowEntry>& globs, const std::string& path) {
    if (!normalised(path)) return nullptr;
    for (const auto& g : globs)
        if (g.kind == AllowEntry::Kind::PathGlob &&
            fnmatch(g.name.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0)
            return &g;
    return nullptr;
}

std::string format_sockaddr(const sockaddr* addr, socklen_t len) {
    if (len < sizeof(sa_family_t)) return "(no address)";
    char ip[INET6_ADDRSTRLEN] = {};
    switch (addr->sa_family) {
        case AF_INET: {
            if (len < sizeof(sockaddr_in)) break;
            auto* in = reinterpret_cast<const sockaddr_in*>(addr);
            inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
            return fmt::format("{}:{}", ip, ntohs(in->sin_port));
        }
        case AF_INET6: {
            if (len < sizeof(sockaddr_in6)) break;
            auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
            inet_ntop(AF_INET6, &in6->sin6_addr, ip, sizeof ip);
            return fmt::format("[{}]:{}", ip, ntohs(in6->sin6_port));
        }
        case AF_UNIX: {
            auto* un = reinterpret_cast<const sockaddr_un*>(addr);
            if (is_abstract(un, len)) return "unix:@" + printable(abstract_name(un, len));
            return "unix:" + printable(unix_path(un, len));
        }
        default: break;
    }
    return fmt::format("family {}", addr->sa_family);
}

}  // namespace vigil
