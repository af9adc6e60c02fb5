// Internal to src/profile: readers for the sections of one profile file. Each reports problems
// through the Reader and returns what it could read; load.cpp layers the files.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "reader.hpp"

namespace vigil::profile_detail {

// What one file's [seccomp] table decides. RULES holds, for every syscall the file mentions
// (by name, group, rule or notify), the complete replacement for earlier layers' rules.
struct SeccompLayer {
    std::optional<Action> default_action;
    std::map<std::string, std::vector<SyscallRule>> rules;
};

SeccompLayer read_seccomp(Reader& r, const TomlValue& table);

// [notify] with one [notify.SYSCALL] table per notified syscall.
std::map<std::string, NotifyPolicy> read_notify(Reader& r, const TomlValue& table);
// The policy of a notified syscall without a [notify.SYSCALL] table (see profiles/README.md).
NotifyPolicy default_notify_policy(const std::string& syscall, const SourcePos& where);

// These override, key by key, what earlier layers set.
void read_process(Reader& r, const TomlValue& table, ProcessSettings& out);
void read_phases(Reader& r, const TomlValue& table, std::optional<ReadyCondition>& ready);
void read_supervise(Reader& r, const TomlValue& table, SuperviseSettings& out);
void read_audit(Reader& r, const TomlValue& table, AuditSettings& out);
// [landlock]: paths and ports replace earlier layers' grants one by one (src/profile/landlock_section.cpp).
void read_landlock(Reader& r, const TomlValue& table, LandlockSettings& out);

// A syscall name or @group at V, resolved to syscall names; reports unknown names (WHAT says
// where, e.g. "seccomp.allow"). Empty on error.
std::vector<std::string> resolve_names(Reader& r, const TomlValue& v, const std::string& name,
                                       const std::string& what);

}  // namespace vigil::profile_detail
