// [notify.SYSCALL]: the run-time decision settings of one notified syscall, the one grammar of
// allow-list entries (parsed here into AllowEntry values, never again at run time), and the
// whole-profile rules of notify: policies derived for every other way of naming a peer when
// connect is decided, and io_uring refused next to notify rules.
#include <arpa/inet.h>
#include <sys/socket.h>

#include <algorithm>
#include <cstring>

#include "sections.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

std::optional<unsigned> small_number(const std::string& s, unsigned max) {
    if (s.empty() || s.size() > 5 || !std::all_of(s.begin(), s.end(), ::isdigit))
        return std::nullopt;
    unsigned n = static_cast<unsigned>(std::stoul(s));
    if (n > max) return std::nullopt;
    return n;
}

// "*", "N" or "N-M".
std::string parse_ports(const std::string& port, AllowEntry& e) {
    if (port == "*") return "";
    size_t dash = port.find('-');
    auto lo = small_number(port.substr(0, dash), 65535);
    auto hi = dash == std::string::npos ? lo : small_number(port.substr(dash + 1), 65535);
    if (!lo || !hi) return "bad port '" + port + "' (a number 0..65535, a range N-M, or *)";
    if (*lo > *hi) return "bad port range '" + port + "' (low end above high end)";
    e.port_lo = static_cast<int>(*lo);
    e.port_hi = static_cast<int>(*hi);
    return "";
}

// "ADDR[/PREFIX]" with no host bits set beyond the prefix.
std::string parse_cidr(const std::string& cidr, bool v6, AllowEntry& e) {
    size_t slash = cidr.find('/');
    std::string addr = cidr.substr(0, slash);
    unsigned bits = v6 ? 128 : 32;
    unsigned prefix = bits;
    if (slash != std::string::npos) {
        auto p = small_number(cidr.substr(slash + 1), bits);
        if (!p) return "bad prefix length in '" + cidr + "' (0.." + std::to_string(bits) + ")";
        prefix = *p;
    }
    e.family = v6 ? AF_INET6 : AF_INET;
    if (inet_pton(e.family, addr.c_str(), e.addr) != 1)
        return "bad " + std::string(v6 ? "IPv6" : "IPv4") + " address '" + addr + "'";
    for (unsigned bit = prefix; bit < bits; ++bit)
        if (e.addr[bit / 8] & (0x80 >> (bit % 8)))
            return "'" + cidr + "' has host bits set beyond /" + std::to_string(prefix);
    e.prefix = static_cast<int>(prefix);
    return "";
}

std::string path_glob_problem(const std::string& glob) {
    if (glob.empty() || glob[0] != '/') return "must be absolute";
    return "";
}

std::string address_problem(const std::string& text, AllowEntry& e) {
    if (text.starts_with("unix:")) {
        std::string rest = text.substr(5);
        if (rest.size() > 1 && rest[0] == '@') {
            e.kind = AllowEntry::Kind::UnixAbstract;
            e.name = rest.substr(1);
            // sun_path holds 108 bytes, the leading NUL included.
            if (e.name.size() > 107) return "abstract name longer than 107 bytes";
            return "";
        }
        if (rest.size() > 1 && rest[0] == '/') {
            e.kind = AllowEntry::Kind::UnixPath;
            e.name = rest;
            return "";
        }
        return "a unix entry is 'unix:/absolute/path' or 'unix:@abstract-name' (got '" + text + "')";
    }
    e.kind = AllowEntry::Kind::Inet;
    if (text.starts_with('[')) {
        size_t close = text.find("]:");
        if (close == std::string::npos) return "expected '[IPv6/PREFIX]:PORT' (got '" + text + "')";
        std::string problem = parse_cidr(text.substr(1, close - 1), true, e);
        return problem.empty() ? parse_ports(text.substr(close + 2), e) : problem;
    }
    size_t colon = text.rfind(':');
    if (colon == std::string::npos)
        return "expected 'CIDR:PORT', '[IPv6]:PORT', 'unix:/path' or 'unix:@name' (got '" + text + "')";
    std::string problem = parse_cidr(text.substr(0, colon), false, e);
    return problem.empty() ? parse_ports(text.substr(colon + 1), e) : problem;
}

}  // namespace

AllowListKind allow_list_kind(const std::string& syscall) {
    if (arg_index(syscall, ArgRole::Sockaddr) || arg_index(syscall, ArgRole::Msghdr) ||
        arg_index(syscall, ArgRole::Mmsghdr))
        return AllowListKind::Address;
    if (arg_index(syscall, ArgRole::Path)) return AllowListKind::Path;
    return AllowListKind::None;
}

std::optional<AllowEntry> parse_allow_entry(AllowListKind kind, const std::string& text,
                                            std::string& problem) {
    AllowEntry e;
    e.text = text;
    if (kind == AllowListKind::Address) {
        problem = address_problem(text, e);
    } else if (kind == AllowListKind::Path) {
        e.kind = AllowEntry::Kind::PathGlob;
        e.name = text;
        problem = path_glob_problem(text);
        if (!problem.empty()) problem = "a path glob " + problem + " (got '" + text + "')";
    } else {
        problem = "this syscall has no argument an allow-list could name";
    }
    if (!problem.empty()) return std::nullopt;
    return e;
}

}  // namespace vigil

namespace vigil::profile_detail {

namespace {

const std::vector<std::string> kPhases = {"startup", "ready"};
// The calls that name a peer (or a local address) besides connect; derived from the connect
// policy when the profile decides connect with an allow-list.
const char* const kPeerCalls[] = {"sendto", "sendmsg", "sendmmsg"};
const char* const kIoUring[] = {"io_uring_setup", "io_uring_enter", "io_uring_register"};
// What an io_uring submission can do without the syscall (IORING_OP_*, Linux 6.18): a notify
// decision on one of these is bypassed by io_uring.
const char* const kIoUringReaches[] = {
    "connect", "bind", "listen", "accept", "accept4", "socket", "sendto", "sendmsg", "sendmmsg",
    "recvfrom", "recvmsg", "shutdown", "open", "openat", "openat2", "creat", "close", "read",
    "write", "readv", "writev", "pread64", "pwrite64", "mkdir", "mkdirat", "unlink", "unlinkat",
    "rename", "renameat", "renameat2", "symlink", "symlinkat", "link", "linkat", "setxattr",
    "fsetxattr", "getxattr", "fgetxattr", "statx", "fallocate", "fadvise64", "madvise",
    "ftruncate", "splice", "tee", "epoll_ctl", "futex", "waitid", "fsync", "sync_file_range"};

void read_allow(Reader& r, const TomlValue& v, const std::string& syscall, NotifyPolicy& p) {
    std::string what = "notify." + syscall + ".allow";
    auto items = r.string_array(v, what);
    if (!items) return;
    AllowListKind kind = allow_list_kind(syscall);
    if (kind == AllowListKind::None) {
        r.error(v, what + ": allow lists are understood for connect, bind, sendto, sendmsg, "
                          "sendmmsg (addresses) and execve, execveat, open, openat, openat2, "
                          "creat (paths), not for '" + syscall + "'");
        return;
    }
    for (const TomlValue* item : *items) {
        std::string problem;
        if (auto e = parse_allow_entry(kind, text_of(*item), problem)) {
            e->where = r.pos(*item);
            p.allow.push_back(std::move(*e));
        } else {
            r.error(*item, what + ": " + problem);
        }
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
    if (const TomlValue* v = Reader::find(table, "racy_allow"))
        r.error(*v, name + ".racy_allow: removed: vigil never lets a call through on memory the app "
                           "can change after the check. Paths: let the kernel decide them with a "
                           "[landlock] section (a path allow-list then only narrows it); "
                           "addresses: vigil performs allowed connect/sendto/sendmsg itself on a "
                           "copy (no setting needed)");
    std::vector<std::string> known = kPhases;
    for (const char* k : {"allow", "otherwise", "fallback", "racy_allow"}) known.push_back(k);
    r.check_keys(table, name, known);
    for (const auto& phase : kPhases)
        if (const TomlValue* v = Reader::find(table, phase))
            if (auto a = non_notify_action(r, *v, name + "." + phase)) p.by_phase[phase] = *a;
    if (const TomlValue* v = Reader::find(table, "allow")) read_allow(r, *v, syscall, p);
    if (const TomlValue* v = Reader::find(table, "otherwise"))
        if (auto a = non_notify_action(r, *v, name + ".otherwise")) p.otherwise = *a;
    if (const TomlValue* v = Reader::find(table, "fallback"))
        if (auto a = non_notify_action(r, *v, name + ".fallback")) p.fallback = *a;
    return p;
}

bool permissive(const Action& a) { return a.kind == ActionKind::Allow || a.kind == ActionKind::Log; }

ArgCondition dest_condition(CmpOp op) {
    ArgCondition c;
    c.index = *arg_index("sendto", ArgRole::Sockaddr);
    c.op = op;
    c.value = 0;
    c.text = op == CmpOp::Ne ? "arg4 != 0 (a destination: derived from notify.connect)"
                             : "arg4 == 0 (no destination: the connected peer)";
    return c;
}

}  // namespace

NotifyPolicy default_notify_policy(const std::string& syscall, const SourcePos& where) {
    NotifyPolicy p;
    p.syscall = syscall;
    p.otherwise = Action{ActionKind::Errno, EPERM};
    p.fallback = Action{ActionKind::Errno, EPERM};
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

// When connect is decided by an allow-list, sendto with a destination, sendmsg and sendmmsg
// can name any peer too (UDP, TCP fast open with MSG_FASTOPEN). Each one the profile lets
// through (by a rule or its default) and does not decide itself is notified and checked
// against the same list: sendto only when arg4 (the destination) is not NULL, so the common
// send on a connected socket stays a plain allow in the kernel.
void derive_peer_policies(std::map<std::string, std::vector<SyscallRule>>& rules,
                          std::map<std::string, NotifyPolicy>& notify, const Action& default_action,
                          Diagnostics& diags) {
    auto connect = notify.find("connect");
    if (connect == notify.end() || connect->second.allow.empty()) return;
    const NotifyPolicy& from = connect->second;
    for (const char* call : kPeerCalls) {
        if (notify.count(call)) continue;  // the profile decides it itself
        auto it = rules.find(call);
        std::vector<SyscallRule> current;
        if (it != rules.end()) current = it->second;
        else if (permissive(default_action)) current.push_back({call, default_action, {}, from.where});
        std::vector<SyscallRule> derived;
        bool any = false;
        for (const SyscallRule& rule : current) {
            if (!permissive(rule.action)) {
                derived.push_back(rule);
                continue;
            }
            any = true;
            if (std::string(call) != "sendto") {
                SyscallRule n = rule;
                n.action = Action{ActionKind::Notify};
                derived.push_back(std::move(n));
                continue;
            }
            unsigned dest = *arg_index("sendto", ArgRole::Sockaddr);
            if (std::any_of(rule.conditions.begin(), rule.conditions.end(),
                            [&](const ArgCondition& c) { return c.index == dest; })) {
                diags.add(rule.where, "sendto: this rule tests arg4 (the destination) while "
                                      "notify.connect decides peers (" + from.where.str() +
                                      "); write a [notify.sendto] policy instead");
                continue;
            }
            SyscallRule keep = rule, ask = rule;
            keep.conditions.push_back(dest_condition(CmpOp::Eq));
            ask.conditions.push_back(dest_condition(CmpOp::Ne));
            ask.action = Action{ActionKind::Notify};
            derived.push_back(std::move(keep));
            derived.push_back(std::move(ask));
        }
        if (!any) continue;  // denied outright: nothing to decide
        rules[call] = std::move(derived);
        NotifyPolicy p = from;
        p.syscall = call;
        p.derived_from = "notify.connect";
        notify[call] = std::move(p);
    }
}

// io_uring performs connect, sendmsg, openat ... inside the kernel, without the syscalls the
// notify rules watch: allowing it next to a notify rule on one of those would let the app step
// around the decision.
void check_io_uring(const std::map<std::string, std::vector<SyscallRule>>& rules,
                    const std::map<std::string, NotifyPolicy>& notify, const Action& default_action,
                    const SourcePos& default_where, Diagnostics& diags) {
    const NotifyPolicy* first = nullptr;
    for (const char* reach : kIoUringReaches)
        if (auto it = notify.find(reach); it != notify.end() && (!first || it->second.where.line < first->where.line))
            first = &it->second;
    if (!first) return;
    for (const char* call : kIoUring) {
        auto it = rules.find(call);
        std::vector<SourcePos> allowed;
        if (it == rules.end()) {
            if (permissive(default_action)) allowed.push_back(default_where);
        } else {
            for (const auto& rule : it->second)
                if (permissive(rule.action) || rule.action.kind == ActionKind::Notify)
                    allowed.push_back(rule.where);
        }
        for (const SourcePos& at : allowed)
            diags.add(at, std::string(call) + " is allowed" +
                              (it == rules.end() ? " (by the default action)" : "") +
                              " next to notify rules (notify." + first->syscall + " at " +
                              first->where.str() + "): io_uring performs connect, send and open "
                              "without the syscalls vigil decides; deny it (io_uring_setup = "
                              "\"errno:ENOSYS\" makes libraries fall back)");
    }
}

}  // namespace vigil::profile_detail
