// `vigil compile` and `vigil explain`.
#include <errno.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <optional>

#include "internal.hpp"
#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/oci.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"
#include "vigil/text.hpp"

namespace vigil {

using namespace filter_detail;

namespace {

const char* kCompileUsage =
    "usage: vigil compile PROFILE [--format pfc|bpf|oci|spo] [--complain] [-o OUT]\n"
    "                     [--name NAME] [--spo-version v1|v1beta1]\n"
    "Exports the seccomp filter of PROFILE:\n"
    "  pfc  libseccomp pseudo-code (default), with vigil's ENOSYS prefix as a comment\n"
    "  bpf  the raw BPF program vigil loads (struct sock_filter array)\n"
    "  oci  OCI/Docker seccomp JSON (docker --security-opt seccomp=FILE, podman, Kubernetes);\n"
    "       notified syscalls get their fallback action, complain mode becomes SCMP_ACT_LOG;\n"
    "       as a kubelet Localhost profile: /var/lib/kubelet/seccomp/NAME.json on each node\n"
    "  spo  a Security Profiles Operator SeccompProfile (YAML) with the oci rules; --name\n"
    "       (default: the profile's file name), --spo-version v1 (default) or v1beta1\n"
    "--complain compiles complain mode (denials become notify); -o - or no -o: stdout.\n";

const char* kExplainUsage =
    "usage: vigil explain PROFILE SYSCALL [ARG...] [--json]\n"
    "Prints the action PROFILE's filter takes for one x86_64 call and the rule that decides it.\n"
    "SYSCALL is a name or number; each ARG a number (decimal, 0x hex, 0 octal) or constants\n"
    "joined with '|' (AF_INET, CLONE_NEWUSER|CLONE_NEWNS, ...). Missing arguments are 0.\n"
    "--json: one JSON object: syscall (null for a number that is no x86_64 syscall), nr, args\n"
    "(hex strings), action, and rule {where, syscall, action, when[]} plus overridden[] when a\n"
    "rule decides, else reason.\n";

void write_output(const std::string& path, const std::string& data) {
    if (path == "-") {
        if (std::fwrite(data.data(), 1, data.size(), stdout) != data.size() || std::fflush(stdout) != 0)
            throw_errno("writing to stdout");
        return;
    }
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    if (!(out << data) || !out.flush()) throw Error("cannot write " + path + ": " + std::strerror(errno));
}

struct CompileArgs {
    std::string profile, format = "pfc", output = "-", name, spo_version;
    bool complain = false;
};

CompileArgs parse_compile(const std::vector<std::string>& args) {
    CompileArgs c;
    for (size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        bool has_value = i + 1 < args.size();
        if (a == "--format" && has_value) c.format = args[++i];
        else if (a.rfind("--format=", 0) == 0) c.format = a.substr(9);
        else if (a == "-o" && has_value) c.output = args[++i];
        else if (a == "--complain") c.complain = true;
        else if (a == "--name" && has_value) c.name = args[++i];
        else if (a == "--spo-version" && has_value) c.spo_version = args[++i];
        else if (!a.empty() && a[0] == '-') throw Error("compile: unknown option '" + a + "'\n" + kCompileUsage);
        else if (c.profile.empty()) c.profile = a;
        else throw Error("compile: one PROFILE expected, got '" + a + "' too\n" + kCompileUsage);
    }
    if (c.profile.empty()) throw Error(std::string("compile: missing PROFILE\n") + kCompileUsage);
    if (c.format != "pfc" && c.format != "bpf" && c.format != "oci" && c.format != "spo")
        throw Error("compile: unknown format '" + c.format + "' (expected pfc, bpf, oci or spo)");
    if (c.format != "spo" && (!c.name.empty() || !c.spo_version.empty()))
        throw Error("compile: --name and --spo-version go with --format spo");
    if (c.spo_version.empty()) c.spo_version = "v1";
    if (c.spo_version != "v1" && c.spo_version != "v1beta1")
        throw Error("compile: --spo-version '" + c.spo_version + "': expected v1 or v1beta1");
    return c;
}

int compile_main(const std::vector<std::string>& args) {
    CompileArgs c = parse_compile(args);
    Profile profile = load_profile(c.profile);
    if (c.complain) profile.complain = true;
    if (!profile.has_seccomp) throw Error("compile: " + c.profile + " has no [seccomp] section: nothing to compile");
    FilterOptions options{.complain = c.complain, .listener = true};
    if (c.format == "oci") {
        write_output(c.output, profile_to_oci(profile).dump(2) + "\n");
    } else if (c.format == "spo") {
        std::string name = c.name.empty() ? spo_default_name(c.profile) : c.name;
        write_output(c.output, "# Written by `vigil compile --format spo`: the kernel-enforced part of the profile\n"
                               "# (no vigil supervisor here: notified syscalls run their fallback action).\n---\n" +
                                   to_yaml(profile_to_spo(profile, name, c.spo_version)));
    } else if (c.format == "bpf") {
        BpfProgram prog = compile_filter(profile, options);
        write_output(c.output, std::string(reinterpret_cast<const char*>(prog.insns.data()),
                                           prog.insns.size() * sizeof(sock_filter)));
    } else {
        Context ctx = build_context(profile, options);
        write_output(c.output, export_pfc_text(ctx.get(), action_value(effective_default(profile, options)),
                                               highest_known_syscall(profile),
                                               precedence_pfc(profile, options)));
    }
    return 0;
}

uint64_t parse_arg(const std::string& text) {
    std::string error;
    auto value = parse_value(text, error);
    if (!value) throw Error("explain: argument '" + text + "': " + error);
    return *value;
}

int syscall_from_text(const std::string& text) {
    int nr = syscall_nr(text);
    if (nr >= 0) return nr;
    char* end = nullptr;
    long v = std::strtol(text.c_str(), &end, 0);
    if (!text.empty() && *end == '\0' && v >= 0 && v <= 0x7fffffff) return static_cast<int>(v);
    throw Error("explain: '" + text + "' is not an x86_64 system call" + did_you_mean(text, all_syscall_names()));
}

// One rule as explain reports it.
nlohmann::json rule_json(const SyscallRule& r) {
    nlohmann::json when = nlohmann::json::array();
    for (const auto& c : r.conditions) when.push_back(c.text);
    return {{"where", r.where.str()}, {"syscall", r.syscall}, {"action", r.action.str()}, {"when", when}};
}

std::string rule_text(const nlohmann::json& r) {
    std::string out = r["where"].get<std::string>() + ": " + r["syscall"].get<std::string>() + " = " +
                      r["action"].get<std::string>();
    bool first = true;
    for (const auto& c : r["when"]) {
        out += (first ? " when " : " and ") + c.get<std::string>();
        first = false;
    }
    return out;
}

int explain_main(const std::vector<std::string>& in_args) {
    std::vector<std::string> args;
    bool as_json = false;
    for (const auto& a : in_args) {
        if (a == "--json") as_json = true;
        else args.push_back(a);
    }
    if (args.size() < 2) throw Error(std::string("explain: PROFILE and SYSCALL expected\n") + kExplainUsage);
    if (args.size() > 8) throw Error("explain: at most 6 arguments");
    Profile profile = load_profile(args[0]);
    int nr = syscall_from_text(args[1]);
    uint64_t call_args[6] = {};
    for (size_t i = 2; i < args.size(); ++i) call_args[i - 2] = parse_arg(args[i]);

    std::string name = syscall_name(nr).value_or("");
    nlohmann::json out = {{"syscall", name.empty() ? nlohmann::json(nullptr) : nlohmann::json(name)}, {"nr", nr}};
    nlohmann::json given = nlohmann::json::array();
    for (size_t i = 2; i < args.size(); ++i) given.push_back(text::hex(call_args[i - 2]));
    out["args"] = given;
    if (!profile.has_seccomp) {
        out["action"] = "allow";
        out["reason"] = args[0] + " has no [seccomp] section (no filter)";
    } else {
        Verdict v = evaluate(profile, nr, call_args);
        out["action"] = v.action.str();
        uint32_t max_known = highest_known_syscall(profile);
        if (v.rule) {
            out["rule"] = rule_json(*v.rule);
            nlohmann::json overridden = nlohmann::json::array();
            for (const auto& other : profile.rules)
                if (&other != v.rule && other.syscall == name && !(other.action == v.action) &&
                    rule_matches(other, call_args))
                    overridden.push_back(rule_json(other));
            if (!overridden.empty()) out["overridden"] = overridden;
        } else if (static_cast<uint32_t>(nr) >= kX32Bit) {
            out["reason"] = "x32 system call numbers are killed (bad architecture)";
        } else if (static_cast<uint32_t>(nr) > max_known) {
            out["reason"] = "newer than vigil's syscall tables (highest known: " + std::to_string(max_known) + "): ENOSYS";
        } else if (name == "clone3" && clone3_gets_enosys(profile)) {
            out["reason"] = "the profile does not name clone3: ENOSYS, so glibc falls back to clone";
        } else if (name.empty()) {
            out["reason"] = "not a system call on x86_64 (a hole in the kernel's table): the default action of " +
                            (profile.files.empty() ? args[0] : profile.files.back());
        } else {
            out["reason"] = "no rule matches: the default action of " +
                            (profile.files.empty() ? args[0] : profile.files.back());
        }
    }
    if (as_json) {
        write_output("-", out.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n");
        return 0;
    }
    std::string shown = (name.empty() ? std::string("unknown syscall") : name) + " (" + std::to_string(nr) + ")";
    for (size_t i = 0; i < given.size(); ++i) shown += " arg" + std::to_string(i) + "=" + given[i].get<std::string>();
    shown += "\naction: " + out["action"].get<std::string>() + "\n";
    if (out.contains("rule")) shown += "rule: " + rule_text(out["rule"]) + "\n";
    if (out.contains("overridden"))
        for (const auto& o : out["overridden"])
            shown += "overridden: " + rule_text(o) + " (deny wins: the stricter action applies)\n";
    if (out.contains("reason")) shown += "reason: " + out["reason"].get<std::string>() + "\n";
    write_output("-", text::sanitize_utf8(shown));
    return 0;
}

const RegisterCommand reg_compile{{"compile", "export the seccomp filter (pfc, bpf or OCI JSON)", kCompileUsage,
                                   &compile_main}};
const RegisterCommand reg_explain{{"explain", "show which rule decides a syscall and the action", kExplainUsage,
                                   &explain_main}};

}  // namespace

}  // namespace vigil
