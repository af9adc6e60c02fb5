// The fast-learn baseline and merging of learned statistics across runs.
#include <algorithm>
#include <optional>
#include <set>

#include "vigil/learn.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::learn {

const std::vector<std::string>& jvm_hot_baseline() {
    // @jvm-hot (src/syscalls) plus what `strace -f -c -p PID` on bench/java/BenchServer.java
    // (JDK 17 HttpServer, fixed pool, under `wrk -c16`) showed besides it: fcntl is made twice
    // per request (non-blocking mode switches on the exchange's channel), sysinfo periodically by
    // the JVM. Neither opens, maps, executes or creates anything.
    static const std::vector<std::string> names = [] {
        std::set<std::string> all;
        for (const auto& name : expand_group("@jvm-hot")) all.insert(name);
        for (const char* name : {"fcntl", "sysinfo"}) all.insert(name);
        return std::vector<std::string>(all.begin(), all.end());
    }();
    return names;
}

const std::vector<std::string>& hot_baseline(Runtime runtime) {
    // Measured like the JVM's: `strace -f -c` of each runtime's bench workload
    // (bench/learn_bench.sh, bench/README.md): what it calls per request or per file beyond
    // the JVM baseline, none of which opens, maps a file, executes, connects or creates
    // anything. openat stays notified everywhere: the [landlock] section is learned from it.
    static const std::vector<std::string> node = [] {
        std::set<std::string> all(jvm_hot_baseline().begin(), jvm_hot_baseline().end());
        // libuv's loop and thread pool, V8's heap: statx is fs.stat (no access right of its
        // own: Landlock does not restrict it), getrandom crypto.randomBytes; per connection
        // accept4 on the socket it already listens on (bind and listen stay notified),
        // the socket options and names of that connection, shutdown.
        for (const char* name : {"statx", "getrandom", "brk", "uname", "getsockname", "getpeername",
                                 "setsockopt", "getsockopt", "shutdown", "accept4"})
            if (syscall_number(name)) all.insert(name);
        return std::vector<std::string>(all.begin(), all.end());
    }();
    static const std::vector<std::string> python = [] {
        std::set<std::string> all(jvm_hot_baseline().begin(), jvm_hot_baseline().end());
        // CPython's import system and io: directory listings of fds it opened (getdents64),
        // its allocator (brk), stat calls on paths (no Landlock right of their own), getrandom.
        for (const char* name : {"getdents64", "brk", "getrandom", "statx", "fstatfs", "getcwd",
                                 "readlink", "dup", "uname"})
            if (syscall_number(name)) all.insert(name);
        return std::vector<std::string>(all.begin(), all.end());
    }();
    switch (runtime) {
        case Runtime::Node: return node;
        case Runtime::Python: return python;
        case Runtime::Jvm: break;
    }
    return jvm_hot_baseline();
}

const char* runtime_name(Runtime runtime) {
    switch (runtime) {
        case Runtime::Node: return "node";
        case Runtime::Python: return "python";
        case Runtime::Jvm: break;
    }
    return "jvm";
}

std::optional<Runtime> runtime_from_name(const std::string& name) {
    if (name == "jvm") return Runtime::Jvm;
    if (name == "node") return Runtime::Node;
    if (name == "python") return Runtime::Python;
    return std::nullopt;
}

Runtime runtime_of_executable(const std::string& path) {
    std::string base = path.substr(path.rfind('/') + 1);
    if (base == "node" || base == "nodejs") return Runtime::Node;
    if (base.rfind("python", 0) == 0) return Runtime::Python;  // python, python3, python3.11
    return Runtime::Jvm;  // java, and the scripts that start one (catalina.sh, run.sh)
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
