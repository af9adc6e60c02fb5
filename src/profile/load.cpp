// load_profile: read a profile and its includes, layer them, and check the result as a whole.
// Layers: included files first (in the order listed), then the including file. Scalars are
// overridden key by key; for syscalls, a layer that mentions a syscall at all replaces every
// earlier rule (and [notify.X] table) for it.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <set>
#include <sstream>

#include "sections.hpp"
#include "vigil/error.hpp"
#include "vigil/profile_parse.hpp"  // expand_for_width, shared with import-oci
#include "vigil/syscalls.hpp"

namespace vigil {

using namespace profile_detail;
namespace fs = std::filesystem;

namespace {

struct Layering {
    Profile profile;
    std::map<std::string, std::vector<SyscallRule>> rules;
    std::map<std::string, NotifyPolicy> notify;
    std::vector<std::string> stack;  // canonical paths being read, for include cycles
    std::vector<std::string> stack_names;  // the same, as written, for the message
    SourcePos no_new_privs_at;  // where the top-most process.no_new_privs was set
    Diagnostics diags;
};

std::optional<TomlValue> parse_toml(const std::string& path, const SourcePos& from,
                                    const std::string& description, Diagnostics& diags) {
    std::string problem;
    auto text = read_text(path, problem);
    if (!text) {
        diags.add(from, "cannot read " + description + ": " + problem);
        return std::nullopt;
    }
    SourcePos where;
    auto root = parse_toml_text(*text, path, where, problem);
    if (!root) diags.add(where, problem);
    return root;
}

void load_file(const std::string& path, const SourcePos& from, const std::string& description,
               Layering& acc);

void load_includes(Reader& r, const TomlValue& v, Layering& acc) {
    std::vector<const TomlValue*> items;
    if (v.is_string()) {
        items.push_back(&v);
    } else if (auto list = r.string_array(v, "include")) {
        items = *list;
    } else {
        return;
    }
    fs::path dir = fs::path(r.file()).parent_path();
    for (const TomlValue* item : items) {
        const std::string& written = text_of(*item);
        if (written.empty()) {
            r.error(*item, "include: empty file name");
            continue;
        }
        fs::path target = fs::path(written).is_absolute() ? fs::path(written) : dir / written;
        load_file(target.string(), r.pos(*item),
                  "included profile '" + written + "' (" + target.string() + ")", acc);
    }
}

void apply_seccomp(const SeccompLayer& layer, Layering& acc) {
    acc.profile.has_seccomp = true;
    if (layer.default_action) acc.profile.default_action = *layer.default_action;
    for (const auto& [syscall, rules] : layer.rules) {
        acc.rules[syscall] = rules;
        acc.notify.erase(syscall);
    }
}

void read_sections(Reader& r, const TomlValue& root, Layering& acc) {
    Profile& p = acc.profile;
    if (const TomlValue* v = Reader::find(root, "complain"))
        if (auto b = r.boolean(*v, "complain")) p.complain = *b;
    if (const TomlValue* v = Reader::find(root, "process"); v && r.expect_table(*v, "process")) {
        read_process(r, *v, p.process);
        if (const TomlValue* nnp = Reader::find(*v, "no_new_privs")) acc.no_new_privs_at = r.pos(*nnp);
    }
    if (const TomlValue* v = Reader::find(root, "seccomp"); v && r.expect_table(*v, "seccomp"))
        apply_seccomp(read_seccomp(r, *v), acc);
    if (const TomlValue* v = Reader::find(root, "notify"); v && r.expect_table(*v, "notify"))
        for (auto& [syscall, policy] : read_notify(r, *v)) acc.notify[syscall] = policy;
    if (const TomlValue* v = Reader::find(root, "phases"); v && r.expect_table(*v, "phases"))
        read_phases(r, *v, p.ready);
    if (const TomlValue* v = Reader::find(root, "supervise"); v && r.expect_table(*v, "supervise"))
        read_supervise(r, *v, p.supervise);
    if (const TomlValue* v = Reader::find(root, "audit"); v && r.expect_table(*v, "audit"))
        read_audit(r, *v, p.audit);
    if (const TomlValue* v = Reader::find(root, "landlock"); v && r.expect_table(*v, "landlock"))
        read_landlock(r, *v, p.landlock);
}

void load_file(const std::string& path, const SourcePos& from, const std::string& description,
               Layering& acc) {
    std::error_code ec;
    std::string canonical = fs::weakly_canonical(path, ec).string();
    if (ec) canonical = path;
    auto seen = std::find(acc.stack.begin(), acc.stack.end(), canonical);
    if (seen != acc.stack.end()) {
        std::string chain;
        for (auto it = acc.stack_names.begin() + (seen - acc.stack.begin());
             it != acc.stack_names.end(); ++it)
            chain += *it + " -> ";
        acc.diags.add(from, "include cycle: " + chain + path);
        return;
    }
    auto root = parse_toml(path, from, description, acc.diags);
    if (!root) return;
    Reader r(path, acc.diags);
    if (root->as_table().empty()) {
        r.error(SourcePos{path, 1, 1},
                "empty profile: no settings (a profile must say something; see profiles/README.md)");
        return;
    }
    // [learned] holds the statistics `vigil learn` writes for later merges (src/learn reads it);
    // it never changes what is enforced.
    r.check_keys(*root, "", {"include", "complain", "process", "seccomp", "notify", "phases",
                             "supervise", "audit", "landlock", "learned"});
    acc.stack.push_back(canonical);
    acc.stack_names.push_back(path);
    if (const TomlValue* inc = Reader::find(*root, "include")) load_includes(r, *inc, acc);
    acc.stack.pop_back();
    acc.stack_names.pop_back();
    read_sections(r, *root, acc);
    acc.profile.files.push_back(path);
}

// After layering: every notified syscall has a policy, every policy a notified syscall.
void settle_notify(Layering& acc) {
    std::set<std::string> notified;
    for (const auto& [syscall, rules] : acc.rules)
        for (const auto& rule : rules)
            if (rule.action.kind == ActionKind::Notify) {
                notified.insert(syscall);
                if (!acc.notify.count(syscall))
                    acc.notify[syscall] = default_notify_policy(syscall, rule.where);
            }
    for (const auto& [syscall, policy] : acc.notify)
        if (!notified.count(syscall))
            acc.diags.add(policy.where, "[notify." + syscall + "]: '" + syscall +
                                            "' is not notified; add it to seccomp.notify or give "
                                            "it a rule with action = \"notify\"");
}

bool permissive(const Action& a) { return a.kind == ActionKind::Allow || a.kind == ActionKind::Log; }

// seccomp compares all 64 bits of an argument the kernel reads as 32 bits, so upper bits set
// by a caller could pass an allowing '!=' or dodge a denying '=='. Every rule is rewritten into
// alternatives that decide on what the kernel reads (the same rewrite import-oci shows in the
// TOML it writes); rules that cannot be affected come back unchanged.
void secure_32bit_conditions(Layering& acc) {
    bool default_permits = permissive(acc.profile.default_action);
    for (auto& [syscall, rules] : acc.rules) {
        std::vector<SyscallRule> secured;
        for (const auto& rule : rules) {
            // A call that dodges a denying rule lands on the default or, with deny wins, on a
            // looser rule for the same syscall: either way the denial must ignore upper bits.
            bool dodge_permits = default_permits;
            for (const auto& other : rules)
                dodge_permits |= is_stricter(rule.action, other.action);
            for (auto& when : expand_for_width(syscall, rule.conditions, permissive(rule.action),
                                               dodge_permits)) {
                SyscallRule r = rule;
                for (size_t i = 0; i < when.size(); ++i)
                    if (!(when[i] == rule.conditions[i]))
                        when[i].text += " (from '" + rule.conditions[i].text + "')";
                r.conditions = std::move(when);
                secured.push_back(std::move(r));
            }
        }
        rules = std::move(secured);
    }
}

// Without no_new_privs the kernel installs a filter only for a caller with CAP_SYS_ADMIN, and
// the app's capabilities are dropped before the filter is loaded.
void check_no_new_privs(Layering& acc) {
    const Profile& p = acc.profile;
    if (!p.has_seccomp || p.process.no_new_privs) return;
    const auto& caps = p.process.capabilities;
    if (std::find(caps.begin(), caps.end(), "SYS_ADMIN") != caps.end()) return;
    acc.diags.add(acc.no_new_privs_at,
                  "process.no_new_privs = false: the seccomp filter could then only be installed "
                  "with CAP_SYS_ADMIN, which the app does not keep; leave no_new_privs true");
}

std::vector<SyscallRule> flatten(const std::map<std::string, std::vector<SyscallRule>>& rules) {
    std::vector<std::pair<int, const std::vector<SyscallRule>*>> order;
    for (const auto& [syscall, list] : rules)
        order.emplace_back(syscall_number(syscall).value_or(-1), &list);
    std::sort(order.begin(), order.end(),
              [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<SyscallRule> out;
    for (const auto& [nr, list] : order) out.insert(out.end(), list->begin(), list->end());
    return out;
}

}  // namespace

Profile load_profile(const std::string& path) {
    Layering acc;
    load_file(path, SourcePos{path, 0, 0}, "profile", acc);
    settle_notify(acc);
    derive_peer_policies(acc.rules, acc.notify, acc.profile.default_action, acc.diags);
    check_io_uring(acc.rules, acc.notify, acc.profile.default_action, SourcePos{path, 0, 0}, acc.diags);
    secure_32bit_conditions(acc);
    check_no_new_privs(acc);
    if (!acc.diags.empty()) throw Error(acc.diags.text(), kExitVigilError);
    acc.profile.rules = flatten(acc.rules);
    acc.profile.notify = std::move(acc.notify);
    return acc.profile;
}

}  // namespace vigil
