// Capabilities (libcap-ng) and uid/gid/groups, resolved before fork and applied in the child.
// Implemented in src/privileges.
#pragma once

#include <sys/types.h>

#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil {

struct PreparedPrivileges {
    bool change_ids = false;
    uid_t uid = 0;
    gid_t gid = 0;
    std::vector<gid_t> groups;  // allocated before fork: the child must not allocate
    std::vector<int> keep_caps;  // CAP_* numbers kept in every set (ambient too)
    bool drop_caps = false;      // false: leave capabilities as they are (no profile)
    // Capabilities the child removes from its bounding set: those in vigil's bounding set and
    // not kept. Empty when vigil lacks CAP_SETPCAP and the drop does not matter (see the .cpp).
    std::vector<int> bounding_drop;
};

// Resolves names against ROOT/etc/passwd and ROOT/etc/group (no NSS, so the static binary
// works in any image), and plans the bounding-set drop from vigil's own capabilities (the child
// inherits them). Throws vigil::Error naming the bad value, or naming the capabilities that
// cannot be dropped when that would leave the app able to regain them.
PreparedPrivileges prepare_privileges(const ProcessSettings& settings, const std::string& root = "/");

// Whether vigil itself has capability CAP (a CAP_* number) in its effective set now.
bool vigil_has_capability(int cap);

// In the forked child, before no_new_privs and the filter: groups/gid/uid (with KEEPCAPS),
// then capabilities in all five sets (bounding, effective, permitted, inheritable, ambient;
// ambient is what a non-root app keeps across execve). Only async-signal-safe calls. Returns 0, or an errno value with
// *failed_step naming the step ("setgroups", "capng_apply", ...).
int apply_privileges(const PreparedPrivileges& p, const char** failed_step) noexcept;

}  // namespace vigil
