// vigil: PID-1 init and sandbox supervisor. Dispatches to the registered sub-commands.
#include <signal.h>
#include <unistd.h>
#include <sys/syscall.h>

#include <cstdio>
#include <string>
#include <vector>

#include "vigil/cli.hpp"
#include "vigil/error.hpp"
#include "vigil/log.hpp"
#include "vigil/spawn.hpp"

namespace {

// As its namespace's init, vigil loses every signal sent to it while the signal's action is
// the default and the signal is not blocked: the kernel discards it at once. Blocked, it waits
// for the signalfd. So signals are blocked in the earliest code the executable runs: a
// .preinit_array entry, which the dynamic loader calls right after loading and relocating,
// before any shared library's initialisers (libstdc++, spdlog, RE2...) and before this
// program's own static initialisers; the static build calls it from __libc_start_main, also
// before the initialisers. One raw rt_sigprocmask: nothing here may depend on libc being set up.
sigset_t g_start_mask;
bool g_preinit_ran = false;

void block_signals_first(int, char**, char**) {
    sigset_t all;
    sigfillset(&all);
    if (syscall(SYS_rt_sigprocmask, SIG_SETMASK, &all, &g_start_mask, _NSIG / 8) == 0) g_preinit_ran = true;
}

}  // namespace

__attribute__((section(".preinit_array"), used)) static void (*const vigil_preinit)(int, char**, char**) =
    block_signals_first;

int main(int argc, char** argv) {
    // Then, before parsing or logging: SIGCHLD's disposition and the mask the app gets back.
    vigil::block_all_signals(g_preinit_ran ? &g_start_mask : nullptr);
    vigil::remember_inherited_fds();
    std::vector<std::string> args(argv + 1, argv + argc);
    return vigil::cli_main(args);
}
