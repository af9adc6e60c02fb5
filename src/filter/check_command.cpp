// `vigil check PROFILE`: validate a profile. Unlike `run`, a bad profile is this command's
// normal answer, so it exits 1 (not 125) and prints every problem found.
#include <cstdio>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/filter.hpp"
#include "vigil/profile.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

const char kUsage[] =
    "usage: vigil check PROFILE\n"
    "       vigil check --groups\n"
    "\n"
    "Reads PROFILE with its includes and @groups, validates it and compiles its filter.\n"
    "Exit 0 and one line 'PROFILE: ok (N rules, default ACTION)', or exit 1 with one\n"
    "'FILE:LINE:COL: message' line per problem on stderr.\n"
    "Two rules for one syscall that a call can match both of, with different actions, are\n"
    "legal (the stricter action applies there: deny wins) and each such pair is reported on\n"
    "stderr as 'FILE:LINE:COL: warning: ...' naming both positions; they do not change the\n"
    "exit status.\n"
    "--groups lists the @groups profiles can name, with their purpose and members.\n";

void print_groups() {
    for (const auto& g : all_groups()) {
        std::printf("%s  %s\n   ", g.name.c_str(), g.purpose.c_str());
        for (const auto& m : g.members) std::printf(" %s", m.c_str());
        std::printf("\n");
    }
}

std::string summary(const std::string& path, const Profile& p) {
    if (!p.has_seccomp) return path + ": ok (no seccomp filter)";
    size_t n = p.rules.size();
    return path + ": ok (" + std::to_string(n) + (n == 1 ? " rule" : " rules") + ", default " +
           p.default_action.str() + ")";
}

// "LOOSER_POS: warning: ...STRICTER_POS...": at the rule that loses part of its reach.
std::string overlap_warning(const RuleOverlap& o) {
    const SyscallRule& loser = *o.looser;
    const SyscallRule& winner = *o.stricter;
    return loser.where.str() + ": warning: this " + loser.action.str() + " rule for " +
           loser.syscall + " overlaps the " + winner.action.str() + " rule at " +
           winner.where.str() + "; where both match, " + winner.action.str() +
           " applies (deny wins)";
}

int check_main(const std::vector<std::string>& args) {
    if (args.size() == 1 && (args[0] == "--help" || args[0] == "-h")) {
        std::fputs(kUsage, stdout);
        return 0;
    }
    if (args.size() == 1 && args[0] == "--groups") {
        print_groups();
        return 0;
    }
    if (args.size() != 1 || args[0].starts_with('-')) {
        std::fputs(kUsage, stderr);
        return kExitVigilError;
    }
    try {
        Profile p = load_profile(args[0]);
        // What the loader accepts libseccomp should too; compiling here makes `check` answer
        // for the whole way to the BPF program that `run` would install.
        if (p.has_seccomp) compile_filter(p);
        // Overlaps are legal (deny wins decides them) but worth a look: a rule that is
        // partly overridden may not do what its author meant. Warnings, so exit 0. A
        // conditional deny inside an unconditional allow is the way to carve requests out of
        // a group (jvm.toml's TIOCSTI) and says what it means: not reported.
        for (const auto& o : overlapping_rules(p))
            if (!(o.looser->conditions.empty() && !o.stricter->conditions.empty()))
                std::fprintf(stderr, "%s\n", overlap_warning(o).c_str());
        std::printf("%s\n", summary(args[0], p).c_str());
        return 0;
    } catch (const Error& e) {
        std::fprintf(stderr, "%s\n", e.what());
        return 1;
    }
}

const RegisterCommand reg{{"check", "validate a profile", kUsage, &check_main}};

}  // namespace

}  // namespace vigil
