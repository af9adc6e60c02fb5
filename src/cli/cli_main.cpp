// Top-level dispatch: --help, --version, sub-commands; anything else is `run`.
#include <seccomp.h>

#include <cstdio>
#include <string>
#include <vector>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/log.hpp"
#include "vigil/syscalls.hpp"
#include "vigil/audit.hpp"

namespace vigil {

namespace {

bool g_logging_ready = false;

// Errors go through the logger (so they are JSON with VIGIL_LOG_FORMAT=json) once it exists.
void report(const char* prefix, const char* what) {
    if (g_logging_ready) log::error("{}{}", prefix, what);
    else std::fprintf(stderr, "vigil: %s%s\n", prefix, what);
}

void print_help() {
    std::printf(
        "vigil %s: PID-1 init and sandbox supervisor for containers\n\n"
        "usage: vigil [run] [OPTIONS] -- CMD [ARGS...]\n"
        "       vigil COMMAND [ARGS...]   (vigil COMMAND --help for details)\n\ncommands:\n",
        VIGIL_VERSION);
    for (const auto& c : commands()) std::printf("  %-12s %s\n", c.name, c.summary);
    std::printf(
        "\nenvironment: VIGIL_PROFILE, VIGIL_LOG_LEVEL (trace..off), VIGIL_LOG_FORMAT (text|json)\n"
        "exit codes: the app's status; 128+N if it died of signal N; 125 vigil error;\n"
        "            126 CMD cannot be executed; 127 CMD not found\n");
}

// One line: "vigil VERSION" then KEY=VALUE words (README, "vigil --version"); tools split on
// spaces, and new keys are only ever appended.
void print_version() {
    const scmp_version* v = seccomp_version();
    int highest = syscall_number(all_syscall_names().back()).value_or(-1);
    std::printf("vigil %s libseccomp=%u.%u.%u seccomp-api=%d syscalls=x86_64:%d log-schema=%d audit-schema=%d\n",
                VIGIL_VERSION, v->major, v->minor, v->micro, seccomp_api_get(), highest, kLogSchemaVersion,
                kAuditSchemaVersion);
}

int dispatch(const std::vector<std::string>& args) {
    if (!args.empty() && (args[0] == "--help" || args[0] == "-h")) {
        print_help();
        return 0;
    }
    if (!args.empty() && (args[0] == "--version" || args[0] == "-V")) {
        print_version();
        return 0;
    }
    setup_logging();
    g_logging_ready = true;
    const Command* cmd = args.empty() ? nullptr : find_command(args[0]);
    std::vector<std::string> rest(args.begin() + (cmd ? 1 : 0), args.end());
    if (!cmd) cmd = find_command("run");  // `vigil -- CMD` and `vigil CMD` mean `vigil run`
    if (!cmd) throw Error("the run command is not built in");
    if (cmd != find_command("run") && !rest.empty() && (rest[0] == "--help" || rest[0] == "-h")) {
        std::printf("%s", cmd->usage);
        return 0;
    }
    return cmd->main(rest);
}

}  // namespace

int cli_main(const std::vector<std::string>& args) {
    try {
        return dispatch(args);
    } catch (const Error& e) {
        report("", e.what());
        return e.code;
    } catch (const std::exception& e) {
        report("internal error: ", e.what());
        return kExitVigilError;
    }
}

}  // namespace vigil
