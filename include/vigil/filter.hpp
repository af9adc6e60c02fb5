// Profile -> seccomp BPF (libseccomp), built before fork; plus export and lookup.
// Implemented in src/filter.
#pragma once

#include <linux/filter.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil {

struct FilterOptions {
    // Complain mode: every deny/kill/trap action (and the default action) becomes notify,
    // so the supervisor can log the would-be denial and continue the call.
    bool complain = false;
    // false: the kernel refused a listener; notify actions become each policy's fallback
    // (and complain falls back to SCMP_ACT_LOG).
    bool listener = true;
};

struct BpfProgram {
    std::vector<sock_filter> insns;
    bool uses_notify = false;  // some path returns SECCOMP_RET_USER_NOTIF
};

// Throws vigil::Error on a profile libseccomp cannot express.
BpfProgram compile_filter(const Profile& profile, const FilterOptions& options = {});

// What the profile decides for one native (x86_64) call: the action and the rule that chose it
// (nullptr: the default action). Used by `explain`, complain mode and the notify decisions.
struct Verdict {
    Action action;
    const SyscallRule* rule = nullptr;
};
Verdict evaluate(const Profile& profile, int syscall_nr, const uint64_t args[6]);

}  // namespace vigil
