// [seccomp]: default action, allow/notify lists, the deny table and conditional rules of ONE
// file, reduced to one decision per syscall. Inside a file, a name written out beats a group
// that contains it; two different explicit decisions for one syscall are an error; when only
// groups disagree, the stricter wins (deny over notify over allow).
#include <seccomp.h>

#include <set>

#include "sections.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::profile_detail {

namespace {

enum class Kind { Allow, Notify, Deny, Rule };

const char* kind_where(Kind k) {
    switch (k) {
        case Kind::Allow: return "seccomp.allow";
        case Kind::Notify: return "seccomp.notify";
        case Kind::Deny: return "seccomp.deny";
        case Kind::Rule: return "a [[seccomp.rule]]";
    }
    return "?";
}

struct Mention {
    Kind kind;
    std::string group;  // empty: named explicitly
    Action action;
    SourcePos where;
};

using Mentions = std::map<std::string, std::vector<Mention>>;

void mention_all(Reader& r, const TomlValue& v, const std::string& name, Kind kind,
                 const Action& action, const std::string& what, Mentions& out) {
    bool is_group = name.starts_with('@');
    auto members = resolve_names(r, v, name, what);
    for (const auto& s : members)
        out[s].push_back({kind, is_group ? name : std::string(), action, r.pos(v)});
    // The group itself, as an explicit mention: one group in two lists is a contradiction.
    if (is_group && !members.empty()) out[name].push_back({kind, "", action, r.pos(v)});
}

void read_list(Reader& r, const TomlValue& table, const std::string& key, Kind kind,
               const Action& action, Mentions& out) {
    const TomlValue* v = Reader::find(table, key);
    if (!v) return;
    auto items = r.string_array(*v, "seccomp." + key);
    if (!items) return;
    for (const TomlValue* item : *items)
        mention_all(r, *item, text_of(*item), kind, action, "seccomp." + key, out);
}

void read_deny(Reader& r, const TomlValue& table, Mentions& out) {
    const TomlValue* deny = Reader::find(table, "deny");
    if (!deny || !r.expect_table(*deny, "seccomp.deny")) return;
    for (const auto& [name, value] : deny->as_table()) {
        std::string what = "seccomp.deny." + name;
        auto action = r.action(value, what);
        if (!action) continue;
        if (action->kind == ActionKind::Allow) {
            r.error(value, what + ": 'allow' is not a denial; list '" + name +
                               "' in seccomp.allow instead");
            continue;
        }
        if (action->kind == ActionKind::Notify) {
            r.error(value, what + ": list '" + name + "' in seccomp.notify instead");
            continue;
        }
        mention_all(r, value, name, Kind::Deny, *action, "seccomp.deny", out);
    }
}

std::optional<SyscallRule> read_rule(Reader& r, const TomlValue& rule) {
    if (!r.expect_table(rule, "seccomp.rule")) return std::nullopt;
    r.check_keys(rule, "[seccomp.rule]", {"syscall", "action", "when"});
    const TomlValue* syscall = Reader::find(rule, "syscall");
    const TomlValue* action = Reader::find(rule, "action");
    const TomlValue* when = Reader::find(rule, "when");
    bool ok = true;
    for (auto [v, key] : {std::pair{syscall, "syscall"}, {action, "action"}, {when, "when"}}) {
        if (!v) {
            r.error(rule, "[[seccomp.rule]] needs '" + std::string(key) + "'");
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    SyscallRule out;
    out.where = r.pos(rule);
    auto name = r.string(*syscall, "seccomp.rule.syscall");
    auto act = r.action(*action, "seccomp.rule.action");
    auto conditions = r.string_array(*when, "seccomp.rule.when");
    if (!name || !act || !conditions) return std::nullopt;
    if (name->starts_with('@')) {
        r.error(*syscall, "seccomp.rule.syscall: a rule names one syscall, not a group ('" +
                              *name + "')");
        return std::nullopt;
    }
    if (resolve_names(r, *syscall, *name, "seccomp.rule").empty()) return std::nullopt;
    if (conditions->empty()) {
        r.error(*when, "seccomp.rule.when: empty; a rule without conditions belongs in "
                       "seccomp.allow or seccomp.deny");
        return std::nullopt;
    }
    out.syscall = *name;
    out.action = *act;
    for (const TomlValue* c : *conditions) {
        std::string problem;
        auto cond = parse_condition(text_of(*c), problem);
        if (!cond) {
            r.error(*c, "condition '" + text_of(*c) + "': " + problem);
            ok = false;
            continue;
        }
        for (const auto& earlier : out.conditions)
            if (earlier.index == cond->index) {
                r.error(*c, "condition '" + text_of(*c) + "': arg" +
                                std::to_string(cond->index) +
                                " is already tested in this rule; write a second rule (rules "
                                "are ORed) or one masked condition");
                ok = false;
            }
        out.conditions.push_back(*cond);
    }
    if (!ok) return std::nullopt;
    return out;
}

void read_rules(Reader& r, const TomlValue& table, Mentions& mentions,
                std::map<std::string, std::vector<SyscallRule>>& rules) {
    const TomlValue* v = Reader::find(table, "rule");
    if (!v) return;
    if (!v->is_array()) {
        r.error(*v, "seccomp.rule: expected an array of tables ([[seccomp.rule]])");
        return;
    }
    for (const auto& item : v->as_array()) {
        auto rule = read_rule(r, item);
        if (!rule) continue;
        if (rules[rule->syscall].empty())
            mentions[rule->syscall].push_back({Kind::Rule, "", rule->action, rule->where});
        rules[rule->syscall].push_back(*rule);
    }
}

// The decision for one syscall from everything this file says about it.
std::optional<std::vector<SyscallRule>> decide(Reader& r, const std::string& syscall,
                                                const std::vector<Mention>& mentions,
                                                const std::vector<SyscallRule>& conditional) {
    const Mention* chosen = nullptr;
    for (const auto& m : mentions) {
        if (!m.group.empty()) continue;
        if (chosen && chosen->kind != m.kind) {
            r.error(m.where, "'" + syscall + "' is named in both " + kind_where(chosen->kind) +
                                 " (" + chosen->where.str() + ") and " + kind_where(m.kind));
            return std::nullopt;
        }
        if (!chosen) chosen = &m;
    }
    if (!chosen) {
        for (Kind k : {Kind::Deny, Kind::Notify, Kind::Allow}) {
            for (const auto& m : mentions) {
                if (m.kind != k) continue;
                if (chosen && !(chosen->action == m.action)) {
                    r.error(m.where, "'" + syscall + "' is in " + chosen->group + " (" +
                                         chosen->action.str() + ") and in " + m.group + " (" +
                                         m.action.str() + "); name it to decide");
                    return std::nullopt;
                }
                if (!chosen) chosen = &m;
            }
            if (chosen) break;
        }
    }
    if (chosen->kind == Kind::Rule) return conditional;
    SyscallRule rule{syscall, chosen->action, {}, chosen->where};
    return std::vector<SyscallRule>{rule};
}

}  // namespace

std::vector<std::string> resolve_names(Reader& r, const TomlValue& v, const std::string& name,
                                       const std::string& what) {
    if (name.starts_with('@')) {
        if (!find_group(name)) {
            r.error(v, "unknown syscall group '" + name + "' in " + what +
                           did_you_mean(name, all_group_names()));
            return {};
        }
        return expand_group(name);
    }
    if (syscall_number(name)) return {name};
    if (seccomp_syscall_resolve_name(name.c_str()) != __NR_SCMP_ERROR)
        r.error(v, "'" + name + "' in " + what + " is not an x86_64 syscall");
    else
        r.error(v, "unknown syscall '" + name + "' in " + what +
                       did_you_mean(name, all_syscall_names()));
    return {};
}

SeccompLayer read_seccomp(Reader& r, const TomlValue& table) {
    SeccompLayer layer;
    r.check_keys(table, "seccomp", {"default", "allow", "notify", "deny", "rule"});
    if (const TomlValue* d = Reader::find(table, "default")) {
        auto a = r.action(*d, "seccomp.default");
        if (a && a->kind == ActionKind::Notify)
            r.error(*d, "seccomp.default: cannot be 'notify'; name the syscalls to notify in "
                        "seccomp.notify");
        else
            layer.default_action = a;
    }
    Mentions mentions;
    std::map<std::string, std::vector<SyscallRule>> conditional;
    read_list(r, table, "allow", Kind::Allow, Action{ActionKind::Allow, 0}, mentions);
    read_list(r, table, "notify", Kind::Notify, Action{ActionKind::Notify, 0}, mentions);
    read_deny(r, table, mentions);
    read_rules(r, table, mentions, conditional);
    for (const auto& [name, list] : mentions) {
        auto rules = decide(r, name, list, conditional[name]);
        if (rules && !name.starts_with('@')) layer.rules[name] = *rules;
    }
    return layer;
}

}  // namespace vigil::profile_detail
