// The process tree as /proc shows it: who descends from whom. Implemented in src/supervise.
#pragma once

#include <sys/types.h>

#include <optional>
#include <vector>

namespace vigil {

// The parent of pid from the "PPid:" line of /proc/PID/status; nullopt if pid is gone.
std::optional<pid_t> parent_of(pid_t pid);

// True if ancestor is pid's parent, grandparent, ...; false if pid is gone.
bool is_descendant_of(pid_t pid, pid_t ancestor);

// Every live process below ancestor (children first, then their children, ...).
std::vector<pid_t> descendants_of(pid_t ancestor);

}  // namespace vigil
