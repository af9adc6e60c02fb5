// OCI/Docker seccomp JSON -> TOML profile text, and the `vigil import-oci` command.
#include <errno.h>

#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <map>
#include <optional>
#include <set>
#include <sstream>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/oci.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

using nlohmann::json;

namespace {

// Docker's default capability set: what a container gets without --cap-add (moby's
// oci/caps/defaults.go).
const std::set<std::string> kDockerCaps = {
    "CAP_CHOWN",  "CAP_DAC_OVERRIDE", "CAP_FSETID", "CAP_FOWNER",           "CAP_MKNOD",       "CAP_NET_RAW",
    "CAP_SETGID", "CAP_SETUID",       "CAP_SETFCAP", "CAP_SETPCAP",         "CAP_NET_BIND_SERVICE",
    "CAP_SYS_CHROOT", "CAP_KILL",     "CAP_AUDIT_WRITE"};
// podman's (containers.conf default_capabilities since podman 4.0): Docker's without MKNOD,
// NET_RAW and AUDIT_WRITE. test/integration/privilege_table.sh reads both off real containers.
const std::set<std::string> kPodmanCaps = {
    "CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_KILL", "CAP_NET_BIND_SERVICE",
    "CAP_SETFCAP", "CAP_SETGID", "CAP_SETPCAP", "CAP_SETUID", "CAP_SYS_CHROOT"};

std::vector<std::string> short_names(const std::set<std::string>& caps) {
    std::vector<std::string> out;
    for (const auto& c : caps) out.push_back(c.substr(4));
    if (out.empty()) out.push_back("(none)");
    return out;
}

// Names Docker's profiles (Go's GOARCH) and the OCI spec use for x86_64.
const std::set<std::string> kThisArch = {"amd64", "x86_64", "SCMP_ARCH_X86_64"};

struct ImportedRule {
    std::string action;  // profile syntax
    std::vector<ArgCondition> when;
};

// OBJ[KEY] as a whole number in 0..MAX, FALLBACK when absent. Floats, negative numbers and
// values above MAX are refused: converting them would be undefined behaviour or wrap silently.
uint64_t number_at(const json& obj, const char* key, uint64_t fallback, uint64_t max,
                   const std::string& where) {
    if (!obj.is_object() || !obj.contains(key)) return fallback;
    const json& v = obj.at(key);
    uint64_t n = 0;
    if (v.is_number_unsigned()) n = v.get<uint64_t>();
    else if (v.is_number_integer() && v.get<int64_t>() >= 0) n = static_cast<uint64_t>(v.get<int64_t>());
    else throw Error(where + ": \"" + key + "\" must be a whole number 0.." + std::to_string(max) + ", not " + v.dump());
    if (n > max) throw Error(where + ": \"" + key + "\" " + std::to_string(n) + " is above " + std::to_string(max));
    return n;
}

std::string errno_text(int e) {
    auto name = errno_name(e);
    if (!name) throw Error("errnoRet " + std::to_string(e) + " is not an errno value");
    return *name;
}

std::string profile_action(const json& e, const std::string& action, const std::string& where) {
    if (action == "SCMP_ACT_ALLOW") return "allow";
    if (action == "SCMP_ACT_ERRNO")
        return "errno:" + errno_text(static_cast<int>(number_at(e, "errnoRet", EPERM, 4095, where)));
    if (action == "SCMP_ACT_KILL_PROCESS") return "kill-process";
    if (action == "SCMP_ACT_KILL" || action == "SCMP_ACT_KILL_THREAD") return "kill-thread";
    if (action == "SCMP_ACT_TRAP") return "trap";
    if (action == "SCMP_ACT_LOG") return "log";
    if (action == "SCMP_ACT_NOTIFY") return "notify";
    // Without a tracer attached the kernel fails a traced syscall with ENOSYS.
    if (action == "SCMP_ACT_TRACE") return "errno:ENOSYS";
    throw Error(where + ": unknown action '" + action + "'");
}

ArgCondition condition(const json& a, const std::string& where) {
    static const std::map<std::string, CmpOp> ops = {
        {"SCMP_CMP_NE", CmpOp::Ne}, {"SCMP_CMP_LT", CmpOp::Lt}, {"SCMP_CMP_LE", CmpOp::Le},
        {"SCMP_CMP_EQ", CmpOp::Eq}, {"SCMP_CMP_GE", CmpOp::Ge}, {"SCMP_CMP_GT", CmpOp::Gt},
        {"SCMP_CMP_MASKED_EQ", CmpOp::MaskedEq}};
    ArgCondition c;
    if (!a.is_object() || !a.contains("index")) throw Error(where + ": an argument test needs \"index\"");
    c.index = static_cast<unsigned>(number_at(a, "index", 0, 5, where));
    std::string op = a.at("op").get<std::string>();
    auto it = ops.find(op);
    if (it == ops.end()) throw Error(where + ": unknown comparison '" + op + "'");
    c.op = it->second;
    uint64_t value = number_at(a, "value", 0, UINT64_MAX, where);
    uint64_t two = number_at(a, "valueTwo", 0, UINT64_MAX, where);
    // As libseccomp and runc read them: for SCMP_CMP_MASKED_EQ "value" is the mask.
    c.mask = c.op == CmpOp::MaskedEq ? value : 0;
    c.value = c.op == CmpOp::MaskedEq ? two : value;
    // The same tests vigil's loader refuses in a profile (it would refuse the TOML written).
    if (c.op == CmpOp::MaskedEq && c.mask == 0)
        throw Error(where + ": SCMP_CMP_MASKED_EQ with mask 0 tests nothing");
    if (c.op == CmpOp::MaskedEq && (c.value & ~c.mask) != 0)
        throw Error(where + ": SCMP_CMP_MASKED_EQ value has bits outside its mask: the test can never hold");
    c.text = condition_str(c);
    return c;
}

bool any_in(const json& list, const std::set<std::string>& set) {
    return std::any_of(list.begin(), list.end(), [&](const json& v) { return set.count(v.get<std::string>()); });
}

bool all_in(const json& list, const std::set<std::string>& set) {
    return std::all_of(list.begin(), list.end(), [&](const json& v) { return set.count(v.get<std::string>()); });
}

// Why an entry does not apply to x86_64 with CAPS ("" if it does).
std::string excluded_because(const json& e, const RuntimeCaps& caps) {
    json inc = e.value("includes", json::object()), exc = e.value("excludes", json::object());
    if (inc.is_null()) inc = json::object();
    if (exc.is_null()) exc = json::object();
    if (inc.contains("arches") && !inc["arches"].empty() && !any_in(inc["arches"], kThisArch))
        return "other architectures";
    if (exc.contains("arches") && any_in(exc["arches"], kThisArch)) return "excluded on x86_64";
    if (inc.contains("caps") && !all_in(inc["caps"], caps.caps))
        return "needs " + inc["caps"].dump() + " beyond " + caps.label;
    if (exc.contains("caps") && any_in(exc["caps"], caps.caps)) return "excluded with " + exc["caps"].dump();
    return "";
}

// runc's reading of args: each argument compared at most once per rule; when one index
// appears twice, every comparison becomes a rule of its own (ORed).
std::vector<std::vector<ArgCondition>> rule_conditions(const json& e, const std::string& where) {
    std::vector<ArgCondition> all;
    for (const auto& a : e.value("args", json::array())) all.push_back(condition(a, where));
    std::set<unsigned> indexes;
    for (const auto& c : all) indexes.insert(c.index);
    if (indexes.size() == all.size()) return {all};
    std::vector<std::vector<ArgCondition>> split;
    for (const auto& c : all) split.push_back({c});
    return split;
}

bool permissive(const std::string& action) { return action == "allow" || action == "log"; }

// Text from the input as it may appear in a TOML comment: printable ASCII only, anything else
// (a newline would end the comment and let the input write TOML; toml11 refuses other control
// characters and invalid UTF-8) as \xNN. Found by fuzz_oci.
std::string comment_text(const std::string& s) {
    static const char hex[] = "0123456789abcdef";
    std::string out;
    for (unsigned char c : s) {
        if (c >= 0x20 && c < 0x7f) {
            out += static_cast<char>(c);
        } else {
            out += "\\x";
            out += hex[c >> 4];
            out += hex[c & 15];
        }
    }
    return out;
}

// "LEAD name name ..." as comment lines of at most about 100 characters.
void wrap_names(std::vector<std::string>& lines, const std::string& lead, const std::vector<std::string>& raw) {
    std::string line = lead;
    for (const auto& n : raw) {
        std::string name = comment_text(n);
        if (line.size() + name.size() > 94) lines.push_back(line), line = "  ";
        line += name + " ";
    }
    while (!line.empty() && line.back() == ' ') line.pop_back();
    lines.push_back(line);
}

struct Imported {
    std::string default_action;
    std::map<std::string, std::vector<ImportedRule>> rules;  // syscall -> rules, in file order
    std::vector<std::string> order;                         // syscalls in first-seen order
    std::map<std::string, std::vector<std::string>> dropped;  // reason -> names
    std::vector<std::string> rewritten;  // syscalls whose tests were made 32-bit safe
};

void import_entry(const json& e, size_t i, const RuntimeCaps& caps, Imported& out) {
    const std::string where = "syscalls[" + std::to_string(i) + "]";
    std::vector<std::string> names;
    if (e.contains("names")) names = e["names"].get<std::vector<std::string>>();
    if (e.contains("name")) names.push_back(e["name"].get<std::string>());
    std::string reason = excluded_because(e, caps);
    if (!reason.empty()) {
        for (const auto& n : names) out.dropped[reason].push_back(n);
        return;
    }
    std::string action = profile_action(e, e.at("action").get<std::string>(), where);
    auto conds = rule_conditions(e, where);
    for (const auto& n : names) {
        if (!syscall_number(n)) {
            out.dropped["not x86_64 system calls"].push_back(n);
            continue;
        }
        if (!out.rules.count(n)) out.order.push_back(n);
        for (const auto& c : conds) {
            auto alternatives = expand_for_width(n, c, permissive(action), permissive(out.default_action));
            if (alternatives.size() != 1 || alternatives[0].size() != c.size() ||
                !std::equal(c.begin(), c.end(), alternatives[0].begin()))
                out.rewritten.push_back(n);
            for (auto& when : alternatives) out.rules[n].push_back({action, std::move(when)});
        }
    }
}

// libseccomp (and so runc) lets an unconditional rule supersede every conditional rule for
// the same syscall, whatever the order; the profile language says one or the other.
void apply_unconditional_precedence(Imported& in) {
    for (auto& [name, rules] : in.rules) {
        auto first = std::find_if(rules.begin(), rules.end(), [](const ImportedRule& r) { return r.when.empty(); });
        if (first == rules.end() || rules.size() == 1) continue;
        ImportedRule kept = *first;
        bool conditional = std::any_of(rules.begin(), rules.end(), [](const ImportedRule& r) { return !r.when.empty(); });
        bool other_action = std::any_of(rules.begin(), rules.end(), [&](const ImportedRule& r) { return r.action != kept.action; });
        if (conditional) in.dropped["conditional entries superseded by an unconditional one"].push_back(name);
        else if (other_action) in.dropped["later unconditional entries with another action"].push_back(name);
        rules = {kept};
    }
}

// The imported profile, laid out by the one profile writer (shared with `vigil learn`).
std::string render(const Imported& in, const std::string& source, const RuntimeCaps& caps) {
    ProfileDraft d;
    d.header = {"Imported by `vigil import-oci` from " + comment_text(source)};
    wrap_names(d.header, "for x86_64 with " + caps.label + ": ", short_names(caps.caps));
    d.header.push_back("i386 and x32 calls are killed, as in every vigil profile.");
    for (const auto& [reason, names] : in.dropped) wrap_names(d.header, "Dropped (" + reason + "): ", names);
    if (!in.rewritten.empty())
        wrap_names(d.header, "Rewritten (tests on 32-bit arguments made to decide on the low 32 bits): ",
                   in.rewritten);
    d.default_action = in.default_action;
    for (const auto& name : in.order) {
        const auto& rs = in.rules.at(name);
        if (rs.size() == 1 && rs[0].when.empty()) {
            const auto& a = rs[0].action;
            if (a == "allow") d.allow.push_back({name, ""});
            else if (a == "notify") d.notify.push_back({name, ""});
            else d.deny.push_back({name, a, ""});
            continue;
        }
        for (const auto& r : rs) d.rules.push_back({name, r.action, r.when, ""});
    }
    return write_profile_text(d);
}

}  // namespace

namespace {

// Where nesting first goes deeper than max_json_depth, as (line, column), or nullopt. Brackets
// inside strings do not count. The parser would cope, but code walking a parsed tree (and
// printing parts of it in messages) recurses once per level.
std::optional<std::pair<int, int>> too_deep_json(const std::string& text) {
    int depth = 0, line = 1, column = 0;
    bool in_string = false;
    for (size_t i = 0; i < text.size(); ++i) {
        char c = text[i];
        ++column;
        if (c == '\n') {
            ++line;
            column = 0;
        }
        if (in_string) {
            if (c == '\\') {
                ++i, ++column;  // an escaped character, never a quote that ends the string
            } else if (c == '"') {
                in_string = false;
            }
            continue;
        }
        if (c == '"') in_string = true;
        else if (c == '[' || c == '{') {
            if (++depth > max_json_depth) return std::pair{line, column};
        } else if ((c == ']' || c == '}') && depth > 0) {
            --depth;
        }
    }
    return std::nullopt;
}

}  // namespace

json parse_oci_json(const std::string& text, const std::string& source) {
    if (auto deep = too_deep_json(text))
        throw Error("import-oci: " + source + ":" + std::to_string(deep->first) + ":" +
                    std::to_string(deep->second) + ": JSON nesting deeper than " +
                    std::to_string(max_json_depth) + " levels; no seccomp profile needs that many");
    json oci = json::parse(text, nullptr, false);
    if (oci.is_discarded()) throw Error("import-oci: " + source + ": not valid JSON");
    return oci;
}

RuntimeCaps parse_runtime_caps(const std::string& list) {
    RuntimeCaps out;
    std::vector<std::string> parts;
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        parts.push_back(list.substr(start, end - start));
        start = end + 1;
    }
    std::vector<std::string> labels;
    for (const auto& p : parts) {
        if (p == "docker") {
            out.caps.insert(kDockerCaps.begin(), kDockerCaps.end());
            labels.push_back("Docker's default capabilities");
        } else if (p == "podman") {
            out.caps.insert(kPodmanCaps.begin(), kPodmanCaps.end());
            labels.push_back("podman's default capabilities");
        } else if (p == "none" && parts.size() == 1) {
            labels.push_back("no capabilities");
        } else if (auto name = capability_name(p)) {
            out.caps.insert("CAP_" + *name);
            labels.push_back("CAP_" + *name);
        } else {
            std::vector<std::string> choices = {"docker", "podman", "none"};
            for (const auto& c : capability_names()) choices.push_back(c);
            throw Error("--caps: '" + p + "' is not a capability or a set (docker, podman, none)" +
                        did_you_mean(p.starts_with("CAP_") || p.starts_with("cap_") ? p.substr(4) : p, choices));
        }
    }
    std::string label;
    for (size_t i = 0; i < labels.size(); ++i) label += (i == 0 ? "" : i + 1 == labels.size() ? " and " : ", ") + labels[i];
    out.label = label;
    return out;
}

std::string oci_to_toml(const json& oci, const std::string& source, const RuntimeCaps& caps) {
    if (!oci.is_object()) throw Error(source + ": not an OCI seccomp object");
    Imported in;
    try {
        in.default_action = profile_action(oci, oci.at("defaultAction").get<std::string>(), "defaultAction");
        if (oci.contains("defaultErrnoRet") && oci.at("defaultAction") == "SCMP_ACT_ERRNO")
            in.default_action = "errno:" + errno_text(static_cast<int>(number_at(oci, "defaultErrnoRet", EPERM, 4095, "defaultErrnoRet")));
        const json& syscalls = oci.contains("syscalls") && !oci["syscalls"].is_null() ? oci["syscalls"] : json::array();
        for (size_t i = 0; i < syscalls.size(); ++i) import_entry(syscalls[i], i, caps, in);
        apply_unconditional_precedence(in);
    } catch (const json::exception& e) {
        throw Error(source + ": " + e.what());
    } catch (const Error& e) {
        throw Error(source + ": " + e.what());
    }
    for (const char* ignored : {"listenerPath", "listenerMetadata", "flags"})
        if (oci.contains(ignored)) in.dropped["settings vigil does not use"].push_back(ignored);
    return render(in, source, caps);
}

namespace {

const char* kUsage =
    "usage: vigil import-oci FILE.json [--caps LIST] [-o OUT.toml]\n"
    "Turns an OCI/Docker seccomp profile (e.g. Docker's default.json) into a vigil TOML profile\n"
    "for x86_64 and the capabilities the container runs with. Entries for other architectures\n"
    "or capabilities are dropped and listed in a comment at the top of the output.\n"
    "  --caps LIST  docker (default: Docker's 14), podman (podman's 11), none, or a comma list\n"
    "               of capability names and sets, e.g. podman,NET_RAW or CHOWN,SYS_PTRACE\n";

int import_oci_main(const std::vector<std::string>& args) {
    std::string input, output = "-", caps = "docker";
    for (size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "-o" && i + 1 < args.size()) output = args[++i];
        else if (args[i] == "--caps" && i + 1 < args.size()) caps = args[++i];
        else if (args[i].starts_with("--caps=")) caps = args[i].substr(7);
        else if (!args[i].empty() && args[i][0] == '-' && args[i] != "-")
            throw Error("import-oci: unknown option '" + args[i] + "'\n" + kUsage);
        else if (input.empty()) input = args[i];
        else throw Error("import-oci: one input file expected\n" + std::string(kUsage));
    }
    if (input.empty()) throw Error(std::string("import-oci: missing FILE.json\n") + kUsage);
    std::ifstream in(input, std::ios::binary);
    if (!in) throw Error("import-oci: cannot read " + input + ": " + std::strerror(errno));
    std::ostringstream text;
    text << in.rdbuf();
    if (in.bad()) throw Error("import-oci: cannot read " + input + ": " + std::strerror(errno));
    RuntimeCaps runtime_caps = parse_runtime_caps(caps);
    std::string toml = oci_to_toml(parse_oci_json(text.str(), input), input, runtime_caps);
    if (output == "-") {
        std::fwrite(toml.data(), 1, toml.size(), stdout);
        return 0;
    }
    std::ofstream out(output, std::ios::trunc);
    if (!(out << toml) || !out.flush()) throw Error("import-oci: cannot write " + output + ": " + std::strerror(errno));
    return 0;
}

const RegisterCommand reg{{"import-oci", "turn an OCI/Docker seccomp JSON into a TOML profile", kUsage,
                           &import_oci_main}};

}  // namespace

}  // namespace vigil
