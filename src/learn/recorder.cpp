// Recording one notified call into LearnedStats, and decoding the arguments that matter for
// policy into stable, readable strings ("AF_INET", "0x2000000", "127.0.0.1:8080").
#include <linux/sched.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>

#include <cctype>
#include <cstring>

#include "learn_internal.hpp"
#include "vigil/syscalls.hpp"
#include "vigil/learn.hpp"
#include "vigil/text.hpp"

namespace vigil::learn {

namespace {

using text::hex;

// A recorded value by name: the one constant table (syscalls), else a number.
std::optional<uint64_t> value_of(const std::string& s) {
    if (auto c = constant(s)) return c;
    return parse_number(s);
}

// Places where an image keeps its own files: opening them says little about the app.
bool usual_place(const std::string& path) {
    static const char* const kUsual[] = {"/usr/", "/lib/", "/lib64/", "/etc/", "/proc/",
                                         "/sys/", "/dev/", "/bin/", "/sbin/"};
    for (const char* p : kUsual)
        if (path.rfind(p, 0) == 0) return true;
    return false;
}

// Thread names carry counters ("pool-1-thread-7", "GC Thread#1") that differ from run to
// run; folding digit runs into "N" keeps the recorded set small and the profile stable.
std::string fold_digits(const std::string& name) {
    std::string out;
    for (size_t i = 0; i < name.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(name[i]))) {
            while (i + 1 < name.size() && std::isdigit(static_cast<unsigned char>(name[i + 1]))) ++i;
            out += 'N';
        } else {
            out += name[i];
        }
    }
    return out;
}

void add_value(SyscallStats& s, const char* kind, std::string value) {
    auto& set = s.args[kind];
    if (set.count(value)) return;
    if (set.size() >= kMaxArgValues) {
        s.overflow.insert(kind);
        return;
    }
    set.insert(std::move(value));
}

void record_args(SyscallStats& s, const CallInfo& c) {
    record_landlock(s, c);
    switch (c.nr) {
        case SYS_socket:
        case SYS_socketpair: {
            std::string family = family_name(c.args[0]);
            std::string type = symbolic_value("socket", 1, c.args[1] & kSocketTypeMask);
            add_value(s, kArgFamily, family);
            add_value(s, kArgType, type);
            add_value(s, kArgSocket, family + "/" + type);
            break;
        }
        case SYS_clone:
            add_value(s, kArgFlags, hex(c.args[0] & ~uint64_t{CSIGNAL}));
            break;
        case SYS_clone3:
            if (c.clone3_flags) add_value(s, kArgFlags, hex(*c.clone3_flags));
            break;
        case SYS_unshare:
            add_value(s, kArgFlags, hex(c.args[0]));
            break;
        case SYS_ioctl:
            add_value(s, kArgRequest, hex(c.args[1] & 0xffffffffu));
            break;
        case SYS_prctl:
            add_value(s, kArgOption, symbolic_value("prctl", 0, c.args[0]));
            break;
        case SYS_connect:
            if (c.dest) add_value(s, kArgDest, *c.dest);
            break;
        case SYS_execve:
        case SYS_execveat:
            if (c.path) add_value(s, kArgPath, *c.path);
            break;
        default:
            // A relative path names nothing without its directory fd (and the JVM's are pids).
            if (c.path && c.path->rfind('/', 0) == 0 && !usual_place(*c.path)) add_value(s, kArgPath, *c.path);
            break;
    }
}

}  // namespace

std::optional<uint64_t> parse_number(const std::string& s) {
    if (s.empty()) return std::nullopt;
    errno = 0;
    char* end = nullptr;
    unsigned long long v = std::strtoull(s.c_str(), &end, 0);
    if (errno != 0 || *end != '\0') return std::nullopt;
    return v;
}

std::string family_name(uint64_t v) { return symbolic_value("socket", 0, v); }
std::optional<uint64_t> family_value(const std::string& s) { return value_of(s); }
std::optional<uint64_t> socket_type_value(const std::string& s) { return value_of(s); }
std::optional<uint64_t> prctl_option_value(const std::string& s) { return value_of(s); }

const std::string& recorded_name(int nr) {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> t;
        for (const auto& name : all_syscall_names()) {
            auto n = static_cast<size_t>(*syscall_number(name));
            if (n >= t.size()) t.resize(n + 1);
            t[n] = name;
        }
        return t;
    }();
    if (nr >= 0 && static_cast<size_t>(nr) < names.size() && !names[nr].empty()) return names[nr];
    thread_local std::string unknown;
    unknown = "syscall_" + std::to_string(nr);
    return unknown;
}

// From the argument-role table, so learn reads exactly what the notify engine would decide on.
MemoryNeed memory_need(int nr) {
    if (auto i = arg_index(nr, ArgRole::Path)) return *i == 0 ? MemoryNeed::PathArg0 : MemoryNeed::PathArg1;
    if (arg_index(nr, ArgRole::Sockaddr) == 1u) return MemoryNeed::SockaddrArg1;
    if (arg_index(nr, ArgRole::Clone3Args) == 0u) return MemoryNeed::Clone3Flags;
    return MemoryNeed::None;
}

void Recorder::record(const CallInfo& call, double at_ms) {
    const std::string& name = recorded_name(call.nr);
    SyscallStats& s = stats_.syscalls[name];
    if (s.count == 0) s.first_ms = at_ms;
    s.last_ms = at_ms;
    ++s.count;
    s.phases.insert(phase_);
    if (!call.thread.empty()) {
        std::string thread = fold_digits(call.thread);
        if (!s.threads.count(thread)) {
            if (s.threads.size() < kMaxArgValues)
                s.threads.insert(std::move(thread));
            else
                s.overflow.insert("threads");
        }
    }
    record_args(s, call);
}

}  // namespace vigil::learn
