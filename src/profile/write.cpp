// The one profile writer (see ProfileDraft): `vigil learn` and `vigil import-oci` describe the
// profile they want and this lays it out, so both write the same language the same way.
#include <sstream>

#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"
#include "vigil/text.hpp"

namespace vigil {

namespace {

const char* op_word(CmpOp op) {
    switch (op) {
        case CmpOp::Eq: return "==";
        case CmpOp::Ne: return "!=";
        case CmpOp::Lt: return "<";
        case CmpOp::Le: return "<=";
        case CmpOp::Gt: return ">";
        case CmpOp::Ge: return ">=";
        case CmpOp::MaskedEq: return "==";
    }
    return "==";
}

void comment_after(std::ostringstream& out, const std::string& comment) {
    if (!comment.empty()) out << "  # " << text::toml_comment(comment);
    out << "\n";
}

void name_list(std::ostringstream& out, const char* key, const std::vector<ProfileDraft::Named>& names) {
    out << key << " = [";
    if (names.empty()) {
        out << "]\n";
        return;
    }
    out << "\n";
    for (const auto& n : names) {
        out << "    " << text::toml_string(n.name) << ",";
        comment_after(out, n.comment);
    }
    out << "]\n";
}

}  // namespace

std::string condition_text(std::string_view syscall, const ArgCondition& c) {
    // Names only where they say what the test means: equality and masks. An order test on a
    // flag word ("arg0 < CLONE_NEWNS") would read as something it is not.
    bool named = c.op == CmpOp::Eq || c.op == CmpOp::Ne || c.op == CmpOp::MaskedEq;
    auto value = [&](uint64_t v) { return named ? symbolic_value(syscall, c.index, v) : text::hex(v); };
    std::string out = "arg" + std::to_string(c.index) + " ";
    if (c.op == CmpOp::MaskedEq) {
        // A mask is a set of bits: named when each bit has a name of the role (clone flags),
        // else hex (0xf on a socket type is a field, not SOCK_* bits).
        auto nr = syscall_number(syscall);
        bool flags = nr && c.index < 6 && arg_roles(*nr)[c.index] == ArgRole::CloneFlags;
        out += "& " + (flags ? symbolic_value(syscall, c.index, c.mask) : text::hex(c.mask)) + " ";
        // Zero under a mask reads best as 0.
        return out + "== " + (c.value == 0 ? std::string("0") : value(c.value));
    }
    return out + op_word(c.op) + " " + value(c.value);
}

std::string write_profile_text(const ProfileDraft& d) {
    std::ostringstream out;
    for (const auto& line : d.header) out << "#" << (line.empty() ? "" : " " + text::toml_comment(line)) << "\n";
    if (!d.include.empty()) {
        out << "include = [";
        for (size_t i = 0; i < d.include.size(); ++i) out << (i ? ", " : "") << text::toml_string(d.include[i]);
        out << "]\n";
    }
    out << "\n[seccomp]\n";
    out << "default = " << text::toml_string(d.default_action) << "\n";
    name_list(out, "allow", d.allow);
    if (!d.notify.empty()) {
        if (!d.notify_note.empty()) out << "# " << text::toml_comment(d.notify_note) << "\n";
        name_list(out, "notify", d.notify);
    }
    if (!d.deny.empty()) {
        out << "\n[seccomp.deny]\n";
        for (const auto& x : d.deny) {
            out << text::toml_key(x.syscall) << " = " << text::toml_string(x.action);
            comment_after(out, x.comment);
        }
    }
    for (const auto& r : d.rules) {
        out << "\n[[seccomp.rule]]";
        comment_after(out, r.comment);
        out << "syscall = " << text::toml_string(r.syscall) << "\n";
        out << "action = " << text::toml_string(r.action) << "\n";
        out << "when = [";
        for (size_t i = 0; i < r.when.size(); ++i)
            out << (i ? ", " : "") << text::toml_string(condition_text(r.syscall, r.when[i]));
        out << "]\n";
    }
    for (const auto& p : d.policies) {
        out << "\n[notify." << text::toml_key(p.syscall) << "]";
        comment_after(out, p.comment);
        for (const auto& [key, action] : p.actions) out << text::toml_key(key) << " = " << text::toml_string(action) << "\n";
        for (const auto& note : p.notes) out << "# " << text::toml_comment(note) << "\n";
        if (!p.allow.empty()) name_list(out, "allow", p.allow);
    }
    out << d.tail;
    return out.str();
}

}  // namespace vigil
