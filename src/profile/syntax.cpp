// Actions, argument conditions and capability names as written in profiles, and their printed
// forms.
#include <cap-ng.h>
#include <linux/capability.h>

#include <algorithm>
#include <cctype>
#include <cstdio>

#include "vigil/text.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

const std::vector<std::string>& capability_names() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> out;
        for (unsigned c = 0; c <= CAP_LAST_CAP; ++c)
            if (const char* n = capng_capability_to_name(c)) {
                std::string u(n);
                for (char& ch : u) ch = static_cast<char>(std::toupper(static_cast<unsigned char>(ch)));
                out.push_back(u);
            }
        return out;
    }();
    return names;
}

std::optional<std::string> capability_name(std::string_view written) {
    std::string name(written);
    for (char& c : name) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
    if (name.starts_with("CAP_")) name = name.substr(4);
    const auto& known = capability_names();
    if (std::find(known.begin(), known.end(), name) != known.end()) return name;
    return std::nullopt;
}

std::string SourcePos::str() const {
    if (line == 0) return file;
    return file + ":" + std::to_string(line) + ":" + std::to_string(column);
}

std::string Action::str() const {
    switch (kind) {
        case ActionKind::Allow: return "allow";
        case ActionKind::Errno: {
            auto name = errno_name(errno_value);
            return "errno:" + (name ? *name : std::to_string(errno_value));
        }
        case ActionKind::KillProcess: return "kill-process";
        case ActionKind::KillThread: return "kill-thread";
        case ActionKind::Trap: return "trap";
        case ActionKind::Log: return "log";
        case ActionKind::Notify: return "notify";
    }
    return "?";
}

namespace {
// The kernel's order for stacked filters, strictest first; among errno actions the smaller
// value wins (the kernel compares SECCOMP_RET_ERRNO|errno as numbers).
int action_rank(ActionKind k) {
    switch (k) {
        case ActionKind::KillProcess: return 0;
        case ActionKind::KillThread: return 1;
        case ActionKind::Trap: return 2;
        case ActionKind::Errno: return 3;
        case ActionKind::Notify: return 4;
        case ActionKind::Log: return 5;
        case ActionKind::Allow: return 6;
    }
    return 6;
}
}  // namespace

bool is_stricter(const Action& a, const Action& b) {
    int ra = action_rank(a.kind), rb = action_rank(b.kind);
    if (ra != rb) return ra < rb;
    return a.kind == ActionKind::Errno && a.errno_value < b.errno_value;
}

namespace {

const std::vector<std::string>& action_words() {
    static const std::vector<std::string> words = {
        "allow", "errno:EPERM", "kill-process", "kill", "kill-thread", "trap", "log", "notify"};
    return words;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.front()))) s.remove_prefix(1);
    while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.remove_suffix(1);
    return s;
}

std::optional<uint64_t> parse_term(std::string_view term, std::string& error) {
    if (term.empty()) {
        error = "missing value";
        return std::nullopt;
    }
    if (std::isdigit(static_cast<unsigned char>(term[0]))) {
        auto n = text::parse_c_number(term);
        if (!n) error = "'" + std::string(term) + "' is not a number that fits in 64 bits";
        return n;
    }
    auto c = constant(term);
    if (!c) error = "unknown constant '" + std::string(term) + "'" +
                    did_you_mean(term, all_constant_names());
    return c;
}

struct OpWord {
    const char* text;
    CmpOp op;
};
// Two-character operators first so that "<=" is not read as "<".
const OpWord kOps[] = {{"==", CmpOp::Eq}, {"!=", CmpOp::Ne}, {"<=", CmpOp::Le},
                       {">=", CmpOp::Ge}, {"<", CmpOp::Lt},  {">", CmpOp::Gt}};

std::optional<std::pair<CmpOp, size_t>> match_op(std::string_view s) {
    for (const auto& o : kOps)
        if (s.starts_with(o.text)) return std::make_pair(o.op, std::string_view(o.text).size());
    return std::nullopt;
}

const char* op_text(CmpOp op) {
    for (const auto& o : kOps)
        if (o.op == op) return o.text;
    return "==";
}

}  // namespace

std::optional<Action> parse_action(std::string_view text, std::string& error) {
    if (text == "allow") return Action{ActionKind::Allow, 0};
    if (text == "kill-process" || text == "kill") return Action{ActionKind::KillProcess, 0};
    if (text == "kill-thread") return Action{ActionKind::KillThread, 0};
    if (text == "trap") return Action{ActionKind::Trap, 0};
    if (text == "log") return Action{ActionKind::Log, 0};
    if (text == "notify") return Action{ActionKind::Notify, 0};
    if (text.starts_with("errno:")) {
        std::string_view name = text.substr(6);
        if (auto e = errno_number(name)) return Action{ActionKind::Errno, *e};
        error = "unknown errno '" + std::string(name) + "' in action '" + std::string(text) + "'" +
                did_you_mean(name, all_errno_names());
        return std::nullopt;
    }
    error = "unknown action '" + std::string(text) + "'" + did_you_mean(text, action_words()) +
            " (actions: allow, errno:NAME, kill-process, kill-thread, trap, log, notify)";
    return std::nullopt;
}

std::optional<uint64_t> parse_value(std::string_view text, std::string& error) {
    uint64_t value = 0;
    size_t start = 0;
    while (true) {
        size_t bar = text.find('|', start);
        std::string_view term = trim(text.substr(start, bar == std::string_view::npos
                                                            ? std::string_view::npos
                                                            : bar - start));
        auto v = parse_term(term, error);
        if (!v) return std::nullopt;
        value |= *v;
        if (bar == std::string_view::npos) return value;
        start = bar + 1;
    }
}

std::optional<ArgCondition> parse_condition(std::string_view text, std::string& error) {
    ArgCondition c;
    c.text = std::string(text);
    std::string_view s = trim(text);
    if (!s.starts_with("arg") || s.size() < 4 || !std::isdigit(static_cast<unsigned char>(s[3]))) {
        error = "a condition starts with argN (N in 0..5), e.g. 'arg0 == AF_INET'";
        return std::nullopt;
    }
    size_t i = 3;
    unsigned index = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])) && index < 100)
        index = index * 10 + (s[i++] - '0');
    if (index > 5) {
        error = "argument index " + std::to_string(index) + " out of range (arg0..arg5)";
        return std::nullopt;
    }
    c.index = index;
    std::string_view rest = trim(s.substr(i));
    if (rest.starts_with('&') && !rest.starts_with("&&")) {
        rest = trim(rest.substr(1));
        size_t eq = rest.find("==");
        if (eq == std::string_view::npos) {
            error = "a masked condition reads 'argN & MASK == VALUE' (only '==' is supported)";
            return std::nullopt;
        }
        auto mask = parse_value(trim(rest.substr(0, eq)), error);
        if (!mask) return std::nullopt;
        auto value = parse_value(trim(rest.substr(eq + 2)), error);
        if (!value) return std::nullopt;
        if (*mask == 0) {
            error = "mask is 0: the condition would not test anything";
            return std::nullopt;
        }
        if ((*value & ~*mask) != 0) {
            error = "value has bits outside the mask: the condition could never hold";
            return std::nullopt;
        }
        c.op = CmpOp::MaskedEq;
        c.mask = *mask;
        c.value = *value;
        return c;
    }
    auto op = match_op(rest);
    if (!op) {
        error = "expected an operator (==, !=, <, <=, >, >=, or '& MASK ==') after arg" +
                std::to_string(index);
        return std::nullopt;
    }
    c.op = op->first;
    std::string_view value_text = trim(rest.substr(op->second));
    if (value_text.starts_with('=') || value_text.starts_with('<') ||
        value_text.starts_with('>')) {
        error = "unknown operator in '" + std::string(rest.substr(0, op->second + 1)) + "'";
        return std::nullopt;
    }
    auto value = parse_value(value_text, error);
    if (!value) return std::nullopt;
    c.value = *value;
    return c;
}

std::string condition_str(const ArgCondition& c) {
    char buf[96];
    if (c.op == CmpOp::MaskedEq)
        std::snprintf(buf, sizeof buf, "arg%u & 0x%llx == 0x%llx", c.index,
                      static_cast<unsigned long long>(c.mask),
                      static_cast<unsigned long long>(c.value));
    else
        std::snprintf(buf, sizeof buf, "arg%u %s 0x%llx", c.index, op_text(c.op),
                      static_cast<unsigned long long>(c.value));
    return buf;
}

}  // namespace vigil
