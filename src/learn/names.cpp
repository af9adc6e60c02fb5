// x86_64 syscall names for learn, from libseccomp's tables. A table is built once so the
// notification path never allocates for a name.
#include <seccomp.h>

#include <cstdlib>
#include <vector>

#include "learn_internal.hpp"

namespace vigil::learn {

namespace {

// x86_64 numbers end below 512; x32 starts at 0x40000000 and is never notified (killed).
constexpr int kMaxNr = 512;

const std::vector<std::string>& table() {
    static const std::vector<std::string> names = [] {
        std::vector<std::string> t(kMaxNr);
        for (int nr = 0; nr < kMaxNr; ++nr) {
            char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
            t[nr] = name ? name : "";
            std::free(name);
        }
        return t;
    }();
    return names;
}

}  // namespace

const std::string& syscall_name(int nr) {
    if (nr >= 0 && nr < kMaxNr && !table()[nr].empty()) return table()[nr];
    thread_local std::string unknown;
    unknown = "syscall_" + std::to_string(nr);
    return unknown;
}

std::optional<int> syscall_number(const std::string& name) {
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, name.c_str());
    if (nr < 0) return std::nullopt;
    return nr;
}

size_t kernel_syscall_count() {
    size_t n = 0;
    for (const auto& name : table())
        if (!name.empty()) ++n;
    return n;
}

}  // namespace vigil::learn
