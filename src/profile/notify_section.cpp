// [notify.SYSCALL]: the run-time decision settings of one notified syscall, and the checks
// of its allow-list entries (network addresses or path globs, depending on the syscall).
#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

#include "sections.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::profile_detail {

namespace {

const std::vector<std::string> kPhases = {"startup", "ready"};
const std::vector<std::string> kAddressSyscalls = {"connect", "bind", "sendto", "sendmsg"};
const std::vector<std::string> kPathSyscalls = {"execve", "execveat", "open", "openat", "openat2"};

bool contains(const std::vector<std::string>& list, const std::string& s) {
    return std::find(list.begin(), list.end(), s) != list.end();
}

std::optional<unsigned> small_number(const std::string& s, unsigned max) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit))
        return std::nullopt;
    unsigned n = std::stoul(s);
    if (n > max) return std::nullopt;
    return n;
}

// "*", "N" or "N-M".
std::string port_problem(const std::string& port) {
    if (port == "*") return "";
    size_t dash = port.find('-');
    auto lo = small_number(port.substr(0, dash), 65535);
    auto hi = dash == std::string::npos ? lo : small_number(port.substr(dash + 1), 65535);
    if (!lo || !hi) return "bad port '" + port + "' (a number 0..65535, a range N-M, or *)";
    if (*lo > *hi) return "bad port range '" + port + "' (low end above high end)";
    return "";
}

// "ADDR[/PREFIX]" with no host bits set beyond the prefix.
std::string cidr_problem(const std::string& cidr, bool v6) {
    size_t slash = cidr.find('/');
    std::string addr = cidr.substr(0, slash);
    unsigned bits = v6 ? 128 : 32;
    unsigned prefix = bits;
    if (slash != std::string::npos) {
        auto p = small_number(cidr.substr(slash + 1), bits);
        if (!p) return "bad prefix length in '" + cidr + "' (0.." + std::to_string(bits) + ")";
        prefix = *p;
    }
    unsigned char raw[16] = {};
    if (inet_pton(v6 ? AF_INET6 : AF_INET, addr.c_str(), raw) != 1)
        return "bad " + std::string(v6 ? "IPv6" : "IPv4") + " address '" + addr + "'";
    for (unsigned bit = prefix; bit < bits; ++bit)
        if (raw[bit / 8] & (0x80 >> (bit % 8)))
            return "'" + cidr + "' has host bits set beyond /" + std::to_string(prefix);
    return "";
}

// "CIDR:PORT", "[V6CIDR]:PORT" or "unix:/PATH".
std::string address_problem(const std::string& entry) {
    if (entry.starts_with("unix:")) {
        return entry.size() > 6 && entry[5] == '/'
                   ? ""
                   : "a unix entry is 'unix:/absolute/path' (got '" + entry + "')";
    }
    if (entry.starts_with('[')) {
        size_t close = entry.find("]:");
        if (close == std::string::npos) return "expected '[IPv6/PREFIX]:PORT' (got '" + entry + "')";
        std::string problem = cidr_problem(entry.substr(1, close - 1), true);
        return problem.empty() ? port_problem(entry.substr(close + 2)) : problem;
    }
    size_t colon = entry.rfind(':');
    if (colon == std::string::npos)
        return "expected 'CIDR:PORT', '[IPv6]:PORT' or 'unix:/path' (got '" + entry + "')";
    std::string problem = cidr_problem(entry.substr(0, colon), false);
    return problem.empty() ? port_problem(entry.substr(colon + 1)) : problem;
}

void read_allow(Reader& r, const TomlValue& v, const std::string& syscall, NotifyPolicy& p) {
    std::string what = "notify." + syscall + ".allow";
    auto items = r.string_array(v, what);
    if (!items) return;
    bool address = contains(kAddressSyscalls, syscall);
    if (!address && !contains(kPathSyscalls, syscall)) {
        r.error(v, what + ": allow lists are understood for connect, bind, sendto, sendmsg "
                          "(addresses) and execve, execveat, open, openat, openat2 (paths), "
                          "not for '" + syscall + "'");
        return;
    }
    for (const TomlValue* item : *items) {
        const std::string& entry = text_of(*item);
        std::string problem = address ? address_problem(entry)
                              : entry.starts_with('/')
                                  ? ""
                                  : "a path glob must be absolute (got '" + entry + "')";
        if (problem.empty())
            p.allow.push_back(entry);
        else
            r.error(*item, what + ": " + problem);
    }
}

std::optional<Action> non_notify_action(Reader& r, const TomlValue& v, const std::string& what) {
    auto a = r.action(v, what);
    if (a && a->kind == ActionKind::Notify) {
        r.error(v, what + ": cannot be 'notify' (this is the notify decision itself)");
        return std::nullopt;
    }
    return a;
}

NotifyPolicy read_policy(Reader& r, const std::string& syscall, const TomlValue& table) {
    NotifyPolicy p = default_notify_policy(syscall, r.pos(table));
    std::string name = "notify." + syscall;
    std::vector<std::string> known = kPhases;
    for (const char* k : {"allow", "otherwise", "racy_allow", "fallback"}) known.push_back(k);
    r.check_keys(table, name, known);
    for (const auto& phase : kPhases)
        if (const TomlValue* v = Reader::find(table, phase))
            if (auto a = non_notify_action(r, *v, name + "." + phase)) p.by_phase[phase] = *a;
    if (const TomlValue* v = Reader::find(table, "allow")) read_allow(r, *v, syscall, p);
    if (const TomlValue* v = Reader::find(table, "otherwise"))
        if (auto a = non_notify_action(r, *v, name + ".otherwise")) p.otherwise = *a;
    if (const TomlValue* v = Reader::find(table, "fallback"))
        if (auto a = non_notify_action(r, *v, name + ".fallback")) p.fallback = *a;
    if (const TomlValue* v = Reader::find(table, "racy_allow"))
        if (auto b = r.boolean(*v, name + ".racy_allow")) p.racy_allow = *b;
    return p;
}

}  // namespace

NotifyPolicy default_notify_policy(const std::string& syscall, const SourcePos& where) {
    NotifyPolicy p;
    p.syscall = syscall;
    p.otherwise = Action{ActionKind::Errno, EPERM};
    p.fallback = Action{ActionKind::Errno, EPERM};
    p.racy_allow = false;
    p.where = where;
    return p;
}

std::map<std::string, NotifyPolicy> read_notify(Reader& r, const TomlValue& table) {
    std::map<std::string, NotifyPolicy> out;
    for (const auto& [syscall, value] : table.as_table()) {
        if (syscall.starts_with('@')) {
            r.error(value, "[notify." + syscall + "]: notify tables name one syscall, not a group");
            continue;
        }
        if (resolve_names(r, value, syscall, "[notify]").empty()) continue;
        if (!r.expect_table(value, "notify." + syscall)) continue;
        out[syscall] = read_policy(r, syscall, value);
    }
    return out;
}

}  // namespace vigil::profile_detail
