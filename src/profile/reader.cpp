// Typed, diagnostic-collecting access to TOML values (see reader.hpp).
#include "reader.hpp"

#include <algorithm>

#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::profile_detail {

namespace {

const char* type_name(const TomlValue& v) {
    switch (v.type()) {
        case toml::value_t::boolean: return "a boolean";
        case toml::value_t::integer: return "an integer";
        case toml::value_t::floating: return "a float";
        case toml::value_t::string: return "a string";
        case toml::value_t::offset_datetime:
        case toml::value_t::local_datetime:
        case toml::value_t::local_date:
        case toml::value_t::local_time: return "a date/time";
        case toml::value_t::array: return "an array";
        case toml::value_t::table: return "a table";
        default: return "nothing";
    }
}

}  // namespace

std::string Diagnostics::text() const {
    // Files in the order they first reported something, then by position within each file.
    std::vector<std::string> order;
    for (const auto& d : items_)
        if (std::find(order.begin(), order.end(), d.where.file) == order.end())
            order.push_back(d.where.file);
    std::vector<Diagnostic> sorted = items_;
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        auto fa = std::find(order.begin(), order.end(), a.where.file) - order.begin();
        auto fb = std::find(order.begin(), order.end(), b.where.file) - order.begin();
        if (fa != fb) return fa < fb;
        if (a.where.line != b.where.line) return a.where.line < b.where.line;
        return a.where.column < b.where.column;
    });
    std::string out;
    for (const auto& d : sorted) {
        if (!out.empty()) out += '\n';
        out += d.where.str() + ": " + d.message;
    }
    return out;
}

SourcePos Reader::pos(const TomlValue& v) const {
    auto loc = v.location();
    SourcePos p{file_, static_cast<int>(loc.line()), static_cast<int>(loc.column())};
    if (p.line <= 0) p = {file_, 1, 1};  // toml11 has no region for values it synthesised
    return p;
}

void Reader::check_keys(const TomlValue& table, const std::string& name,
                        const std::vector<std::string>& known) {
    for (const auto& [key, value] : table.as_table()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string where = name.empty() ? "at the top level" : "in [" + name + "]";
        error(value, "unknown key '" + key + "' " + where + did_you_mean(key, known));
    }
}

const TomlValue* Reader::find(const TomlValue& table, const std::string& key) {
    const auto& t = table.as_table();
    auto it = t.find(key);
    return it == t.end() ? nullptr : &it->second;
}

bool Reader::expect_table(const TomlValue& v, const std::string& what) {
    if (v.is_table()) return true;
    error(v, what + ": expected a table, found " + type_name(v));
    return false;
}

std::optional<std::string> Reader::string(const TomlValue& v, const std::string& what) {
    if (v.is_string()) return v.as_string().str;
    error(v, what + ": expected a string, found " + type_name(v));
    return std::nullopt;
}

std::optional<bool> Reader::boolean(const TomlValue& v, const std::string& what) {
    if (v.is_boolean()) return v.as_boolean();
    error(v, what + ": expected true or false, found " + type_name(v));
    return std::nullopt;
}

std::optional<int64_t> Reader::integer(const TomlValue& v, const std::string& what, int64_t min,
                                       int64_t max) {
    if (!v.is_integer()) {
        error(v, what + ": expected an integer, found " + type_name(v));
        return std::nullopt;
    }
    int64_t n = v.as_integer();
    if (n < min || n > max) {
        error(v, what + ": " + std::to_string(n) + " is out of range (" + std::to_string(min) +
                     ".." + std::to_string(max) + ")");
        return std::nullopt;
    }
    return n;
}

std::optional<std::vector<const TomlValue*>> Reader::string_array(const TomlValue& v,
                                                                  const std::string& what) {
    if (!v.is_array()) {
        error(v, what + ": expected an array of strings, found " + type_name(v));
        return std::nullopt;
    }
    std::vector<const TomlValue*> items;
    bool ok = true;
    for (const auto& e : v.as_array()) {
        if (e.is_string()) {
            items.push_back(&e);
        } else {
            error(e, what + ": expected a string, found " + type_name(e));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return items;
}

std::optional<std::string> Reader::name_or_id(const TomlValue& v, const std::string& what) {
    if (v.is_integer()) {
        auto n = integer(v, what, 0, 0xfffffffe);  // (uid_t)-1 means "unchanged" to the kernel
        if (!n) return std::nullopt;
        return std::to_string(*n);
    }
    if (!v.is_string()) {
        error(v, what + ": expected a name or a number, found " + type_name(v));
        return std::nullopt;
    }
    const std::string& s = v.as_string().str;
    bool valid = !s.empty() && s.size() <= 32;
    for (char c : s)
        valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                          c == '.' || c == '$');
    if (!valid) {
        error(v, what + ": '" + s + "' is not a valid user or group name");
        return std::nullopt;
    }
    return s;
}

std::optional<Action> Reader::action(const TomlValue& v, const std::string& what) {
    auto text = string(v, what);
    if (!text) return std::nullopt;
    std::string problem;
    auto a = parse_action(*text, problem);
    if (!a) error(v, what + ": " + problem);
    return a;
}

}  // namespace vigil::profile_detail
