// fork + the child's set-up + execve. Everything the child needs is built before fork;
// after fork the child makes only async-signal-safe calls. Implemented in src/spawn.
#pragma once

#include <linux/filter.h>
#include <signal.h>
#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

#include "vigil/filter.hpp"
#include "vigil/privileges.hpp"

namespace vigil {

class PreparedLandlock;

struct SpawnOptions {
    std::vector<std::string> argv;            // argv[0] is looked up in PATH like execvp
    const BpfProgram* filter = nullptr;       // null: no seccomp filter
    const BpfProgram* fallback = nullptr;     // loaded instead when the kernel refuses a listener
    const PreparedPrivileges* privileges = nullptr;
    bool no_new_privs = true;                 // applied whenever a filter is loaded
    const PreparedLandlock* landlock = nullptr;  // restricted after no_new_privs, before seccomp
    bool capture_output = false;              // app stdout/stderr go through pipes to vigil
};

struct SpawnResult {
    pid_t pid = -1;
    int pidfd = -1;
    int listener_fd = -1;           // seccomp user-notification fd, -1 if none
    bool listener_refused = false;  // the kernel refused a listener: the fallback filter is in force
    int listener_refused_errno = 0; // what it said (EBUSY: a runtime holds one; EINVAL: unsupported)
    int stdout_fd = -1;             // with capture_output
    int stderr_fd = -1;
};

// What the child does when the kernel refuses SECCOMP_FILTER_FLAG_NEW_LISTENER with err,
// asked with_wait_killable (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV too) or not. Pure and
// async-signal-safe: the child calls it between fork and execve.
enum class ListenerRefusal {
    RetryPlain,    // ask again without WAIT_KILLABLE_RECV
    LoadFallback,  // load the fallback program (static actions), tell vigil, and go on
    Fail,          // a set-up failure (exit 125)
};
ListenerRefusal listener_refusal(int err, bool with_wait_killable, bool has_fallback) noexcept;

// First call in main(): blocks every signal (they wait for the signalfd instead of being lost
// or acted on), makes sure SIGCHLD is not ignored, and remembers the original mask and
// dispositions, which the child gets back before execve. original: the mask vigil was started
// with, when an earlier hook (main.cpp's .preinit_array entry) already blocked everything.
void block_all_signals(const sigset_t* original = nullptr);

// Second call in main(), before vigil opens anything: the fds vigil was started with are passed
// on to the app (like tini); every other fd is vigil's own and is closed in the child.
void remember_inherited_fds();

// The 192-bit launch token (random per spawn) and the BPF prefix that lets the child's own
// pre-exec calls (execve, sendmsg, close, exit_group) through the app's filter when argument
// registers 3-5 hold it; anything else falls through to the program appended after it.
struct LaunchToken {
    uint64_t word[3];
};
std::vector<sock_filter> launch_prefix(const LaunchToken& token);

// Starts the app. Throws vigil::Error with code 127 (not found), 126 (cannot execute) or
// 125 (a set-up step failed in the child; the message names the step and errno).
SpawnResult spawn(const SpawnOptions& options);

}  // namespace vigil
