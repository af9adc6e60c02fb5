#include "vigil/process_tree.hpp"

#include <dirent.h>

#include <charconv>
#include <cstdlib>
#include <fstream>
#include <map>
#include <string>

namespace vigil {

// /proc/PID/status, not /proc/PID/stat: stat starts with the command name, which the process
// chooses (prctl(PR_SET_NAME)) and which may contain ')', spaces or a newline, so a thread
// named "x) S 1" or "x\n..." could make stat's fields say whatever it likes. status escapes
// the name (a newline becomes "\n") and prints it on its own first line, so a line that
// starts with "PPid:" is always the kernel's.
std::optional<pid_t> parent_of(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/status");
    for (std::string line; std::getline(f, line);) {
        if (line.rfind("PPid:", 0) != 0) continue;
        size_t at = line.find_first_not_of(" \t", 5);
        if (at == std::string::npos) return std::nullopt;
        pid_t ppid = 0;
        auto [end, ec] = std::from_chars(line.data() + at, line.data() + line.size(), ppid);
        if (ec != std::errc() || end != line.data() + line.size() || ppid < 0) return std::nullopt;
        return ppid;
    }
    return std::nullopt;
}

bool is_descendant_of(pid_t pid, pid_t ancestor) {
    for (int depth = 0; depth < 4096 && pid > 1; ++depth) {
        auto parent = parent_of(pid);
        if (!parent) return false;
        if (*parent == ancestor) return true;
        pid = *parent;
    }
    return false;
}

std::vector<pid_t> descendants_of(pid_t ancestor) {
    std::multimap<pid_t, pid_t> children;
    if (DIR* d = opendir("/proc")) {
        while (dirent* e = readdir(d)) {
            pid_t pid = std::atoi(e->d_name);
            if (pid <= 0) continue;
            if (auto parent = parent_of(pid)) children.emplace(*parent, pid);
        }
        closedir(d);
    }
    std::vector<pid_t> out;
    std::vector<pid_t> pending{ancestor};
    while (!pending.empty()) {
        pid_t p = pending.back();
        pending.pop_back();
        auto [lo, hi] = children.equal_range(p);
        for (auto it = lo; it != hi; ++it) {
            out.push_back(it->second);
            pending.push_back(it->second);
        }
    }
    return out;
}

}  // namespace vigil
