// The syscall argument-role table (see vigil/syscalls.hpp). Only the syscalls vigil reads or
// decides arguments of are listed; every other syscall's arguments are opaque registers.
#include <map>

#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

using R = ArgRole;
using Roles = std::array<ArgRole, 6>;

struct Entry {
    const char* name;
    Roles roles;
};

// Argument order as in the kernel's SYSCALL_DEFINE for x86_64.
const Entry kTable[] = {
    {"execve", {R::Path, R::Argv, R::Envp}},
    {"execveat", {R::DirFd, R::Path, R::Argv, R::Envp, R::ExecFlags}},
    {"open", {R::Path, R::OpenFlags, R::Mode}},
    {"creat", {R::Path, R::Mode}},
    {"openat", {R::DirFd, R::Path, R::OpenFlags, R::Mode}},
    {"openat2", {R::DirFd, R::Path, R::OpenHow, R::Size}},
    {"connect", {R::Fd, R::Sockaddr, R::SockaddrLen}},
    {"bind", {R::Fd, R::Sockaddr, R::SockaddrLen}},
    {"sendto", {R::Fd, R::Buffer, R::BufferLen, R::MsgFlags, R::Sockaddr, R::SockaddrLen}},
    {"sendmsg", {R::Fd, R::Msghdr, R::MsgFlags}},
    {"sendmmsg", {R::Fd, R::Mmsghdr, R::VecLen, R::MsgFlags}},
    {"clone3", {R::Clone3Args, R::Size}},
    {"socket", {R::SocketFamily, R::SocketType}},
    {"socketpair", {R::SocketFamily, R::SocketType}},
    {"clone", {R::CloneFlags}},
    {"unshare", {R::CloneFlags}},
    {"ioctl", {R::Fd, R::IoctlRequest}},
    {"prctl", {R::PrctlOption}},
    {"personality", {R::Personality}},
    {"kill", {R::None, R::Signal}},
    {"tkill", {R::None, R::Signal}},
    {"tgkill", {R::None, R::None, R::Signal}},
};

const std::map<int, Roles>& by_number() {
    static const std::map<int, Roles> table = [] {
        std::map<int, Roles> t;
        for (const auto& e : kTable)
            if (auto nr = syscall_number(e.name)) t[*nr] = e.roles;
        return t;
    }();
    return table;
}

}  // namespace

const std::array<ArgRole, 6>& arg_roles(int nr) {
    static const Roles none{};
    auto it = by_number().find(nr);
    return it == by_number().end() ? none : it->second;
}

std::optional<unsigned> arg_index(int nr, ArgRole role) {
    const Roles& r = arg_roles(nr);
    for (unsigned i = 0; i < r.size(); ++i)
        if (r[i] == role) return i;
    return std::nullopt;
}

std::optional<unsigned> arg_index(std::string_view syscall, ArgRole role) {
    auto nr = syscall_number(syscall);
    if (!nr) return std::nullopt;
    return arg_index(*nr, role);
}

}  // namespace vigil
