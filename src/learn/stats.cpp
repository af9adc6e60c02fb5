// The fast-learn baseline and merging of learned statistics across runs.
#include <algorithm>

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
