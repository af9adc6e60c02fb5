// Profile -> libseccomp context, and the action mapping every exporter shares.
#include <errno.h>

#include <algorithm>
#include <cstring>

#include "internal.hpp"
#include "vigil/error.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::filter_detail {

namespace {

// Above this many rules libseccomp's binary tree (optimize level 2) beats its linear chain.
constexpr size_t kBinaryTreeThreshold = 32;

scmp_compare compare_op(CmpOp op) {
    switch (op) {
    case CmpOp::Eq: return SCMP_CMP_EQ;
    case CmpOp::Ne: return SCMP_CMP_NE;
    case CmpOp::Lt: return SCMP_CMP_LT;
    case CmpOp::Le: return SCMP_CMP_LE;
    case CmpOp::Gt: return SCMP_CMP_GT;
    case CmpOp::Ge: return SCMP_CMP_GE;
    case CmpOp::MaskedEq: return SCMP_CMP_MASKED_EQ;
    }
    throw Error("unknown comparison operator");
}

scmp_arg_cmp to_libseccomp(const ArgCondition& c) {
    scmp_arg_cmp cmp{};
    cmp.arg = c.index;
    cmp.op = compare_op(c.op);
    // libseccomp: for SCMP_CMP_MASKED_EQ datum_a is the mask, datum_b the value.
    cmp.datum_a = c.op == CmpOp::MaskedEq ? c.mask : c.value;
    cmp.datum_b = c.op == CmpOp::MaskedEq ? c.value : 0;
    return cmp;
}

std::string rule_context(const SyscallRule& rule) {
    std::string where = rule.where.str();
    return (where.empty() ? std::string() : where + ": ") + "rule for " + rule.syscall;
}

std::vector<scmp_arg_cmp> conditions_of(const SyscallRule& rule) {
    std::vector<scmp_arg_cmp> out;
    bool seen[6] = {};
    for (const auto& c : rule.conditions) {
        if (c.index > 5) throw Error(rule_context(rule) + ": argument index " + std::to_string(c.index) + " is not 0..5");
        // libseccomp compares each argument at most once per rule; two conditions on one
        // argument must be written as two rules.
        if (seen[c.index])
            throw Error(rule_context(rule) + ": arg" + std::to_string(c.index) +
                        " is compared twice in one rule; split it into separate rules (they are ORed)");
        seen[c.index] = true;
        out.push_back(to_libseccomp(c));
    }
    return out;
}

void set_attr(void* ctx, scmp_filter_attr attr, uint32_t value, const char* name) {
    int rc = seccomp_attr_set(ctx, attr, value);
    if (rc < 0) throw Error(std::string("libseccomp: cannot set ") + name + ": " + std::strerror(-rc));
}

}  // namespace

int syscall_nr(const std::string& name) { return syscall_number(name).value_or(-1); }

uint32_t highest_known_syscall(const Profile& profile) {
    static const int table_max = syscall_nr(all_syscall_names().back());
    int max = table_max;
    for (const auto& rule : profile.rules) max = std::max(max, syscall_nr(rule.syscall));
    return static_cast<uint32_t>(max);
}

uint32_t action_value(const Action& action) {
    switch (action.kind) {
    case ActionKind::Allow: return SCMP_ACT_ALLOW;
    case ActionKind::Errno:
        if (action.errno_value <= 0 || action.errno_value > 4095)
            throw Error("errno value " + std::to_string(action.errno_value) + " is not 1..4095");
        return SCMP_ACT_ERRNO(static_cast<uint32_t>(action.errno_value));
    case ActionKind::KillProcess: return SCMP_ACT_KILL_PROCESS;
    case ActionKind::KillThread: return SCMP_ACT_KILL_THREAD;
    case ActionKind::Trap: return SCMP_ACT_TRAP;
    case ActionKind::Log: return SCMP_ACT_LOG;
    case ActionKind::Notify: return SCMP_ACT_NOTIFY;
    }
    throw Error("unknown action kind");
}

Action action_from_value(uint32_t value) {
    switch (value & SECCOMP_RET_ACTION_FULL) {
    case SECCOMP_RET_ALLOW: return {ActionKind::Allow};
    case SECCOMP_RET_ERRNO: return {ActionKind::Errno, static_cast<int>(value & SECCOMP_RET_DATA)};
    case SECCOMP_RET_KILL_THREAD: return {ActionKind::KillThread};
    case SECCOMP_RET_TRAP: return {ActionKind::Trap};
    case SECCOMP_RET_LOG: return {ActionKind::Log};
    case SECCOMP_RET_USER_NOTIF: return {ActionKind::Notify};
    default: return {ActionKind::KillProcess};
    }
}

Action effective_action(const Action& action, const std::string& syscall, const Profile& profile,
                        const FilterOptions& options) {
    Action out = action;
    if (out.kind == ActionKind::Notify && !options.listener) {
        auto it = profile.notify.find(syscall);
        out = it != profile.notify.end() ? it->second.fallback : NotifyPolicy{}.fallback;
    }
    bool complain = options.complain || profile.complain;
    bool denies = out.kind == ActionKind::Errno || out.kind == ActionKind::KillProcess ||
                  out.kind == ActionKind::KillThread || out.kind == ActionKind::Trap;
    if (complain && denies) out = Action{options.listener ? ActionKind::Notify : ActionKind::Log};
    return out;
}

Action effective_default(const Profile& profile, const FilterOptions& options) {
    return effective_action(profile.default_action, "", profile, options);
}

bool clone3_gets_enosys(const Profile& profile) {
    return std::none_of(profile.rules.begin(), profile.rules.end(),
                        [](const SyscallRule& r) { return r.syscall == "clone3"; });
}

Context build_context(const Profile& profile, const FilterOptions& options, int only_nr) {
    Context ctx(seccomp_init(kSentinel));
    if (!ctx) throw Error("libseccomp: seccomp_init failed");
    // spawn sets no_new_privs itself (and only when it must); the bad-arch action covers
    // i386 (int 0x80) and, with only x86_64 in the filter, x32 numbers too.
    set_attr(ctx.get(), SCMP_FLTATR_CTL_NNP, 0, "no_new_privs attribute");
    set_attr(ctx.get(), SCMP_FLTATR_ACT_BADARCH, SCMP_ACT_KILL_PROCESS, "bad-arch action");
    if (profile.rules.size() >= kBinaryTreeThreshold && only_nr < 0)
        set_attr(ctx.get(), SCMP_FLTATR_CTL_OPTIMIZE, 2, "optimize level");

    for (const auto& rule : profile.rules) {
        int nr = syscall_nr(rule.syscall);
        if (nr < 0) throw Error(rule_context(rule) + ": not an x86_64 system call");
        if (only_nr >= 0 && nr != only_nr) continue;
        auto conds = conditions_of(rule);
        uint32_t value = action_value(effective_action(rule.action, rule.syscall, profile, options));
        int rc = seccomp_rule_add_exact_array(ctx.get(), value, nr, static_cast<unsigned>(conds.size()),
                                              conds.data());
        if (rc < 0) throw Error(rule_context(rule) + ": libseccomp refused it: " + std::strerror(-rc));
    }
    int clone3 = syscall_nr("clone3");
    if (clone3_gets_enosys(profile) && (only_nr < 0 || only_nr == clone3)) {
        int rc = seccomp_rule_add_exact(ctx.get(), SCMP_ACT_ERRNO(ENOSYS), clone3, 0);
        if (rc < 0) throw Error(std::string("libseccomp: clone3 rule refused: ") + std::strerror(-rc));
    }
    return ctx;
}

}  // namespace vigil::filter_detail
