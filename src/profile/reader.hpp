// Internal to src/profile: typed access to one parsed TOML file that records a diagnostic
// ("FILE:LINE:COL: message") instead of throwing, so that one run reports every problem.
#pragma once

#include <toml.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil::profile_detail {

using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;

struct Diagnostic {
    SourcePos where;
    std::string message;
};

class Diagnostics {
public:
    void add(const SourcePos& where, const std::string& message) {
        items_.push_back({where, message});
    }
    bool empty() const { return items_.empty(); }
    // One "FILE:LINE:COL: message" line per problem, in file order then position.
    std::string text() const;

private:
    std::vector<Diagnostic> items_;
};

class Reader {
public:
    Reader(std::string file, Diagnostics& diags) : file_(std::move(file)), diags_(diags) {}

    const std::string& file() const { return file_; }
    SourcePos pos(const TomlValue& v) const;
    void error(const TomlValue& v, const std::string& message) { diags_.add(pos(v), message); }
    void error(const SourcePos& where, const std::string& message) { diags_.add(where, message); }

    // Reports every key of TABLE not in KNOWN; NAME is the table's dotted name ("" = top level).
    void check_keys(const TomlValue& table, const std::string& name,
                    const std::vector<std::string>& known);
    // The value under KEY, or nullptr.
    static const TomlValue* find(const TomlValue& table, const std::string& key);

    // Typed reads; WHAT names the setting in messages ("seccomp.default").
    bool expect_table(const TomlValue& v, const std::string& what);
    std::optional<std::string> string(const TomlValue& v, const std::string& what);
    std::optional<bool> boolean(const TomlValue& v, const std::string& what);
    std::optional<int64_t> integer(const TomlValue& v, const std::string& what, int64_t min,
                                   int64_t max);
    // An array whose elements are all strings (each element kept for its position).
    std::optional<std::vector<const TomlValue*>> string_array(const TomlValue& v,
                                                              const std::string& what);
    // A string, or an integer >= 0 written as its decimal text (user/group ids).
    std::optional<std::string> name_or_id(const TomlValue& v, const std::string& what);
    std::optional<Action> action(const TomlValue& v, const std::string& what);

private:
    std::string file_;
    Diagnostics& diags_;
};

}  // namespace vigil::profile_detail
