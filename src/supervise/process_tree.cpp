#include "vigil/process_tree.hpp"

#include <dirent.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>
#include <string>

namespace vigil {

std::optional<pid_t> parent_of(pid_t pid) {
    std::ifstream f("/proc/" + std::to_string(pid) + "/stat");
    std::string stat;
    if (!std::getline(f, stat)) return std::nullopt;
    // The command name (field 2) may contain spaces and ')': parse from the last ')'.
    auto close = stat.rfind(')');
    if (close == std::string::npos) return std::nullopt;
    std::istringstream rest(stat.substr(close + 1));
    char state;
    pid_t ppid;
    if (!(rest >> state >> ppid)) return std::nullopt;
    return ppid;
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
