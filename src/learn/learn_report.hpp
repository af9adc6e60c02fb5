// Report helpers shared inside src/learn.
#pragma once

#include <set>
#include <string>

#include "vigil/learn.hpp"

namespace vigil::learn {

// Docker's default allowlist as it applies to x86_64 with Docker's default capabilities.
std::set<std::string> docker_default_x86_64();

// The syscalls the profile written for these statistics allows in some phase, and of these
// the ones allowed only during startup.
struct AllowedSets {
    std::set<std::string> any_phase;
    std::set<std::string> startup_only;
};
AllowedSets allowed_sets(const LearnedStats& stats, const WriteOptions& options);

}  // namespace vigil::learn
