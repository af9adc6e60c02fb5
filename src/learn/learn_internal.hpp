// Helpers shared by the files of src/learn (not a public contract).
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <utility>

namespace vigil::learn {

// socket(2) arg1 carries SOCK_NONBLOCK/SOCK_CLOEXEC above the type.
inline constexpr uint64_t kSocketTypeMask = 0xf;

// x86_64 syscall name for the recorder (cached: the notification path does not allocate);
// unknown numbers are named "syscall_N".
const std::string& recorded_name(int nr);

std::optional<uint64_t> parse_number(const std::string& s);  // decimal, 0x hex, 0 octal
std::string family_name(uint64_t v);
std::optional<uint64_t> family_value(const std::string& s);
std::optional<uint64_t> socket_type_value(const std::string& s);
std::optional<uint64_t> prctl_option_value(const std::string& s);

// [landlock] learning (landlock_learn.cpp): the recorder's hook for opens, execs, bind and
// connect, and the section the writer appends.
struct SyscallStats;
struct CallInfo;
struct LearnedStats;
struct WriteOptions;
void record_landlock(SyscallStats& s, const CallInfo& c);
std::string write_landlock_section(const LearnedStats& stats, const WriteOptions& options);
// The kernel's ephemeral TCP/UDP port range (ip_local_port_range; 32768-60999 when unreadable).
std::pair<int, int> ephemeral_ports();
// The ports the run bound (learned [landlock] bind_tcp): a connect to one is to the app itself.
std::set<int> bound_ports(const LearnedStats& stats);

}  // namespace vigil::learn
