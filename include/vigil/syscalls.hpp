// The vocabulary profiles are written in: x86_64 syscall names and numbers (the kernel's list,
// as libseccomp knows it), named @groups of syscalls, errno names and symbolic constants for
// argument conditions. Implemented in src/syscalls.
#pragma once

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

// --- suggestions ---

// Levenshtein distance (byte-wise).
size_t edit_distance(std::string_view a, std::string_view b);
// The candidate closest to WORD (ignoring case), when close enough to be a plausible typo;
// else "".
std::string nearest(std::string_view word, const std::vector<std::string>& candidates);
// "; did you mean 'X'?" for the nearest candidate, or "" when there is none.
std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates);

}  // namespace vigil
