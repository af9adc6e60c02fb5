// Which syscall arguments the kernel truncates to 32 bits (x86_64 SYSCALL_DEFINE signatures:
// int, unsigned int, pid_t, uid_t, umode_t ...). seccomp sees the full 64-bit register, so a
// condition on such an argument must be written so that set upper bits cannot help a caller.
#include <cstdint>

#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

struct ArgWidths {
    const char* syscall;
    uint8_t int_args;  // bit N set: argN is 32-bit
};

constexpr uint8_t A(int a) { return static_cast<uint8_t>(1u << a); }

const ArgWidths kWidths[] = {
    {"socket", A(0) | A(1) | A(2)},
    {"socketpair", A(0) | A(1) | A(2)},
    {"bind", A(0) | A(2)},
    {"connect", A(0) | A(2)},
    {"listen", A(0) | A(1)},
    {"accept4", A(0) | A(3)},
    {"shutdown", A(0) | A(1)},
    {"setsockopt", A(0) | A(1) | A(2) | A(4)},
    {"getsockopt", A(0) | A(1) | A(2)},
    {"sendto", A(0) | A(3) | A(5)},
    {"recvfrom", A(0) | A(3)},
    {"sendmsg", A(0) | A(2)},
    {"recvmsg", A(0) | A(2)},
    {"personality", A(0)},
    {"ioctl", A(0) | A(1)},
    {"fcntl", A(0) | A(1)},
    {"flock", A(0) | A(1)},
    {"prctl", A(0)},
    {"kill", A(0) | A(1)},
    {"tkill", A(0) | A(1)},
    {"tgkill", A(0) | A(1) | A(2)},
    {"rt_sigqueueinfo", A(0) | A(1)},
    {"pidfd_open", A(0) | A(1)},
    {"pidfd_send_signal", A(0) | A(1) | A(3)},
    {"setns", A(0) | A(1)},
    {"open", A(1) | A(2)},
    {"openat", A(0) | A(2) | A(3)},
    {"creat", A(1)},
    {"mknod", A(1) | A(2)},
    {"mknodat", A(0) | A(2) | A(3)},
    {"chmod", A(1)},
    {"fchmod", A(0) | A(1)},
    {"fchmodat", A(0) | A(2)},
    {"execveat", A(0) | A(4)},
    {"madvise", A(2)},
    {"futex", A(1) | A(2)},
    {"umask", A(0)},
    {"memfd_create", A(1)},
    {"eventfd2", A(0) | A(1)},
    {"getrandom", A(2)},
    {"keyctl", A(0)},
    {"seccomp", A(0) | A(1)},
    {"epoll_ctl", A(0) | A(1) | A(2)},
    {"sched_setscheduler", A(0) | A(1)},
    {"setuid", A(0)},
    {"setgid", A(0)},
    {"setreuid", A(0) | A(1)},
    {"setregid", A(0) | A(1)},
    {"setresuid", A(0) | A(1) | A(2)},
    {"setresgid", A(0) | A(1) | A(2)},
    {"dup2", A(0) | A(1)},
    {"dup3", A(0) | A(1) | A(2)},
    {"close", A(0)},
    {"read", A(0)},
    {"write", A(0)},
};

}  // namespace

bool arg_is_32bit(std::string_view syscall, unsigned index) {
    if (index > 5) return false;
    for (const auto& w : kWidths)
        if (syscall == w.syscall) return (w.int_args & A(static_cast<int>(index))) != 0;
    return false;
}

}  // namespace vigil
