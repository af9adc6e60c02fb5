// Profile -> OCI/Docker seccomp JSON.
#include <errno.h>
#include "vigil/log.hpp"

#include <map>
#include <optional>
#include <set>

#include "../filter/internal.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/oci.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

using namespace filter_detail;
using nlohmann::json;

namespace {

const char* oci_action(ActionKind kind) {
    switch (kind) {
    case ActionKind::Allow: return "SCMP_ACT_ALLOW";
    case ActionKind::Errno: return "SCMP_ACT_ERRNO";
    case ActionKind::KillProcess: return "SCMP_ACT_KILL_PROCESS";
    case ActionKind::KillThread: return "SCMP_ACT_KILL_THREAD";
    case ActionKind::Trap: return "SCMP_ACT_TRAP";
    case ActionKind::Log: return "SCMP_ACT_LOG";
    case ActionKind::Notify: return "SCMP_ACT_NOTIFY";
    }
    throw Error("unknown action kind");
}

const char* oci_op(CmpOp op) {
    switch (op) {
    case CmpOp::Eq: return "SCMP_CMP_EQ";
    case CmpOp::Ne: return "SCMP_CMP_NE";
    case CmpOp::Lt: return "SCMP_CMP_LT";
    case CmpOp::Le: return "SCMP_CMP_LE";
    case CmpOp::Gt: return "SCMP_CMP_GT";
    case CmpOp::Ge: return "SCMP_CMP_GE";
    case CmpOp::MaskedEq: return "SCMP_CMP_MASKED_EQ";
    }
    throw Error("unknown comparison operator");
}

json entry(const std::vector<std::string>& names, const Action& a) {
    json e = {{"names", names}, {"action", oci_action(a.kind)}};
    if (a.kind == ActionKind::Errno) e["errnoRet"] = a.errno_value;
    return e;
}

json arg(const ArgCondition& c) {
    // As libseccomp takes them: for SCMP_CMP_MASKED_EQ "value" is the mask.
    bool masked = c.op == CmpOp::MaskedEq;
    return {{"index", c.index}, {"value", masked ? c.mask : c.value}, {"valueTwo", masked ? c.value : 0},
            {"op", oci_op(c.op)}};
}

// A syscall's unconditional rule carved out by stricter rules that each test one 32-bit argument
// for one value (the shipped ioctl allow minus TIOCSTI and TIOCLINUX). libseccomp lets an
// unconditional rule win over conditional ones, so exported as is the carve-out would be lost;
// instead the unconditional rule is given only the other values (masked-equality blocks, the
// upper half ignored as the kernel ignores it), and no rule overlaps another.
// Returns the carved unconditional rules with the tests that replace their "always".
std::map<const SyscallRule*, std::vector<ArgCondition>> carve_outs(const Profile& profile,
                                                                   const FilterOptions& options) {
    std::map<std::string, std::vector<const SyscallRule*>> by_name;
    for (const auto& rule : profile.rules) by_name[rule.syscall].push_back(&rule);
    std::map<const SyscallRule*, std::vector<ArgCondition>> out;
    for (const auto& [name, rules] : by_name) {
        const SyscallRule* base = nullptr;
        for (const SyscallRule* r : rules)
            if (r->conditions.empty()) base = base ? nullptr : r;  // exactly one unconditional rule
        if (!base || rules.size() < 2) continue;
        Action base_action = effective_action(base->action, name, profile, options);
        std::vector<uint64_t> values;
        std::optional<unsigned> index;
        bool carves = true;
        for (const SyscallRule* r : rules) {
            if (r == base) continue;
            const ArgCondition* c = r->conditions.size() == 1 ? &r->conditions[0] : nullptr;
            bool one_value = c && arg_is_32bit(name, c->index) &&
                             ((c->op == CmpOp::MaskedEq && c->mask == 0xffffffffull) ||
                              (c->op == CmpOp::Eq && c->value <= 0xffffffffull));
            if (!one_value || (index && *index != c->index) ||
                !is_stricter(effective_action(r->action, name, profile, options), base_action)) {
                carves = false;
                break;
            }
            index = c->index;
            values.push_back(c->value & 0xffffffffull);
        }
        if (carves) out[base] = low32_complement(*index, values);
    }
    return out;
}

}  // namespace

json profile_to_oci(const Profile& profile) {
    const FilterOptions no_listener{.complain = profile.complain, .listener = false};
    Action def = effective_default(profile, no_listener);
    json out = {{"defaultAction", oci_action(def.kind)}, {"architectures", {"SCMP_ARCH_X86_64"}}};
    if (def.kind == ActionKind::Errno) out["defaultErrnoRet"] = def.errno_value;

    std::map<uint32_t, std::set<std::string>> unconditional;  // action value -> names
    json conditional = json::array();
    bool had_notify = false;
    const auto carved = carve_outs(profile, no_listener);
    for (const auto& rule : profile.rules) {
        had_notify |= rule.action.kind == ActionKind::Notify;
        Action a = effective_action(rule.action, rule.syscall, profile, no_listener);
        if (auto it = carved.find(&rule); it != carved.end()) {
            for (const auto& block : it->second) {
                json e = entry({rule.syscall}, a);
                e["args"] = json::array({arg(block)});
                conditional.push_back(std::move(e));
            }
            continue;
        }
        if (rule.conditions.empty()) {
            unconditional[action_value(a)].insert(rule.syscall);
            continue;
        }
        json e = entry({rule.syscall}, a);
        e["args"] = json::array();
        for (const auto& c : rule.conditions) e["args"].push_back(arg(c));
        conditional.push_back(e);
    }
    if (clone3_gets_enosys(profile)) unconditional[action_value({ActionKind::Errno, ENOSYS})].insert("clone3");
    if (had_notify)
        log::warn("OCI runtimes have no vigil supervisor: notified syscalls are exported with their fallback action");
    // Runtimes resolve names with their own libseccomp and skip names it does not know.
    std::set<std::string> unknown_to_libseccomp;
    for (const auto& rule : profile.rules)
        if (seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, rule.syscall.c_str()) == __NR_SCMP_ERROR)
            unknown_to_libseccomp.insert(rule.syscall);
    if (!unknown_to_libseccomp.empty()) {
        std::string names;
        for (const auto& n : unknown_to_libseccomp) names += (names.empty() ? "" : " ") + n;
        log::warn("{}: newer than the libseccomp vigil is built with; a runtime whose libseccomp does not "
                     "know them either skips their rules, so they get the default action there",
                     names);
    }
    // The runtime loads the filter, then execs the container's command: without execve allowed
    // the container cannot start (vigil itself execs the app the same way).
    const uint64_t no_args[6] = {};
    Verdict exec = evaluate(profile, syscall_nr("execve"), no_args);
    Action exec_action = effective_action(exec.action, "execve", profile, no_listener);
    if (exec_action.kind != ActionKind::Allow && exec_action.kind != ActionKind::Log)
        log::warn("execve gets {} in the exported profile: a runtime that loads it cannot start the "
                     "container's command (use it under vigil, or for a container whose first process "
                     "may exec)", exec_action.str());

    // OCI runtimes give these rules to libseccomp, which resolves overlaps its own way (an
    // unconditional rule wins, then lower-numbered arguments): deny wins is vigil's own.
    for (const auto& o : overlapping_rules(profile))
        if (!carved.count(o.looser)) log::warn("{}: the {} rule for {} overlaps the {} rule at {}: OCI runtimes do not apply "
                     "deny wins, so where both match the exported profile may give {}",
                     o.looser->where.str(), o.looser->action.str(), o.looser->syscall,
                     o.stricter->action.str(), o.stricter->where.str(), o.looser->action.str());

    json syscalls = json::array();
    for (const auto& [value, names] : unconditional)
        syscalls.push_back(entry({names.begin(), names.end()}, action_from_value(value)));
    for (auto& e : conditional) syscalls.push_back(std::move(e));
    out["syscalls"] = std::move(syscalls);
    return out;
}

}  // namespace vigil
