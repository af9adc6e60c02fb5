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

namespace vigil {

using namespace filter_detail;

namespace {

const char* kCompileUsage =
    "usage: vigil compile PROFILE [--format pfc|bpf|oci] [--complain] [-o OUT]\n"
    "Exports the seccomp filter of PROFILE:\n"
    "  pfc  libseccomp pseudo-code (default), with vigil's ENOSYS prefix as a comment\n"
    "  bpf  the raw BPF program vigil loads (struct sock_filter array)\n"
    "  oci  OCI/Docker seccomp JSON (docker --security-opt seccomp=FILE, podman, Kubernetes);\n"
    "       notified syscalls get their fallback action, complain mode becomes SCMP_ACT_LOG\n"
    "--complain compiles complain mode (denials become notify); -o - or no -o: stdout.\n";

const char* kExplainUsage =
    "usage: vigil explain PROFILE SYSCALL [ARG...]\n"
    "Prints the action PROFILE's filter takes for one x86_64 call and the rule that decides it.\n"
    "SYSCALL is a name or number; each ARG a number (decimal, 0x hex, 0 octal) or constants\n"
    "joined with '|' (AF_INET, CLONE_NEWUSER|CLONE_NEWNS, ...). Missing arguments are 0.\n";

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
    std::string profile, format = "pfc", output = "-";
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
        else if (!a.empty() && a[0] == '-') throw Error("compile: unknown option '" + a + "'\n" + kCompileUsage);
        else if (c.profile.empty()) c.profile = a;
        else throw Error("compile: one PROFILE expected, got '" + a + "' too\n" + kCompileUsage);
    }
    if (c.profile.empty()) throw Error(std::string("compile: missing PROFILE\n") + kCompileUsage);
    if (c.format != "pfc" && c.format != "bpf" && c.format != "oci")
        throw Error("compile: unknown format '" + c.format + "' (expected pfc, bpf or oci)");
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

std::string conditions_text(const SyscallRule& rule) {
    std::string out;
    for (const auto& c : rule.conditions) out += (out.empty() ? " when " : " and ") + c.text;
    return out;
}

int explain_main(const std::vector<std::string>& args) {
    if (args.size() < 2) throw Error(std::string("explain: PROFILE and SYSCALL expected\n") + kExplainUsage);
    if (args.size() > 8) throw Error("explain: at most 6 arguments");
    Profile profile = load_profile(args[0]);
    int nr = syscall_from_text(args[1]);
    uint64_t call_args[6] = {};
    for (size_t i = 2; i < args.size(); ++i) call_args[i - 2] = parse_arg(args[i]);

    std::string name = syscall_name(nr).value_or("");
    std::printf("%s (%d)", name.empty() ? "unknown syscall" : name.c_str(), nr);
    for (size_t i = 2; i < args.size(); ++i) std::printf(" arg%zu=0x%llx", i - 2, (unsigned long long)call_args[i - 2]);
    std::printf("\n");
    if (!profile.has_seccomp) {
        std::printf("action: allow\nreason: %s has no [seccomp] section (no filter)\n", args[0].c_str());
        return 0;
    }
    Verdict v = evaluate(profile, nr, call_args);
    std::printf("action: %s\n", v.action.str().c_str());
    uint32_t max_known = highest_known_syscall(profile);
    if (v.rule) {
        std::printf("rule: %s: %s = %s%s\n", v.rule->where.str().c_str(), v.rule->syscall.c_str(),
                    v.rule->action.str().c_str(), conditions_text(*v.rule).c_str());
        for (const auto& other : profile.rules)
            if (&other != v.rule && other.syscall == name && !(other.action == v.action) &&
                rule_matches(other, call_args))
                std::printf("overridden: %s: %s = %s%s (deny wins: the stricter action applies)\n",
                            other.where.str().c_str(), other.syscall.c_str(),
                            other.action.str().c_str(), conditions_text(other).c_str());
    } else if (static_cast<uint32_t>(nr) >= kX32Bit) {
        std::printf("reason: x32 system call numbers are killed (bad architecture)\n");
    } else if (static_cast<uint32_t>(nr) > max_known) {
        std::printf("reason: newer than vigil's syscall tables (highest known: %u): ENOSYS\n", max_known);
    } else if (name == "clone3" && clone3_gets_enosys(profile)) {
        std::printf("reason: the profile does not name clone3: ENOSYS, so glibc falls back to clone\n");
    } else {
        std::printf("reason: no rule matches: the default action of %s\n",
                    profile.files.empty() ? args[0].c_str() : profile.files.back().c_str());
    }
    return 0;
}

const RegisterCommand reg_compile{{"compile", "export the seccomp filter (pfc, bpf or OCI JSON)", kCompileUsage,
                                   &compile_main}};
const RegisterCommand reg_explain{{"explain", "show which rule decides a syscall and the action", kExplainUsage,
                                   &explain_main}};

}  // namespace

}  // namespace vigil
