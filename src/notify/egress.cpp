// Allow-lists of the notify decisions: egress destinations and exec paths.
#include <arpa/inet.h>
#include <fnmatch.h>
#include <netinet/in.h>
#include <sys/un.h>

#include <cstddef>
#include <cstring>

#include <fmt/format.h>

#include "vigil/error.hpp"
#include "vigil/notify.hpp"

namespace vigil {

namespace {

bool parse_int(const std::string& s, int lo, int hi, int& out) {
    if (s.empty() || s.size() > 6) return false;
    for (char c : s)
        if (c < '0' || c > '9') return false;
    out = std::stoi(s);
    return out >= lo && out <= hi;
}

bool parse_ports(const std::string& s, EgressRule& r) {
    if (s == "*") return true;
    auto dash = s.find('-');
    if (dash == std::string::npos) {
        if (!parse_int(s, 0, 65535, r.port_lo)) return false;
        r.port_hi = r.port_lo;
        return true;
    }
    return parse_int(s.substr(0, dash), 0, 65535, r.port_lo) &&
           parse_int(s.substr(dash + 1), 0, 65535, r.port_hi) && r.port_lo <= r.port_hi;
}

bool parse_cidr(const std::string& s, EgressRule& r) {
    auto slash = s.find('/');
    std::string addr = s.substr(0, slash);
    if (inet_pton(AF_INET, addr.c_str(), r.addr) == 1) r.family = AF_INET;
    else if (inet_pton(AF_INET6, addr.c_str(), r.addr) == 1) r.family = AF_INET6;
    else return false;
    int max = r.family == AF_INET ? 32 : 128;
    r.prefix = max;
    return slash == std::string::npos || parse_int(s.substr(slash + 1), 0, max, r.prefix);
}

bool parse_entry(const std::string& text, EgressRule& r) {
    r.text = text;
    if (text.rfind("unix:", 0) == 0) {
        r.family = AF_UNIX;
        r.unix_path = text.substr(5);
        return !r.unix_path.empty() && (r.unix_path[0] == '/' || r.unix_path[0] == '@');
    }
    std::string host, ports;
    if (!text.empty() && text[0] == '[') {  // [IPv6(/prefix)]:ports
        auto close = text.find(']');
        if (close == std::string::npos || close + 1 >= text.size() || text[close + 1] != ':')
            return false;
        host = text.substr(1, close - 1);
        ports = text.substr(close + 2);
        if (host.find(':') == std::string::npos) return false;
    } else {
        auto colon = text.rfind(':');
        if (colon == std::string::npos) return false;
        host = text.substr(0, colon);
        ports = text.substr(colon + 1);
        if (host.find(':') != std::string::npos) return false;  // IPv6 needs [brackets]
    }
    return parse_cidr(host, r) && parse_ports(ports, r);
}

bool prefix_matches(const uint8_t* a, const uint8_t* b, int bits) {
    int whole = bits / 8, rest = bits % 8;
    if (memcmp(a, b, static_cast<size_t>(whole)) != 0) return false;
    if (rest == 0) return true;
    uint8_t mask = static_cast<uint8_t>(0xff << (8 - rest));
    return (a[whole] & mask) == (b[whole] & mask);
}

// The socket path of a sockaddr_un: "/path", "@abstract", or "" (unnamed).
std::string unix_name(const sockaddr_un* un, socklen_t len) {
    size_t max = len > offsetof(sockaddr_un, sun_path) ? len - offsetof(sockaddr_un, sun_path) : 0;
    max = std::min(max, sizeof un->sun_path);
    if (max == 0) return {};
    if (un->sun_path[0] == '\0') return "@" + std::string(un->sun_path + 1, max - 1);
    return std::string(un->sun_path, strnlen(un->sun_path, max));
}

}  // namespace

std::vector<EgressRule> parse_egress(const NotifyPolicy& policy) {
    std::vector<EgressRule> out;
    for (const auto& text : policy.allow) {
        EgressRule r;
        if (!parse_entry(text, r))
            throw Error(fmt::format(
                "{}: notify.{}.allow: \"{}\" is not a destination (expected CIDR:PORT such as "
                "\"127.0.0.0/8:8080\" or \"[::1]:*\", or unix:/PATH)",
                policy.where.str(), policy.syscall, text));
        out.push_back(r);
    }
    return out;
}

const EgressRule* match_egress(const std::vector<EgressRule>& rules, const sockaddr* addr,
                               socklen_t len) {
    if (len < sizeof(sa_family_t)) return nullptr;
    for (const auto& r : rules) {
        if (r.family != addr->sa_family) continue;
        if (r.family == AF_UNIX) {
            std::string name = unix_name(reinterpret_cast<const sockaddr_un*>(addr), len);
            if (!name.empty() && fnmatch(r.unix_path.c_str(), name.c_str(), FNM_PATHNAME) == 0)
                return &r;
            continue;
        }
        const uint8_t* ip;
        int port;
        if (r.family == AF_INET) {
            if (len < sizeof(sockaddr_in)) continue;
            auto* in = reinterpret_cast<const sockaddr_in*>(addr);
            ip = reinterpret_cast<const uint8_t*>(&in->sin_addr);
            port = ntohs(in->sin_port);
        } else {
            if (len < sizeof(sockaddr_in6)) continue;
            auto* in6 = reinterpret_cast<const sockaddr_in6*>(addr);
            ip = in6->sin6_addr.s6_addr;
            port = ntohs(in6->sin6_port);
        }
        if (port >= r.port_lo && port <= r.port_hi && prefix_matches(ip, r.addr, r.prefix))
            return &r;
    }
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
        case AF_UNIX:
            return "unix:" + unix_name(reinterpret_cast<const sockaddr_un*>(addr), len);
        default: break;
    }
    return fmt::format("family {}", addr->sa_family);
}

bool exec_path_allowed(const std::vector<std::string>& globs, const std::string& path,
                       std::string* matched) {
    if (path.empty() || path[0] != '/') return false;
    for (const char* bad : {"//", "/./", "/../"})
        if (path.find(bad) != std::string::npos) return false;
    if (path.ends_with("/.") || path.ends_with("/..")) return false;
    for (const auto& g : globs)
        if (fnmatch(g.c_str(), path.c_str(), FNM_PATHNAME | FNM_PERIOD) == 0) {
            if (matched) *matched = g;
            return true;
        }
    return false;
}

}  // namespace vigil
