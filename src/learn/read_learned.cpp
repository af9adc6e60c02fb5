// Reading the [learned] table of a previously learned profile, for `vigil learn -p BASE`.
// The TOML tree directly: load_profile treats [learned] as opaque metadata.
#include "../profile/reader.hpp"  // toml11 3.x/4.x compatibility and the nesting-depth guard
#include "vigil/error.hpp"
#include "vigil/learn.hpp"

namespace vigil::learn {

namespace {

using profile_detail::TomlValue;
using profile_detail::text_of;

std::set<std::string> string_set(const TomlValue& v, const std::string& where) {
    std::set<std::string> out;
    if (!v.is_array()) throw Error(where + ": expected an array of strings");
    for (const auto& item : v.as_array()) {
        if (!item.is_string()) throw Error(where + ": expected an array of strings");
        out.insert(text_of(item));
    }
    return out;
}

SyscallStats read_syscall(const std::string& name, const TomlValue& v, const std::string& file) {
    std::string where = file + ": [learned.syscalls] " + name;
    if (!v.is_table()) throw Error(where + ": expected a table");
    SyscallStats s;
    for (const auto& [key, value] : v.as_table()) {
        std::string at = where + "." + key;
        if (key == "count") {
            if (!value.is_integer() || value.as_integer() < 0)
                throw Error(at + ": expected a non-negative integer");
            s.count = static_cast<uint64_t>(value.as_integer());
        } else if (key == "phases") {
            s.phases = string_set(value, at);
        } else if (key == "threads") {
            s.threads = string_set(value, at);
        } else if (key == "overflow") {
            s.overflow = string_set(value, at);
        } else {
            s.args[key] = string_set(value, at);
        }
    }
    return s;
}

}  // namespace

std::optional<LearnedStats> read_learned(const std::string& path) {
    const TomlValue root = profile_detail::read_toml(path);
    if (!root.is_table() || !root.contains("learned")) return std::nullopt;
    const auto& t = root.at("learned");
    LearnedStats stats;
    try {
        stats.mode = toml::find_or<std::string>(t, "mode", "fast");
        if (stats.mode != "fast" && stats.mode != "exact")
            throw Error(path + ": [learned] mode must be \"fast\" or \"exact\"");
        auto runs = toml::find_or<std::int64_t>(t, "runs", 1);
        if (runs < 0) throw Error(path + ": [learned] runs must not be negative");
        stats.runs = static_cast<uint64_t>(runs);
        stats.reached_ready = toml::find_or<bool>(t, "reached_ready", false);
        if (t.contains("assumed")) {
            auto assumed = string_set(t.at("assumed"), path + ": [learned] assumed");
            stats.assumed.assign(assumed.begin(), assumed.end());
        }
        if (t.contains("syscalls")) {
            const auto& sys = t.at("syscalls");
            if (!sys.is_table()) throw Error(path + ": [learned.syscalls] must be a table");
            for (const auto& [name, v] : sys.as_table())
                stats.syscalls[name] = read_syscall(name, v, path);
        }
    } catch (const toml::exception& e) {
        throw Error(path + ": bad [learned] table: " + e.what());
    }
    return stats;
}

}  // namespace vigil::learn
