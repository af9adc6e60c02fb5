// vigil's own failures and the exit codes they map to (README.md, "Exit codes").
#pragma once

#include <stdexcept>
#include <string>

namespace vigil {

inline constexpr int kExitVigilError = 125;   // vigil failed before the app ran (bad profile, CLI, ...)
inline constexpr int kExitCannotExec = 126;   // CMD found but cannot be executed
inline constexpr int kExitNotFound = 127;     // CMD not found

// Thrown for bad input or a failed set-up step; main() prints what() and exits with code.
struct Error : std::runtime_error {
    int code;
    explicit Error(const std::string& what, int exit_code = kExitVigilError)
        : std::runtime_error(what), code(exit_code) {}
};

// "context: strerror(errno)" for a failed syscall, as an Error.
[[noreturn]] void throw_errno(const std::string& context);

}  // namespace vigil
