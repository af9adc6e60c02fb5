// Private to src/filter and src/oci: the pieces shared by compile_filter, evaluate and the
// exporters (pfc, OCI JSON).
#pragma once

#include <linux/filter.h>
#include <linux/seccomp.h>
#include <seccomp.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "vigil/filter.hpp"
#include "vigil/profile.hpp"

namespace vigil::filter_detail {

// libseccomp refuses a rule whose action equals the default action (EACCES), which would
// silently lose overrides such as "allow socket, but errno:EPERM for AF_PACKET" when the
// default is errno:EPERM. So the context is built with a default no profile can produce
// (TRACE is not a profile action) and every `ret SENTINEL` is rewritten afterwards.
inline constexpr uint32_t kSentinel = SCMP_ACT_TRACE(0x7669);

// x32 system calls are the x86_64 entry point with this bit set in the number.
inline constexpr uint32_t kX32Bit = 0x40000000;

// -1 when NAME is not an x86_64 system call (see vigil/syscalls.hpp).
int syscall_nr(const std::string& name);
// The highest syscall number the filter knows; every higher native number gets ENOSYS.
uint32_t highest_known_syscall(const Profile& profile);

uint32_t action_value(const Action& action);
// The action a SECCOMP_RET_* value stands for (TRACE and unknown values: kill-process).
Action action_from_value(uint32_t value);

// The action that is compiled for ACTION on SYSCALL ("" for the default action) once
// complain mode and a missing listener are taken into account.
Action effective_action(const Action& action, const std::string& syscall, const Profile& profile,
                        const FilterOptions& options);
Action effective_default(const Profile& profile, const FilterOptions& options);
// No rule names clone3: it gets ENOSYS so that glibc falls back to clone.
bool clone3_gets_enosys(const Profile& profile);

struct CtxDeleter {
    void operator()(void* ctx) const { seccomp_release(ctx); }
};
using Context = std::unique_ptr<void, CtxDeleter>;

// The libseccomp context for PROFILE; ONLY_NR >= 0 keeps only the rules for that syscall
// (what `evaluate` needs: libseccomp builds each syscall's decision tree on its own).
Context build_context(const Profile& profile, const FilterOptions& options, int only_nr = -1);

// The deny-wins block (precedence.cpp): for each syscall whose rules overlap with different
// actions, its stricter rules tested strictest first; falls through to libseccomp's code.
// Empty when no rules overlap. ONLY_NR >= 0: that syscall only (as build_context).
std::vector<sock_filter> precedence_block(const Profile& profile, const FilterOptions& options,
                                          int only_nr = -1);
// The same rules as pseudo-code comments for `vigil filter --pfc`.
std::string precedence_pfc(const Profile& profile, const FilterOptions& options);

// The final program: libseccomp's output with the sentinel replaced by DEFAULT_VALUE, behind
// vigil's prefix that answers ENOSYS for native numbers above MAX_KNOWN, then PRECEDENCE.
std::vector<sock_filter> export_program(void* ctx, uint32_t default_value, uint32_t max_known,
                                        const std::vector<sock_filter>& precedence = {});
std::string export_pfc_text(void* ctx, uint32_t default_value, uint32_t max_known,
                            const std::string& precedence_text = "");

// Runs a seccomp BPF program on DATA as the kernel would; returns the SECCOMP_RET_* value.
uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data);

}  // namespace vigil::filter_detail
