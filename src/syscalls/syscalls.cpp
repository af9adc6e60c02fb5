// x86_64 syscall names <-> numbers, from vigil's own copy of the kernel's table (table.cpp,
// independent of the libseccomp vigil is built with), and the "did you mean" helper every
// vocabulary lookup uses.
#include "vigil/syscalls.hpp"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <string>
#include <unordered_map>

#include "table.hpp"

namespace vigil {

namespace {

using syscalls_detail::x86_64_table;

// Upper bound of native x86_64 numbers; x32 starts at 512 with its own bit and is not native.
constexpr int kMaxNativeNr = 512;

struct Index {
    std::vector<std::string> names;                // in number order
    std::vector<std::string> by_nr;                // "" for holes
    std::unordered_map<std::string, int> by_name;
};

const Index& index() {
    static const Index idx = [] {
        Index i;
        i.by_nr.resize(kMaxNativeNr);
        for (const auto& e : x86_64_table()) {
            i.names.emplace_back(e.name);
            i.by_nr[static_cast<size_t>(e.nr)] = e.name;
            i.by_name.emplace(e.name, e.nr);
        }
        return i;
    }();
    return idx;
}

std::string lower(std::string_view s) {
    std::string out(s);
    for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return out;
}

}  // namespace

std::optional<int> syscall_number(std::string_view name) {
    const auto& by_name = index().by_name;
    auto it = by_name.find(std::string(name));
    if (it == by_name.end()) return std::nullopt;
    return it->second;
}

std::optional<std::string> syscall_name(int nr) {
    if (nr < 0 || nr >= kMaxNativeNr || index().by_nr[static_cast<size_t>(nr)].empty()) return std::nullopt;
    return index().by_nr[static_cast<size_t>(nr)];
}

const std::vector<std::string>& all_syscall_names() { return index().names; }

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
