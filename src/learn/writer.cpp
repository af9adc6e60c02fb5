// LearnedStats -> a profile in TOML text. Deterministic: everything sorted, no timestamps, so
// two learning runs of the same program diff cleanly.
#include <sys/syscall.h>

#include <algorithm>
#include <sstream>

#include "learn_internal.hpp"
#include "vigil/syscalls.hpp"
#include "learn_report.hpp"
#include "vigil/learn.hpp"
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
    std::vector<std::string> when;
    std::string comment;
};

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

std::vector<Rule> socket_rules(const SyscallStats& s, size_t max) {
    const auto* pairs = few(s, kArgSocket, max);
    if (!pairs) return {};
    std::vector<Rule> rules;
    for (const auto& pair : *pairs) {
        auto slash = pair.find('/');
        auto family = family_value(pair.substr(0, slash));
        auto type = socket_type_value(pair.substr(slash + 1));
        if (!family || !type) return {};  // cannot express: allow without condition
        rules.push_back({{"arg0 == " + std::to_string(*family),
                          "arg1 & " + hex(kSocketTypeMask) + " == " + std::to_string(*type)},
                         pair});
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
    return {{{"arg0 & " + hex(mask) + " == 0"}, std::string("no namespace flags ") + what}};
}

std::vector<Rule> valued_rules(const SyscallStats& s, const char* kind, size_t max,
                               const std::string& lhs,
                               std::optional<uint64_t> (*value_of)(const std::string&)) {
    const auto* v = few(s, kind, max);
    if (!v) return {};
    std::vector<Rule> rules;
    for (const auto& text : *v) {
        auto value = value_of(text);
        if (!value) return {};
        rules.push_back({{lhs + " == " + hex(*value)}, text});
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
            return valued_rules(s, kArgRequest, max, "arg1 & 0xffffffff",
                                [](const std::string& v) { return text::parse_c_number(v); });
        case SYS_prctl:
            return valued_rules(s, kArgOption, max, "arg0", prctl_option_value);
        default:
            return {};
    }
}

struct Plan {
    std::map<std::string, std::string> allow;                 // name -> comment
    std::map<std::string, std::string> notify;                // unconditional startup-only
    std::map<std::string, std::vector<Rule>> rules;           // conditional
    std::set<std::string> startup_only;                       // phase-dependent (rules or notify)
    std::map<std::string, std::string> deny;                  // name -> action
    std::map<std::string, std::string> deny_comment;
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

void write_name_list(std::ostringstream& out, const char* key,
                     const std::map<std::string, std::string>& names) {
    out << key << " = [\n";
    for (const auto& [name, why] : names) out << "    " << quote(name) << ",  # " << comment(why) << "\n";
    out << "]\n";
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
    out.startup_only = p.startup_only;
    return out;
}

std::string write_profile(const LearnedStats& stats, const WriteOptions& options) {
    Plan p = plan(stats, options);
    std::ostringstream out;
    out << "# Profile learned by `vigil learn` (" << stats.mode << " mode, " << stats.runs
        << (stats.runs == 1 ? " run" : " runs") << ").\n";
    if (!options.command.empty()) out << "# Command: " << comment(options.command) << "\n";
    if (stats.mode == "fast")
        out << "# Fast mode: the baseline syscalls marked \"assumed\" were allowed without being\n"
               "# watched; every other syscall was recorded.\n";
    else
        out << "# Exact mode: every syscall was recorded (one supervisor round trip per call).\n";
    out << "# Review it: everything not listed gets " << comment(options.unseen) << ".\n";
    if (!options.include.empty()) {
        std::set<std::string> inc(options.include.begin(), options.include.end());
        out << "include = " << quoted_list(inc) << "\n";
    }
    out << "\n[seccomp]\n";
    out << "default = " << quote(options.unseen) << "\n";
    write_name_list(out, "allow", p.allow);
    if (!p.notify.empty()) {
        out << "# Used only before the app was ready: decided by phase, see [notify.*] below.\n";
        write_name_list(out, "notify", p.notify);
    }
    if (!p.deny.empty()) {
        out << "\n[seccomp.deny]\n";
        for (const auto& [name, action] : p.deny)
            out << text::toml_key(name) << " = " << quote(action) << "  # " << comment(p.deny_comment[name]) << "\n";
    }
    for (const auto& [name, rules] : p.rules) {
        const char* action = p.startup_only.count(name) ? "notify" : "allow";
        for (const auto& r : rules) {
            out << "\n[[seccomp.rule]]  # " << comment(r.comment) << "\n";
            out << "syscall = " << quote(name) << "\n";
            out << "action = " << quote(action) << "\n";
            out << "when = " << quoted_list({r.when.begin(), r.when.end()}) << "\n";
        }
    }
    for (const auto& name : p.startup_only) {
        out << "\n[notify." << text::toml_key(name) << "]  # seen only during startup\n";
        out << "startup = \"allow\"\n";
        out << "ready = \"errno:EPERM\"\n";
        out << "fallback = \"allow\"  # without a listener phases cannot be told apart\n";
    }
    if (options.ready) write_ready(out, *options.ready);
    if (!options.copied_tables.empty()) out << "\n" << options.copied_tables;
    out << write_landlock_section(stats, options);
    write_learned(out, stats);
    return out.str();
}

}  // namespace vigil::learn
