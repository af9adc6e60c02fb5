// vigil: PID-1 init and sandbox supervisor. Dispatches to the registered sub-commands.
#include <cstdio>
#include <string>
#include <vector>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/log.hpp"
#include "vigil/spawn.hpp"

int main(int argc, char** argv) {
    // First of all, before parsing or logging: a signal that arrives from now on waits in
    // the pending set until the event loop reads it from the signalfd; none is lost.
    vigil::block_all_signals();
    vigil::remember_inherited_fds();
    std::vector<std::string> args(argv + 1, argv + argc);
    return vigil::cli_main(args);
}
