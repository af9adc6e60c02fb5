// [landlock]: the paths, TCP ports and scopes the kernel confines the app to.
//
// Layering follows [seccomp]'s rule, with a path (or a port) in the role of a syscall: a layer
// that names a path replaces what earlier layers granted on it, paths it does not name keep
// their grants. So a base profile can grant the JVM's directories and an app layer add its own,
// or narrow one (`read = ["/tmp"]` in the app layer turns a base's writable /tmp read-only).
// `scope` and `require_abi` are plain settings: the last layer that sets them wins.
#include <algorithm>
#include <filesystem>

#include "sections.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::profile_detail {

namespace {

namespace fs = std::filesystem;
using LS = LandlockSettings;

const std::vector<std::string> kKeys = {"read",     "write",       "read_write", "execute",
                                        "bind_tcp", "connect_tcp", "scope",      "require_abi"};
const std::vector<std::string> kScopes = {"signal", "abstract_unix"};

// Absolute and lexically normal; a relative path names something next to its profile file
// (the way includes do), so a profile shipped with its app can say "conf".
std::optional<std::string> grant_path(Reader& r, const TomlValue& item, const std::string& what) {
    const std::string& written = text_of(item);
    if (written.empty()) {
        r.error(item, what + ": empty path");
        return std::nullopt;
    }
    if (written.find('\0') != std::string::npos) {
        r.error(item, what + ": path contains a NUL byte");
        return std::nullopt;
    }
    fs::path p(written);
    if (p.is_relative()) p = fs::absolute(fs::path(r.file()).parent_path()) / p;
    std::string norm = p.lexically_normal().string();
    while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
    return norm;
}

void read_paths(Reader& r, const TomlValue& table, const char* key, unsigned access,
                std::map<std::string, LS::PathGrant>& layer) {
    const TomlValue* v = Reader::find(table, key);
    if (!v) return;
    std::string what = std::string("landlock.") + key;
    auto items = r.string_array(*v, what);
    if (!items) return;
    for (const TomlValue* item : *items) {
        auto path = grant_path(r, *item, what);
        if (!path) continue;
        if (*path == "/" && (access & LS::Write)) {
            r.error(*item, what + ": write access to '/' would let the app change the whole "
                               "filesystem; name the directories it writes (its data dir, /tmp)");
            continue;
        }
        auto& g = layer[*path];
        if (g.access == 0) g = {*path, 0, r.pos(*item)};
        g.access |= access;
    }
}

void read_ports(Reader& r, const TomlValue& table, const char* key, bool bind,
                std::map<int, LS::PortGrant>& layer, LandlockSettings& out) {
    const TomlValue* v = Reader::find(table, key);
    if (!v) return;
    std::string what = std::string("landlock.") + key;
    (bind ? out.bind_tcp : out.connect_tcp) = true;
    if (!v->is_array()) {
        r.error(*v, what + ": expected an array of TCP port numbers");
        return;
    }
    for (const auto& item : v->as_array()) {
        auto port = r.integer(item, what, 1, 65535);
        if (!port) continue;
        auto& g = layer[static_cast<int>(*port)];
        if (!g.bind && !g.connect) g.where = r.pos(item);
        (bind ? g.bind : g.connect) = true;
    }
}

void read_scope(Reader& r, const TomlValue& v, LandlockSettings& out) {
    auto items = r.string_array(v, "landlock.scope");
    if (!items) return;
    bool signal = false, abstract_unix = false;
    for (const TomlValue* item : *items) {
        const std::string& s = text_of(*item);
        if (s == "signal")
            signal = true;
        else if (s == "abstract_unix")
            abstract_unix = true;
        else
            r.error(*item, "landlock.scope: unknown scope '" + s + "' (signal, abstract_unix)" +
                               did_you_mean(s, kScopes));
    }
    out.scope_signal = signal;
    out.scope_abstract_unix = abstract_unix;
    out.scope_at = r.pos(v);
}

}  // namespace

void read_landlock(Reader& r, const TomlValue& table, LandlockSettings& out) {
    r.check_keys(table, "landlock", kKeys);
    out.present = true;
    std::map<std::string, LS::PathGrant> paths;
    read_paths(r, table, "read", LS::Read, paths);
    read_paths(r, table, "write", LS::Read | LS::Write, paths);
    read_paths(r, table, "read_write", LS::Read | LS::Write, paths);
    read_paths(r, table, "execute", LS::Read | LS::Execute, paths);
    for (const char* key : {"read", "write", "read_write", "execute"})
        if (Reader::find(table, key)) out.filesystem = true;
    for (auto& [path, grant] : paths) out.paths[path] = grant;

    std::map<int, LS::PortGrant> ports;
    read_ports(r, table, "bind_tcp", true, ports, out);
    read_ports(r, table, "connect_tcp", false, ports, out);
    for (auto& [port, grant] : ports) out.ports[port] = grant;

    if (const TomlValue* v = Reader::find(table, "scope")) read_scope(r, *v, out);
    if (const TomlValue* v = Reader::find(table, "require_abi")) {
        if (auto n = r.integer(*v, "landlock.require_abi", 0, 1000)) {
            out.require_abi = static_cast<int>(*n);
            out.require_at = r.pos(*v);
        }
    }
}

}  // namespace vigil::profile_detail
