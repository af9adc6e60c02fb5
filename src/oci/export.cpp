// Profile -> OCI/Docker seccomp JSON.
#include <errno.h>
#include "vigil/log.hpp"

#include <map>
#include <set>

#include "../filter/internal.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/oci.hpp"

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

}  // namespace

json profile_to_oci(const Profile& profile) {
    const FilterOptions no_listener{.complain = profile.complain, .listener = false};
    Action def = effective_default(profile, no_listener);
    json out = {{"defaultAction", oci_action(def.kind)}, {"architectures", {"SCMP_ARCH_X86_64"}}};
    if (def.kind == ActionKind::Errno) out["defaultErrnoRet"] = def.errno_value;

    std::map<uint32_t, std::set<std::string>> unconditional;  // action value -> names
    json conditional = json::array();
    bool had_notify = false;
    for (const auto& rule : profile.rules) {
        had_notify |= rule.action.kind == ActionKind::Notify;
        Action a = effective_action(rule.action, rule.syscall, profile, no_listener);
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
        log::warn("{}: the {} rule for {} overlaps the {} rule at {}: OCI runtimes do not apply "
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
