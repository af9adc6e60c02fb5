// x86_64 syscall names <-> numbers, from libseccomp's copy of the kernel's syscall table,
// and the "did you mean" helper every vocabulary lookup uses.
#include "vigil/syscalls.hpp"

#include <seccomp.h>

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <memory>
#include <string>

namespace vigil {

namespace {

// Upper bound of native x86_64 numbers; x32 starts at 512 with its own bit and is not native.
constexpr int kMaxNativeNr = 512;

std::vector<std::string> load_syscall_names() {
    std::vector<std::string> names;
    for (int nr = 0; nr < kMaxNativeNr; ++nr) {
        std::unique_ptr<char, decltype(&std::free)> name(
            seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr), &std::free);
        if (name) names.emplace_back(name.get());
    }
    return names;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<int> syscall_number(std::string_view name) {
    if (name.empty()) return std::nullopt;
    std::string s(name);
    int nr = seccomp_syscall_resolve_name_arch(SCMP_ARCH_X86_64, s.c_str());
    // libseccomp answers negative pseudo-numbers for syscalls that exist only elsewhere
    // (e.g. socketcall): those are not x86_64 syscalls.
    if (nr < 0 || nr >= kMaxNativeNr) return std::nullopt;
    return nr;
}

std::optional<std::string> syscall_name(int nr) {
    if (nr < 0 || nr >= kMaxNativeNr) return std::nullopt;
    std::unique_ptr<char, decltype(&std::free)> name(
        seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr), &std::free);
    if (!name) return std::nullopt;
    return std::string(name.get());
}

const std::vector<std::string>& all_syscall_names() {
    static const std::vector<std::string> names = load_syscall_names();
    return names;
}

size_t edit_distance(std::string_view a, std::string_view b) {
    std::vector<size_t> row(b.size() + 1);
    for (size_t j = 0; j <= b.size(); ++j) row[j] = j;
    for (size_t i = 1; i <= a.size(); ++i) {
        size_t diagonal = row[0];
        row[0] = i;
        for (size_t j = 1; j <= b.size(); ++j) {
            size_t above = row[j];
            size_t substitute = diagonal + (a[i - 1] == b[j - 1] ? 0 : 1);
            row[j] = std::min({above + 1, row[j - 1] + 1, substitute});
            diagonal = above;
        }
    }
    return row[b.size()];
}

std::string nearest(std::string_view word, const std::vector<std::string>& candidates) {
    // A suggestion more different than a third of the word is noise, not help. Case does not
    // count: "ALLOW" should find "allow", "af_inet" "AF_INET".
    size_t limit = std::max<size_t>(2, word.size() / 3);
    std::string best;
    size_t best_distance = limit + 1;
    std::string lower_word = lower(word);
    for (const auto& c : candidates) {
        size_t d = edit_distance(lower_word, lower(c));
        if (d < best_distance) {
            best_distance = d;
            best = c;
        }
    }
    return best;
}

std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
    std::string n = nearest(word, candidates);
    return n.empty() ? std::string() : "; did you mean '" + n + "'?";
}

}  // namespace vigil
