// Internal to src/profile: typed access to one parsed TOML file that records a diagnostic
// ("FILE:LINE:COL: message") instead of throwing, so that one run reports every problem.
#pragma once

#include <toml.hpp>

#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil::profile_detail {

// toml11 3.x (Debian 12) and 4.x (Debian 13) spell the value type, string access, source
// positions and syntax errors differently; reader.cpp is the only place that knows both.
// Tables are std::map in both so that keys are visited in a stable order.
#if TOML11_VERSION_MAJOR >= 4
struct TomlConfig : toml::type_config {
    using comment_type = toml::discard_comments;
    template <typename K, typename T>
    using table_type = std::map<K, T>;
};
using TomlValue = toml::basic_value<TomlConfig>;
#else
using TomlValue = toml::basic_value<toml::discard_comments, std::map, std::vector>;
#endif

// The text of a string value (the caller checked is_string()).
const std::string& text_of(const TomlValue& v);

// Deeper nesting than this (arrays, inline tables and dotted keys together) is refused before
// toml11 sees the text: its parser and its destructors recurse once per level.
inline constexpr int max_toml_depth = 64;

// Parses TEXT as the TOML file PATH. On failure returns nullopt and sets WHERE and MESSAGE
// ("TOML syntax error: ..."); never throws for bad input and never recurses without bound.
std::optional<TomlValue> parse_toml_text(const std::string& text, const std::string& path,
                                         SourcePos& where, std::string& message);
// The bytes of the regular file PATH, or nullopt with PROBLEM saying why not (a FIFO or a
// device is refused without blocking on it).
std::optional<std::string> read_text(const std::string& path, std::string& problem);
// parse_toml_text on a file read from disk; a file that cannot be read is reported at PATH.
std::optional<TomlValue> parse_toml_file(const std::string& path, SourcePos& where,
                                         std::string& message);
// parse_toml_file for callers outside the profile loader: throws vigil::Error
// ("FILE:LINE:COL: TOML syntax error: ...") instead.
TomlValue read_toml(const std::string& path);

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
    // pos() on toml11 3.x: offsets of the line starts of the source last asked about.
    mutable std::shared_ptr<const void> line_index_source_;
    mutable std::vector<size_t> line_starts_;
};

}  // namespace vigil::profile_detail
