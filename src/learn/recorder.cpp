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

namespace vigil::learn {

namespace {

struct Named {
    uint64_t value;
    const char* name;
};

// Families an app plausibly uses; anything else is recorded as its number.
constexpr Named kFamilies[] = {
    {AF_UNSPEC, "AF_UNSPEC"}, {AF_UNIX, "AF_UNIX"},       {AF_INET, "AF_INET"},
    {AF_INET6, "AF_INET6"},   {AF_NETLINK, "AF_NETLINK"}, {AF_PACKET, "AF_PACKET"},
    {AF_KEY, "AF_KEY"},       {AF_ALG, "AF_ALG"},         {AF_VSOCK, "AF_VSOCK"},
    {AF_BLUETOOTH, "AF_BLUETOOTH"}, {AF_CAN, "AF_CAN"},   {AF_XDP, "AF_XDP"},
};

constexpr Named kSocketTypes[] = {
    {SOCK_STREAM, "SOCK_STREAM"}, {SOCK_DGRAM, "SOCK_DGRAM"},         {SOCK_RAW, "SOCK_RAW"},
    {SOCK_RDM, "SOCK_RDM"},       {SOCK_SEQPACKET, "SOCK_SEQPACKET"}, {SOCK_PACKET, "SOCK_PACKET"},
};

constexpr Named kPrctlOptions[] = {
    {PR_SET_PDEATHSIG, "PR_SET_PDEATHSIG"}, {PR_GET_PDEATHSIG, "PR_GET_PDEATHSIG"},
    {PR_GET_DUMPABLE, "PR_GET_DUMPABLE"},   {PR_SET_DUMPABLE, "PR_SET_DUMPABLE"},
    {PR_SET_NAME, "PR_SET_NAME"},           {PR_GET_NAME, "PR_GET_NAME"},
    {PR_GET_SECCOMP, "PR_GET_SECCOMP"},     {PR_SET_SECCOMP, "PR_SET_SECCOMP"},
    {PR_CAPBSET_READ, "PR_CAPBSET_READ"},   {PR_CAPBSET_DROP, "PR_CAPBSET_DROP"},
    {PR_SET_NO_NEW_PRIVS, "PR_SET_NO_NEW_PRIVS"}, {PR_GET_NO_NEW_PRIVS, "PR_GET_NO_NEW_PRIVS"},
    {PR_SET_VMA, "PR_SET_VMA"},             {PR_SET_MM, "PR_SET_MM"},
    {PR_SET_PTRACER, "PR_SET_PTRACER"},     {PR_SET_CHILD_SUBREAPER, "PR_SET_CHILD_SUBREAPER"},
    {PR_CAP_AMBIENT, "PR_CAP_AMBIENT"},     {PR_SET_KEEPCAPS, "PR_SET_KEEPCAPS"},
    {PR_GET_TIMERSLACK, "PR_GET_TIMERSLACK"}, {PR_SET_THP_DISABLE, "PR_SET_THP_DISABLE"},
};

std::string hex(uint64_t v) {
    char buf[24];
    snprintf(buf, sizeof buf, "0x%llx", static_cast<unsigned long long>(v));
    return buf;
}

std::string name_or_number(const Named* table, size_t n, uint64_t v) {
    for (size_t i = 0; i < n; ++i)
        if (table[i].value == v) return table[i].name;
    return std::to_string(v);
}

template <size_t N>
std::string name_of(const Named (&table)[N], uint64_t v) {
    return name_or_number(table, N, v);
}

template <size_t N>
std::optional<uint64_t> value_of(const Named (&table)[N], const std::string& s) {
    for (const auto& e : table)
        if (s == e.name) return e.value;
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
            std::string type = name_of(kSocketTypes, c.args[1] & kSocketTypeMask);
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
            add_value(s, kArgOption, name_of(kPrctlOptions, c.args[0]));
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

std::string family_name(uint64_t v) { return name_of(kFamilies, v); }
std::optional<uint64_t> family_value(const std::string& s) { return value_of(kFamilies, s); }
std::optional<uint64_t> socket_type_value(const std::string& s) { return value_of(kSocketTypes, s); }
std::optional<uint64_t> prctl_option_value(const std::string& s) { return value_of(kPrctlOptions, s); }

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

MemoryNeed memory_need(int nr) {
    switch (nr) {
        case SYS_execve:
        case SYS_open:
        case SYS_creat:
            return MemoryNeed::PathArg0;
        case SYS_execveat:
        case SYS_openat:
        case SYS_openat2:
            return MemoryNeed::PathArg1;
        case SYS_connect:
        case SYS_bind:  // its port, for [landlock]
            return MemoryNeed::SockaddrArg1;
        case SYS_clone3:
            return MemoryNeed::Clone3Flags;
        default:
            return MemoryNeed::None;
    }
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
