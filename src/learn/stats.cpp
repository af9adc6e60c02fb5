// The fast-learn baseline and merging of learned statistics across runs.
#include <algorithm>

#include "vigil/learn.hpp"

namespace vigil::learn {

const std::vector<std::string>& jvm_hot_baseline() {
    // Measured: `strace -f -c -p PID` on bench/java/BenchServer.java (JDK 17 HttpServer, fixed
    // pool) under `wrk -c16`: per request futex, write, fcntl, read, epoll_ctl, epoll_wait and
    // gettid; besides them the JVM's periodic getrusage/sysinfo and signal returns. The rest are
    // their siblings (vectored/positional I/O, other waits and clocks). None of them opens,
    // maps, executes or creates anything: they act on fds, memory and threads the app already has.
    // Sorted, so the written profile's "assumed" list is stable.
    static const std::vector<std::string> names = [] {
        std::vector<std::string> v = {
            "clock_gettime", "clock_nanosleep", "epoll_ctl",  "epoll_pwait", "epoll_pwait2",
            "epoll_wait",    "fcntl",           "fstat",      "futex",       "getpid",
            "getrusage",     "gettid",          "gettimeofday", "lseek",     "nanosleep",
            "poll",          "ppoll",           "pread64",    "pwrite64",    "read",
            "readv",         "recvfrom",        "recvmsg",    "restart_syscall", "rt_sigprocmask",
            "rt_sigreturn",  "sched_yield",     "sendmsg",    "sendto",      "sysinfo",
            "write",         "writev",
        };
        std::sort(v.begin(), v.end());
        return v;
    }();
    return names;
}

namespace {

void union_into(std::set<std::string>& into, const std::set<std::string>& from) {
    into.insert(from.begin(), from.end());
}

void merge_one(SyscallStats& into, const SyscallStats& from) {
    if (into.count == 0) {
        into.first_ms = from.first_ms;
        into.last_ms = from.last_ms;
    } else if (from.count != 0) {
        into.first_ms = std::min(into.first_ms, from.first_ms);
        into.last_ms = std::max(into.last_ms, from.last_ms);
    }
    into.count += from.count;
    union_into(into.phases, from.phases);
    union_into(into.threads, from.threads);
    union_into(into.overflow, from.overflow);
    for (const auto& [kind, values] : from.args) {
        auto& set = into.args[kind];
        for (const auto& v : values) {
            if (set.count(v)) continue;
            if (set.size() >= kMaxArgValues)
                into.overflow.insert(kind);
            else
                set.insert(v);
        }
    }
}

}  // namespace

void merge(LearnedStats& into, const LearnedStats& from) {
    // A merged picture is only complete ("exact") when every run watched every call.
    if (into.runs == 0)
        into.mode = from.mode;
    else if (from.runs != 0 && from.mode != into.mode)
        into.mode = "fast";
    into.runs += from.runs;
    into.reached_ready = into.reached_ready || from.reached_ready;
    std::set<std::string> assumed(into.assumed.begin(), into.assumed.end());
    assumed.insert(from.assumed.begin(), from.assumed.end());
    into.assumed.assign(assumed.begin(), assumed.end());
    for (const auto& [name, s] : from.syscalls) merge_one(into.syscalls[name], s);
}

}  // namespace vigil::learn
