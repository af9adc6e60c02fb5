// `vigil up FILE.toml`: the services file read once, then every service under one vigil.
#include <cstdio>
#include <string>
#include <vector>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/services.hpp"

namespace vigil {

namespace {

const char* kUsage =
    "usage: vigil up FILE.toml\n"
    "Runs the [[service]]s of FILE under one vigil (PID 1 in a container), each in its own sandbox\n"
    "(its profile's seccomp filter and listener, capabilities, user, and a Landlock domain of its own:\n"
    "services cannot signal or ptrace one another). A service starts once the services it depends_on\n"
    "are ready; when one ends for good, the others are stopped in reverse dependency order.\n\n"
    "  [[service]]\n"
    "  name = \"web\"                    # letters, digits, '_', '-', '.'; prefixes its output lines\n"
    "  command = [\"/srv/run.sh\", \"8080\"]\n"
    "  profile = \"web.toml\"            # relative to FILE's directory; optional\n"
    "  depends_on = [\"db\"]             # started once db is ready (its [phases.ready])\n"
    "  restart = \"on-failure\"          # no | on-failure | always (default: the profile's, else no)\n"
    "  restart_max = 5                 # restarts in a row, then it counts as ended\n"
    "  restart_delay = \"1s\"            # first back-off, doubled per restart, capped at 30s\n"
    "  stop_timeout = \"10s\"            # SIGTERM, then SIGKILL after this long\n\n"
    "SIGTERM/SIGINT to vigil stop every service (dependents first); other signals go to every service.\n"
    "exit codes: the status of the first service that failed on its own (non-zero, or 128+N for\n"
    "signal N); if vigil was stopped by a signal, the first non-zero status of a stopped service;\n"
    "else 0. 125: FILE or a profile is invalid (FILE:LINE:COL messages), or a service could not be\n"
    "started or a dependency never became ready; 126/127: a command cannot be executed / not found.\n";

int up_main(const std::vector<std::string>& args) {
    if (args.size() == 1 && (args[0] == "-h" || args[0] == "--help")) {
        std::printf("%s", kUsage);
        return 0;
    }
    if (args.size() != 1 || args[0].empty() || args[0][0] == '-')
        throw Error("usage: vigil up FILE.toml (see vigil up --help)", kExitVigilError);
    ServicesFile file = load_services(args[0]);
    return run_services(file);
}

const RegisterCommand reg{{"up", "run several [[service]]s of FILE.toml, each in its own sandbox", kUsage, &up_main}};

}  // namespace

}  // namespace vigil
