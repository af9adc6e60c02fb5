// Profile -> Security Profiles Operator SeccompProfile (YAML), for `vigil compile --format spo`.
#include <errno.h>
#include "vigil/log.hpp"

#include <cctype>
#include <cstdint>
#include <filesystem>
#include <limits>

#include "vigil/error.hpp"
#include "vigil/oci.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

using nlohmann::json;

namespace {

constexpr const char* kGroup = "security-profiles-operator.x-k8s.io";

bool dns_label_char(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'; }
bool alnum_lower(char c) { return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'); }

// A YAML plain scalar that reads back as the same string (not a number, bool, null, or
// anything with indicators): enums and syscall names are.
bool plain_safe(const std::string& s) {
    if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
    for (char c : s)
        if (!std::isalnum(static_cast<unsigned char>(c)) && c != '_' && c != '-' && c != '.' && c != '/') return false;
    std::string l;
    for (char c : s) l += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    for (const char* word : {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "nan", "inf"})
        if (l == word) return false;
    return true;
}

std::string scalar(const json& v) {
    if (v.is_string()) {
        const auto& s = v.get_ref<const std::string&>();
        return plain_safe(s) ? s : v.dump();  // JSON escapes are YAML double-quoted escapes
    }
    return v.dump();  // numbers, booleans, null
}

bool is_nonempty_container(const json& v) { return (v.is_object() || v.is_array()) && !v.empty(); }

void emit(const json& v, int indent, std::string& out) {
    std::string pad(static_cast<size_t>(indent), ' ');
    if (v.is_object()) {
        for (const auto& [key, item] : v.items()) {
            out += pad + scalar(json(key)) + ":";
            if (is_nonempty_container(item)) {
                out += "\n";
                emit(item, item.is_array() ? indent : indent + 2, out);
            } else {
                out += " " + (item.is_object() ? std::string("{}") : item.is_array() ? std::string("[]") : scalar(item)) + "\n";
            }
        }
    } else if (v.is_array()) {
        for (const auto& item : v) {
            if (item.is_object() && !item.empty()) {
                // "- key: value" then the other keys aligned under the first.
                std::string block;
                emit(item, indent + 2, block);
                out += pad + "- " + block.substr(static_cast<size_t>(indent) + 2);
            } else if (item.is_array() && !item.empty()) {
                out += pad + "-\n";
                emit(item, indent + 2, out);
            } else {
                out += pad + "- " + (item.is_object() ? std::string("{}") : item.is_array() ? std::string("[]") : scalar(item)) + "\n";
            }
        }
    } else {
        out += pad + scalar(v) + "\n";
    }
}

}  // namespace

std::string to_yaml(const json& value) {
    std::string out;
    emit(value, 0, out);
    return out;
}

std::string k8s_name_problem(const std::string& name) {
    if (name.empty()) return "it is empty";
    if (name.size() > 253) return "it is longer than 253 characters";
    size_t start = 0;
    while (start <= name.size()) {
        size_t dot = name.find('.', start);
        std::string label = name.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
        if (label.empty()) return "it has an empty part between dots";
        if (label.size() > 63) return "a part between dots is longer than 63 characters";
        for (char c : label)
            if (!dns_label_char(c)) return std::string("'") + c + "' is not a lower-case letter, digit, '-' or '.'";
        if (!alnum_lower(label.front()) || !alnum_lower(label.back()))
            return "each part must start and end with a lower-case letter or digit";
        if (dot == std::string::npos) break;
        start = dot + 1;
    }
    return "";
}

std::string spo_default_name(const std::string& path) {
    std::string stem = std::filesystem::path(path).stem().string(), out;
    for (char c : stem) {
        char l = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
        out += alnum_lower(l) ? l : '-';
    }
    while (!out.empty() && !alnum_lower(out.front())) out.erase(out.begin());
    while (!out.empty() && !alnum_lower(out.back())) out.pop_back();
    if (out.size() > 63) out.resize(63);
    while (!out.empty() && !alnum_lower(out.back())) out.pop_back();
    return out.empty() ? "vigil-profile" : out;
}

json profile_to_spo(const Profile& profile, const std::string& name, const std::string& api_version) {
    if (api_version != "v1" && api_version != "v1beta1")
        throw Error("spo: unknown SeccompProfile version '" + api_version + "' (expected v1 or v1beta1)");
    if (std::string why = k8s_name_problem(name); !why.empty())
        throw Error("spo: '" + name + "' cannot name a SeccompProfile: " + why +
                    " (a DNS-1123 subdomain, e.g. 'hapi-fhir'; use --name)");
    // The CRD's argument values are int64 with minimum 0.
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<int64_t>::max());
    for (const auto& rule : profile.rules)
        for (const auto& c : rule.conditions)
            if (c.value > kMax || c.mask > kMax)
                throw Error(rule.where.str() + ": rule for " + rule.syscall + " (" + c.text +
                            "): a SeccompProfile cannot hold argument values above 2^63-1 (its args are "
                            "int64); use --format oci for the runtime's own JSON");

    json oci = profile_to_oci(profile);  // warns about notified syscalls and overlaps
    json spec = {{"defaultAction", oci.at("defaultAction")}, {"architectures", oci.at("architectures")},
                 {"syscalls", oci.at("syscalls")}};
    if (oci.contains("defaultErrnoRet") && oci.at("defaultErrnoRet").get<int>() != EPERM)
        log::warn("a SeccompProfile has no defaultErrnoRet: the runtime answers EPERM, not {}, for "
                     "syscalls no rule names",
                     errno_name(oci.at("defaultErrnoRet").get<int>()).value_or("errno " + oci.at("defaultErrnoRet").dump()));
    json out = {{"apiVersion", std::string(kGroup) + "/" + api_version},
                {"kind", "SeccompProfile"},
                {"metadata", {{"name", name}}},
                {"spec", std::move(spec)}};
    return out;
}

}  // namespace vigil
