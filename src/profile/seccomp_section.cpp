// [seccomp]: default action, allow/notify lists, the deny table and conditional rules of ONE
// file, reduced to one decision per syscall. Inside a file, a name written out beats a group
// that contains it; two different explicit decisions for one syscall are an error; when only
// groups disagree, the stricter wins (deny over notify over allow). Conditional rules replace
// the unconditional decision, unless all of them are stricter than it: then they are
// exceptions carved out of it and both are kept (the filter applies deny wins).
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

// The stricter of the groups' decisions for SYSCALL (deny over notify over allow), or nullptr;
// two deny groups with different actions are an error when REPORT, else just nullptr.
const Mention* group_decision(Reader& r, const std::string& syscall,
                              const std::vector<Mention>& mentions, bool report, bool& failed) {
    const Mention* chosen = nullptr;
    for (Kind k : {Kind::Deny, Kind::Notify, Kind::Allow}) {
        for (const auto& m : mentions) {
            if (m.kind != k || m.group.empty()) continue;
            if (chosen && !(chosen->action == m.action)) {
                if (report)
                    r.error(m.where, "'" + syscall + "' is in " + chosen->group + " (" +
                                         chosen->action.str() + ") and in " + m.group + " (" +
                                         m.action.str() + "); name it to decide");
                failed = true;
                return nullptr;
            }
            if (!chosen) chosen = &m;
        }
        if (chosen) break;
    }
    return chosen;
}

// Rules that only carve stricter exceptions out of BASE's unconditional decision ("allow
// ioctl, but errno:EPERM for TIOCSTI") are kept next to it: deny wins where both match.
bool carve_out(const Mention& base, const std::vector<SyscallRule>& conditional) {
    for (const auto& rule : conditional)
        if (!is_stricter(rule.action, base.action)) return false;
    return !conditional.empty();
}

// The decision for one syscall from everything this file says about it.
std::optional<std::vector<SyscallRule>> decide(Reader& r, const std::string& syscall,
                                                const std::vector<Mention>& mentions,
                                                const std::vector<SyscallRule>& conditional) {
    const Mention* named = nullptr;  // written out in allow/notify/deny
    const Mention* rule = nullptr;   // the first [[seccomp.rule]] for it
    for (const auto& m : mentions) {
        if (!m.group.empty()) continue;
        if (m.kind == Kind::Rule) {
            if (!rule) rule = &m;
            continue;
        }
        if (named && named->kind != m.kind) {
            r.error(m.where, "'" + syscall + "' is named in both " + kind_where(named->kind) +
                                 " (" + named->where.str() + ") and " + kind_where(m.kind));
            return std::nullopt;
        }
        if (!named) named = &m;
    }
    bool failed = false;
    // With rules, a disagreement between groups does not matter unless they are carve-outs.
    const Mention* base = named ? named : group_decision(r, syscall, mentions, !rule, failed);
    if (failed && !rule) return std::nullopt;
    if (!rule) return std::vector<SyscallRule>{{syscall, base->action, {}, base->where}};
    if (base && carve_out(*base, conditional)) {
        std::vector<SyscallRule> out{{syscall, base->action, {}, base->where}};
        out.insert(out.end(), conditional.begin(), conditional.end());
        return out;
    }
    if (named) {
        r.error(rule->where, "'" + syscall + "' is named in both " + kind_where(named->kind) +
                                 " (" + named->where.str() + ") and " + kind_where(Kind::Rule) +
                                 " that is not stricter than it; only stricter rules (deny "
                                 "wins) may carve exceptions out of an unconditional decision");
        return std::nullopt;
    }
    // Rules that allow or are no stricter say exactly where the call is permitted: they replace
    // the groups' unconditional decision.
    return conditional;
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
