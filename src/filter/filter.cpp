// compile_filter and evaluate: the two views of one decision procedure. evaluate runs the
// same libseccomp output (restricted to one syscall) through a BPF interpreter, so what it
// says is what the kernel does, not a second implementation that could drift.
#include "vigil/filter.hpp"

#include <errno.h>
#include <linux/audit.h>

#include "internal.hpp"
#include "vigil/error.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

using namespace filter_detail;

BpfProgram compile_filter(const Profile& profile, const FilterOptions& options) {
    Context ctx = build_context(profile, options);
    uint32_t def = action_value(effective_default(profile, options));
    BpfProgram out;
    out.insns = export_program(ctx.get(), def, highest_known_syscall(profile),
                               precedence_block(profile, options));
    for (const auto& in : out.insns)
        if (in.code == (BPF_RET | BPF_K) && (in.k & SECCOMP_RET_ACTION_FULL) == SECCOMP_RET_USER_NOTIF)
            out.uses_notify = true;
    return out;
}

namespace {

bool holds(const ArgCondition& c, uint64_t arg) {
    switch (c.op) {
    case CmpOp::Eq: return arg == c.value;
    case CmpOp::Ne: return arg != c.value;
    case CmpOp::Lt: return arg < c.value;
    case CmpOp::Le: return arg <= c.value;
    case CmpOp::Gt: return arg > c.value;
    case CmpOp::Ge: return arg >= c.value;
    case CmpOp::MaskedEq: return (arg & c.mask) == c.value;
    }
    return false;
}

}  // namespace

bool rule_matches(const SyscallRule& rule, const uint64_t args[6]) {
    for (const auto& c : rule.conditions)
        if (c.index > 5 || !holds(c, args[c.index])) return false;
    return true;
}

Verdict evaluate(const Profile& profile, int syscall_nr, const uint64_t args[6]) {
    uint32_t nr = static_cast<uint32_t>(syscall_nr);
    uint32_t max_known = highest_known_syscall(profile);
    // Each syscall's decision tree is independent of the others, so a context holding only
    // this syscall's rules decides exactly as the full filter does.
    int only = (nr >= kX32Bit || nr > max_known) ? static_cast<int>(max_known) + 1 : syscall_nr;
    Context ctx = build_context(profile, FilterOptions{}, only);
    uint32_t def = action_value(profile.default_action);
    auto prog = export_program(ctx.get(), def, max_known,
                               precedence_block(profile, FilterOptions{}, only));

    seccomp_data data{};
    data.nr = syscall_nr;
    data.arch = AUDIT_ARCH_X86_64;
    for (int i = 0; i < 6; ++i) data.args[i] = args[i];
    uint32_t result = run_bpf(prog, data);

    std::string name = syscall_name(syscall_nr).value_or("");
    for (const auto& rule : profile.rules) {
        if (rule.syscall != name || !rule_matches(rule, args)) continue;
        if (action_value(rule.action) == result) return {rule.action, &rule};
    }
    if (result == def) return {profile.default_action, nullptr};
    return {action_from_value(result), nullptr};
}

}  // namespace vigil
