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
// Whether ARGS satisfy every condition of RULE (its syscall is not compared).
bool rule_matches(const SyscallRule& rule, const uint64_t args[6]);

// Precedence between rules for one syscall: deny wins. When one call matches two rules with
// different actions, the stricter action applies (is_stricter, vigil/profile.hpp). The compiled
// filter and evaluate() both decide so.
// Whether some call matches both A and B (same syscall, every argument condition compatible).
bool can_both_match(const SyscallRule& a, const SyscallRule& b);
struct RuleOverlap {
    const SyscallRule* stricter;  // the rule whose action applies where both match
    const SyscallRule* looser;
};
// Every pair of PROFILE's rules with different actions that one call can match both of.
std::vector<RuleOverlap> overlapping_rules(const Profile& profile);

}  // namespace vigil
