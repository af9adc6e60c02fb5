// LearnedStats -> a profile in TOML text. Deterministic: everything sorted, no timestamps, so
// two learning runs of the same program diff cleanly.
#include <sys/syscall.h>

#include <arpa/inet.h>

#include <algorithm>
#include <sstream>

#include "learn_internal.hpp"
#include "vigil/syscalls.hpp"
#include "learn_report.hpp"
#include "vigil/learn.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/text.hpp"

namespace vigil::learn {

namespace {

// Syscalls a process needs to end or return from a signal handler. A run that was killed may
// never have made them, and denying them turns an exit into a hang.
const std::set<std::string>& essentials() {
    static const std::set<std::string> names = {"exit", "exit_group", "restart_syscall",
                                                "rt_sigreturn"};
    return names;
}

// Calls a process makes whenever it grows its heap, maps memory or starts a thread: a learning
// run that happened not to do so after "ready" says nothing about whether it will, and denying
// them later breaks the runtime rather than an attack. They are never phase-specialised.
const std::set<std::string>& phase_free() {
    static const std::set<std::string> names = {
        "brk",   "mmap",         "munmap",          "mremap", "mprotect",        "madvise",
        "clone", "clone3",       "set_robust_list", "rseq",   "set_tid_address", "sigaltstack",
        "futex", "rt_sigaction", "rt_sigprocmask",  "exit",   "exit_group",      "rt_sigreturn",
        "restart_syscall",
        // A JVM opens an NIO selector (epoll plus an eventfd to wake it) whenever code first
        // needs one: the JDK 21+ HttpServer does so right after listen(), on either side of a
        // --ready-tcp boundary. They grant no access, so denying them once ready only breaks
        // the app (learn_java failed that way on Java 21 and 25).
        "epoll_create", "epoll_create1", "eventfd", "eventfd2"};
    return names;
}

// Namespace flags: clone/clone3/unshare get a condition masking out every one the run did
// not use. CLONE_NEWTIME (0x80) shares clone()'s exit-signal byte, so clone() cannot ask for it.
constexpr uint64_t kNamespaceFlags = 0x02000000 /*NEWCGROUP*/ | 0x00020000 /*NEWNS*/ |
                                     0x04000000 /*NEWUTS*/ | 0x08000000 /*NEWIPC*/ |
                                     0x10000000 /*NEWUSER*/ | 0x20000000 /*NEWPID*/ |
                                     0x40000000 /*NEWNET*/;
constexpr uint64_t kNewTime = 0x80;

// Thread names, paths and commands come from the app: escaped here whatever bytes they hold.
std::string quote(const std::string& s) { return text::toml_string(s); }
std::string comment(const std::string& s) { return text::toml_comment(s); }

std::string quoted_list(const std::set<std::string>& values) {
    std::string out = "[";
    for (const auto& v : values) {
        if (out.size() > 1) out += ", ";
        out += quote(v);
    }
    return out + "]";
}

using text::hex;

std::string join(const std::set<std::string>& values, size_t limit) {
    std::string out;
    size_t n = 0;
    for (const auto& v : values) {
        if (n == limit) {
            out += ", ...";
            break;
        }
        if (n++) out += ", ";
        out += v;
    }
    return out;
}

std::string summary(const SyscallStats& s) {
    std::string out = std::to_string(s.count) + (s.count == 1 ? " call" : " calls");
    out += "; " + join(s.phases, 2);
    if (!s.threads.empty()) out += "; threads: " + join(s.threads, 3);
    return out;
}

// One allowed (or phase-dependent) rule: a condition list, and a comment for the reader.
struct Rule {
    std::vector<ArgCondition> when;
    std::string comment;
};

ArgCondition eq(unsigned index, uint64_t value) { return {index, CmpOp::Eq, value, 0, ""}; }
ArgCondition masked(unsigned index, uint64_t mask, uint64_t value) {
    return {index, CmpOp::MaskedEq, value, mask, ""};
}

const std::set<std::string>* values(const SyscallStats& s, const char* kind) {
    auto it = s.args.find(kind);
    return it == s.args.end() ? nullptr : &it->second;
}

// A set usable for conditions: complete (not overflowed) and small enough to list.
const std::set<std::string>* few(const SyscallStats& s, const char* kind, size_t max) {
    const auto* v = values(s, kind);
    if (!v || v->empty() || s.overflow.count(kind) || v->size() > max) return nullptr;
    return v;
}

// One rule per family/type pair seen, never one per family: glibc's nscd probe makes every
// JVM open an AF_UNIX stream socket, which must not allow every AF_UNIX type. The peers of the
// families seen are decided by [notify.connect] (learned_peers below).
std::vector<Rule> socket_rules(const SyscallStats& s, size_t max) {
    const auto* pairs = few(s, kArgSocket, max);
    if (!pairs) return {};
    std::vector<Rule> rules;
    for (const auto& pair : *pairs) {
        auto slash = pair.find('/');
        auto family = family_value(pair.substr(0, slash));
        auto type = socket_type_value(pair.substr(slash + 1));
        if (!family || !type) return {};  // cannot express: allow without condition
        rules.push_back({{eq(0, *family), masked(1, kSocketTypeMask, *type)}, pair});
    }
    return rules;
}

uint64_t union_of_flags(const SyscallStats* s) {
    uint64_t all = 0;
    if (!s) return all;
    if (const auto* v = values(*s, kArgFlags))
        for (const auto& f : *v) all |= text::parse_c_number(f).value_or(0);
    return all;
}

std::vector<Rule> namespace_rule(uint64_t seen, uint64_t forbidden_set, const char* what) {
    uint64_t mask = forbidden_set & ~seen;
    if (mask == 0) return {};
    return {{{masked(0, mask, 0)}, std::string("no namespace flags ") + what}};
}

std::vector<Rule> valued_rules(const SyscallStats& s, const char* kind, size_t max,
                               std::optional<uint64_t> mask, unsigned index,
                               std::optional<uint64_t> (*value_of)(const std::string&)) {
    const auto* v = few(s, kind, max);
    if (!v) return {};
    std::vector<Rule> rules;
    for (const auto& text : *v) {
        auto value = value_of(text);
        if (!value) return {};
        rules.push_back({{mask ? masked(index, *mask, *value) : eq(index, *value)}, text});
    }
    return rules;
}

// Conditions for one syscall from what the run saw; empty: allow it without condition.
// clone3 is given as context because its flags decide clone's rule too (see clone3 below).
std::vector<Rule> rules_for(const std::string& name, const SyscallStats& s,
                            const LearnedStats& stats, size_t max) {
    auto nr = syscall_number(name);
    if (!nr) return {};
    switch (*nr) {
        case SYS_socket:
        case SYS_socketpair:
            return socket_rules(s, max);
        case SYS_clone: {
            auto c3 = stats.syscalls.find("clone3");
            uint64_t seen = union_of_flags(&s) |
                            union_of_flags(c3 == stats.syscalls.end() ? nullptr : &c3->second);
            if (s.overflow.count(kArgFlags)) return {};
            return namespace_rule(seen, kNamespaceFlags, "beyond those seen");
        }
        case SYS_unshare:
            if (s.overflow.count(kArgFlags)) return {};
            return namespace_rule(union_of_flags(&s), kNamespaceFlags | kNewTime,
                                  "beyond those seen");
        case SYS_ioctl:
            return valued_rules(s, kArgRequest, max, 0xffffffffu, 1,
                                [](const std::string& v) { return text::parse_c_number(v); });
        case SYS_prctl:
            return valued_rules(s, kArgOption, max, std::nullopt, 0, prctl_option_value);
        default:
            return {};
    }
}

// ---- peers: the [notify.connect] allow-list of what the run connected to --------------------

struct Peers {
    std::map<std::string, std::set<std::string>> entries;  // allow-list entry -> destinations seen
    std::vector<std::string> unlisted;                     // seen, but not expressible as an entry
    bool ephemeral = false;                                // a loopback port range was written
};

// A destination as recorded (format_sockaddr) -> the allow-list entry a reviewer would accept:
//   - loopback is one host whatever the address: 127.0.0.1:P -> 127.0.0.0/8:P, and the same for
//     [::1] and IPv4-mapped loopback (Java's dual-stack sockets) -> [::ffff:127.0.0.0/104]:P;
//   - a loopback port in the kernel's ephemeral range was handed out at run time (a peer that
//     bound port 0): the whole range, since the next run gets another one;
//   - any other address and port exactly as seen; unix socket paths and abstract names exactly.
std::optional<std::string> peer_entry(const std::string& dest, std::pair<int, int> eph,
                                      const std::set<int>& bound, bool& ephemeral) {
    if (dest.starts_with("unix:")) {
        // printable() escapes bytes an entry could not name: such a peer is not listed.
        if (dest.find('\\') != std::string::npos || dest.size() <= 6) return std::nullopt;
        if (dest[5] == '/' || dest[5] == '@') return dest;
        return std::nullopt;
    }
    size_t colon = dest.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    auto port = text::parse_unsigned(dest.substr(colon + 1));
    if (!port || *port > 65535) return std::nullopt;
    std::string host = dest.substr(0, colon);
    bool v6 = host.size() > 2 && host.front() == '[' && host.back() == ']';
    std::string bare = v6 ? host.substr(1, host.size() - 2) : host;
    unsigned char addr[16];
    if (inet_pton(v6 ? AF_INET6 : AF_INET, bare.c_str(), addr) != 1) return std::nullopt;
    bool loop4 = !v6 && addr[0] == 127;
    static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
    bool loop_mapped = v6 && std::equal(mapped, mapped + 12, addr) && addr[12] == 127;
    bool loop6 = v6 && bare == "::1";
    std::string where = loop4 ? "127.0.0.0/8" : loop_mapped ? "[::ffff:127.0.0.0/104]" : host;
    std::string ports = std::to_string(*port);
    int p = static_cast<int>(*port);
    if ((loop4 || loop6 || loop_mapped) && p >= eph.first && p <= eph.second && !bound.count(p)) {
        ports = std::to_string(eph.first) + "-" + std::to_string(eph.second);
        ephemeral = true;
    }
    return where + ":" + ports;
}

// NULL when the run's destinations cannot all be listed (too many, or one no entry can name,
// such as an AF_UNSPEC "disconnect"): then connect stays allowed without an allow-list.
// BOUND: ports the app bound itself (a connect to one is to the app's own server, whose port
// is configured, not assigned at run time).
std::optional<Peers> learned_peers(const SyscallStats& connect, const std::set<int>& bound) {
    const auto* dests = values(connect, kArgDest);
    if (!dests || dests->empty() || connect.overflow.count(kArgDest)) return std::nullopt;
    Peers out;
    auto eph = ephemeral_ports();
    for (const auto& d : *dests) {
        if (auto e = peer_entry(d, eph, bound, out.ephemeral)) out.entries[*e].insert(d);
        else out.unlisted.push_back(d);
    }
    if (!out.unlisted.empty()) return std::nullopt;
    return out;
}

struct Plan {
    std::map<std::string, std::string> allow;                 // name -> comment
    std::map<std::string, std::string> notify;                // unconditional startup-only
    std::map<std::string, std::vector<Rule>> rules;           // conditional
    std::set<std::string> startup_only;                       // phase-dependent (rules or notify)
    std::map<std::string, std::string> deny;                  // name -> action
    std::map<std::string, std::string> deny_comment;
    std::optional<Peers> peers;                               // connect decided by [notify.connect]
    std::string connect_comment;
    std::string unlisted_peers;                               // why connect has no allow-list
};

Plan plan(const LearnedStats& stats, const WriteOptions& options) {
    Plan p;
    // Baseline syscalls were not watched in fast mode: nothing is known to restrict them by.
    for (const auto& name : stats.assumed) p.allow[name] = "assumed (baseline, not watched)";
    bool temporal = options.ready && stats.reached_ready;
    std::map<std::string, SyscallStats> seen = stats.syscalls;
    // glibc tries clone3 first and falls back to clone on ENOSYS; clone3's flags live in
    // memory, out of the filter's reach, so clone3 gets ENOSYS and clone a flag check.
    if (auto c3 = seen.find("clone3"); c3 != seen.end() && c3->second.count > 0) {
        SyscallStats& clone = seen["clone"];
        clone.phases.insert(c3->second.phases.begin(), c3->second.phases.end());
        clone.threads.insert(c3->second.threads.begin(), c3->second.threads.end());
        p.deny["clone3"] = "errno:ENOSYS";
        p.deny_comment["clone3"] = summary(c3->second) + "; glibc falls back to clone";
        seen.erase("clone3");
    }
    for (const auto& [name, s] : seen) {
        if (p.allow.count(name)) continue;
        std::string comment = s.count ? summary(s) : "not seen itself; clone3 falls back to it";
        if (essentials().count(name)) {
            p.allow[name] = comment;
            continue;
        }
        bool startup_only = temporal && s.phases.size() == 1 && s.phases.count(kStartup) &&
                            !phase_free().count(name);
        auto rules = rules_for(name, s, stats, options.max_condition_values);
        if (name == "connect") {
            // The peers seen become an allow-list: connect is notified in every phase.
            p.peers = learned_peers(s, bound_ports(stats));
            if (p.peers) {
                if (startup_only) p.startup_only.insert(name);
                p.connect_comment = comment;
                continue;
            }
            if (values(s, kArgDest)) {
                const auto* d = values(s, kArgDest);
                p.unlisted_peers = s.overflow.count(kArgDest)
                                       ? "more than " + std::to_string(kMaxArgValues) + " destinations were seen"
                                       : "a destination no allow-list entry can name was seen (" + join(*d, 3) + ")";
            }
        }
        if (startup_only) p.startup_only.insert(name);
        if (!rules.empty()) {
            rules.front().comment += " (" + comment + ")";
            p.rules[name] = std::move(rules);
        } else if (startup_only) {
            p.notify[name] = comment;
        } else {
            p.allow[name] = comment;
        }
    }
    // A run that was killed may never have exited: keep the way out open.
    for (const auto& name : essentials())
        if (!p.allow.count(name)) p.allow[name] = "assumed (needed to exit)";
    return p;
}

void write_ready(std::ostringstream& out, const ReadyCondition& r) {
    out << "\n[phases.ready]\n";
    if (r.tcp_listen) out << "tcp_listen = " << *r.tcp_listen << "\n";
    if (r.http_get) out << "http_get = " << quote(*r.http_get) << "\n";
    if (r.output_match) out << "output_match = " << quote(*r.output_match) << "\n";
    if (r.after_ms) out << "after_ms = " << *r.after_ms << "\n";
    if (r.timeout_ms) out << "timeout_ms = " << r.timeout_ms << "\n";
}

void write_learned(std::ostringstream& out, const LearnedStats& stats) {
    out << "\n# What the learning runs saw, for `vigil learn -p` to merge (not enforced).\n";
    out << "[learned]\n";
    out << "mode = " << quote(stats.mode) << "\n";
    out << "runs = " << stats.runs << "\n";
    out << "reached_ready = " << (stats.reached_ready ? "true" : "false") << "\n";
    out << "assumed = " << quoted_list({stats.assumed.begin(), stats.assumed.end()}) << "\n";
    out << "\n[learned.syscalls]\n";
    for (const auto& [name, s] : stats.syscalls) {
        out << text::toml_key(name) << " = { count = " << s.count << ", phases = " << quoted_list(s.phases);
        if (!s.threads.empty()) out << ", threads = " << quoted_list(s.threads);
        for (const auto& [kind, v] : s.args)
            if (!v.empty()) out << ", " << kind << " = " << quoted_list(v);
        if (!s.overflow.empty()) out << ", overflow = " << quoted_list(s.overflow);
        out << " }\n";
    }
}

}  // namespace

AllowedSets allowed_sets(const LearnedStats& stats, const WriteOptions& options) {
    Plan p = plan(stats, options);
    AllowedSets out;
    for (const auto& [name, comment] : p.allow) out.any_phase.insert(name);
    for (const auto& [name, comment] : p.notify) out.any_phase.insert(name);
    for (const auto& [name, rules] : p.rules) out.any_phase.insert(name);
    if (p.peers) out.any_phase.insert("connect");
    out.startup_only = p.startup_only;
    return out;
}

namespace {

std::vector<ProfileDraft::Named> named(const std::map<std::string, std::string>& names) {
    std::vector<ProfileDraft::Named> out;
    for (const auto& [name, why] : names) out.push_back({name, why});
    return out;
}

// [notify.connect] from the peers seen, with the reasoning a reviewer needs.
ProfileDraft::Policy connect_policy(const Plan& p, bool landlock) {
    ProfileDraft::Policy c;
    c.syscall = "connect";
    c.comment = "the peers the run connected to (" + p.connect_comment + ")";
    if (p.startup_only.count("connect")) c.actions = {{"startup", "allow"}, {"ready", "errno:EPERM"}};
    c.actions.push_back({"otherwise", "errno:ECONNREFUSED"});
    c.actions.push_back({"fallback", "allow"});
    c.notes = {"Loopback is one host: 127.0.0.1 is written as 127.0.0.0/8 (and as IPv4-mapped",
               "[::ffff:127.0.0.0/104] for Java's dual-stack sockets)."};
    if (p.peers->ephemeral)
        c.notes.push_back("A loopback port in the kernel's ephemeral range was assigned at run time: the range.");
    c.notes.insert(c.notes.end(),
                   {"vigil performs an allowed connect or send itself on a copy of the app's socket, or",
                    "without CAP_SYS_PTRACE (Docker's default) on the IP socket it made for the app",
                    "(socket custody): no race on the address. Unix peers are denied without a copy."});
    if (landlock) c.notes.push_back("fallback: without a listener the kernel's port rules decide.");
    else c.notes.push_back("fallback: without a listener any peer is allowed.");
    for (const auto& [entry, seen] : p.peers->entries) {
        std::string why = "seen: " + join(seen, 3);
        c.allow.push_back({entry, why});
    }
    return c;
}

}  // namespace

std::string write_profile(const LearnedStats& stats, const WriteOptions& options) {
    Plan p = plan(stats, options);
    ProfileDraft d;
    d.header.push_back("Profile learned by `vigil learn` (" + stats.mode + " mode, " + std::to_string(stats.runs) +
                       (stats.runs == 1 ? " run" : " runs") + ").");
    if (!options.command.empty()) d.header.push_back("Command: " + options.command);
    if (stats.mode == "fast") {
        d.header.push_back("Fast mode: the baseline syscalls marked \"assumed\" were allowed without being");
        d.header.push_back("watched; every other syscall was recorded.");
    } else {
        d.header.push_back("Exact mode: every syscall was recorded (one supervisor round trip per call).");
    }
    d.header.push_back("Review it: everything not listed gets " + options.unseen + ".");
    std::set<std::string> inc(options.include.begin(), options.include.end());
    d.include.assign(inc.begin(), inc.end());
    d.default_action = options.unseen;
    d.allow = named(p.allow);
    std::map<std::string, std::string> notify = p.notify;
    if (p.peers) notify["connect"] = p.connect_comment + "; peers decided by [notify.connect]";
    d.notify = named(notify);
    if (!p.notify.empty()) d.notify_note = "Used only before the app was ready, or decided by peer: see [notify.*] below.";
    else if (p.peers) d.notify_note = "Decided by peer: see [notify.connect] below.";
    for (const auto& [name, action] : p.deny) d.deny.push_back({name, action, p.deny_comment[name]});
    for (const auto& [name, rules] : p.rules) {
        const char* action = p.startup_only.count(name) ? "notify" : "allow";
        for (const auto& r : rules) d.rules.push_back({name, action, r.when, r.comment});
    }
    for (const auto& name : p.startup_only) {
        if (name == "connect" && p.peers) continue;
        d.policies.push_back({name, "seen only during startup",
                              {{"startup", "allow"}, {"ready", "errno:EPERM"}, {"fallback", "allow"}},
                              {},
                              {"fallback: without a listener phases cannot be told apart"}});
    }
    if (p.peers) d.policies.push_back(connect_policy(p, options.landlock));
    std::ostringstream tail;
    if (!p.unlisted_peers.empty())
        tail << "\n# connect is allowed to any peer: " << comment(p.unlisted_peers)
             << ";\n# write a [notify.connect] allow-list by hand (landlock.connect_tcp still bounds TCP ports).\n";
    if (options.ready) write_ready(tail, *options.ready);
    if (!options.copied_tables.empty()) tail << "\n" << options.copied_tables;
    tail << write_landlock_section(stats, options);
    write_learned(tail, stats);
    d.tail = tail.str();
    return write_profile_text(d);
}

}  // namespace vigil::learn
