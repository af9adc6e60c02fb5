// The vocabulary profiles are written in: x86_64 syscall names and numbers (the kernel's list,
// up to Linux 6.18, whatever libseccomp knows), named @groups of syscalls, errno names and symbolic constants for
// argument conditions. Implemented in src/syscalls.
#pragma once

#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace vigil {

// --- syscalls (native x86_64 only; x32 and i386 numbers are not in this table) ---

// Number of an x86_64 syscall, or nullopt when the name is not an x86_64 syscall.
std::optional<int> syscall_number(std::string_view name);
// Name of x86_64 syscall NR, or nullopt when the number is unknown.
std::optional<std::string> syscall_name(int nr);
// Every x86_64 syscall known, in number order. The same strings syscall_number() accepts.
const std::vector<std::string>& all_syscall_names();

// --- groups ---

// A named set of syscalls, written as data in src/syscalls/groups.cpp. Members are syscall
// names or other groups ("@basic-io"); expand_group() resolves them.
struct SyscallGroup {
    std::string name;     // with the leading '@'
    std::string purpose;  // one line for `--help`, reports and reviews
    std::vector<std::string> members;  // as written: names and @groups
};

// nullptr when there is no such group. NAME includes the '@'.
const SyscallGroup* find_group(std::string_view name);
const std::vector<SyscallGroup>& all_groups();
// The syscalls of group NAME with nested groups resolved, sorted and unique.
// Throws vigil::Error for an unknown group.
std::vector<std::string> expand_group(std::string_view name);
std::vector<std::string> all_group_names();
// The groups whose expansion holds SYSCALL, in table order (for reports and learned profiles).
std::vector<std::string> groups_of(std::string_view syscall);

// --- errno names ---

std::optional<int> errno_number(std::string_view name);  // "EPERM" -> 1
std::optional<std::string> errno_name(int value);        // 1 -> "EPERM"
const std::vector<std::string>& all_errno_names();

// --- symbolic constants for argument conditions (from the system headers) ---

// AF_*, SOCK_*, CLONE_*, O_*, F_*, AT_*, PR_*, PROT_*, MAP_*, MADV_*, TIOC*/TC*/FIO* ioctls,
// PER_* personalities, SIG*, FUTEX_*, IPPROTO_*, SOL_*/SO_*, MSG_* ...
std::optional<uint64_t> constant(std::string_view name);
const std::vector<std::string>& all_constant_names();

// --- argument widths ---

// True when the kernel reads argument INDEX of SYSCALL as a 32-bit value (int, unsigned int,
// pid_t, umode_t ...) and ignores the upper half of the register, while seccomp compares all
// 64 bits, so a test on such an argument must be rewritten to decide on the low half (the
// profile loader does; see profiles/REFERENCE.md). Known for the syscalls profiles commonly put
// conditions on; false for all others.
bool arg_is_32bit(std::string_view syscall, unsigned index);

// --- argument roles ---

// What each argument of a syscall is, for the code that reads or decides on arguments (the
// notify engine, the profile loader's allow-list grammar, learn's recorder): one table in
// src/syscalls/arg_roles.cpp instead of per-module string compares.
enum class ArgRole : uint8_t {
    None,
    Fd,           // a file descriptor of the caller (a socket for the socket calls)
    DirFd,        // *at() directory fd
    Path,         // pointer to a NUL-terminated path
    Sockaddr,     // pointer to a struct sockaddr (the peer / the local address for bind)
    SockaddrLen,  // its length (a register)
    Msghdr,       // pointer to a struct msghdr (msg_name is a peer)
    Mmsghdr,      // pointer to an array of struct mmsghdr
    VecLen,       // number of entries of the Mmsghdr array
    Buffer,       // pointer to a payload
    BufferLen,    // its length
    MsgFlags,     // MSG_* flags (a register)
    OpenFlags,    // O_* flags
    OpenHow,      // pointer to struct open_how
    Mode,         // file mode bits
    Argv,         // pointer to a NULL-terminated array of string pointers
    Envp,
    ExecFlags,    // AT_* flags of execveat
    Clone3Args,   // pointer to struct clone_args
    Size,         // size of the struct the previous pointer argument points to
    // Register values with symbolic names (written profiles name them, see symbolic_value):
    SocketFamily,  // AF_*
    SocketType,    // SOCK_* (with SOCK_NONBLOCK/SOCK_CLOEXEC above it)
    CloneFlags,    // CLONE_* bits (clone, unshare)
    IoctlRequest,  // TIOC*, TC*, FIO* requests
    PrctlOption,   // PR_*
    Personality,   // PER_* and the personality flag bits
    Signal,        // SIG*
};

// The six roles of syscall NR's arguments (x86_64); all None for a syscall not in the table.
const std::array<ArgRole, 6>& arg_roles(int nr);
// The index of the first argument of NR with ROLE, or nothing.
std::optional<unsigned> arg_index(int nr, ArgRole role);
// The same, by name (the profile loader works with names).
std::optional<unsigned> arg_index(std::string_view syscall, ArgRole role);

// VALUE of argument INDEX of SYSCALL as the profile language writes it: the symbolic constant
// for the argument's role ("AF_INET", "SOCK_STREAM|SOCK_CLOEXEC", "CLONE_NEWNS|CLONE_NEWUSER",
// "PR_SET_NAME"), from the one constant table; "0x..." hex when the role has no name for it
// (or the argument has no such role). Parsing it back (parse_value) gives VALUE again.
std::string symbolic_value(std::string_view syscall, unsigned index, uint64_t value);

// --- suggestions ---

// Levenshtein distance (byte-wise).
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to WORD (ignoring case), when close enough to be a plausible typo;
// else "".
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);
// "; did you mean 'X'?" for the nearest candidate, or "" when there is none.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace vigil
