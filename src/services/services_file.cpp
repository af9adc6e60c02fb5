// The services file of `vigil up`: parsed once into ServiceSpec values with source positions;
// every problem is reported at once, one FILE:LINE:COL line each.
#include <sys/stat.h>

#include <algorithm>
#include <cctype>
#include <climits>
#include <filesystem>
#include <map>
#include <string>

#include "../profile/reader.hpp"  // toml11 3.x/4.x compatibility, nesting-depth guard, typed reads
#include "vigil/error.hpp"
#include "vigil/text.hpp"         // parse_duration_ms: the durations the command line accepts
#include "vigil/services.hpp"
#include "vigil/syscalls.hpp"     // did_you_mean

namespace vigil {

using namespace profile_detail;
namespace fs = std::filesystem;

namespace {

const std::vector<std::string> kServiceKeys = {"name",    "command",     "profile",       "depends_on",
                                               "restart", "restart_max", "restart_delay", "stop_timeout"};

// Names appear at the start of every relayed line and in messages: keep them plain.
bool valid_name(const std::string& n) {
    if (n.empty() || n.size() > 63) return false;
    if (!std::isalnum(static_cast<unsigned char>(n[0]))) return false;
    return std::all_of(n.begin(), n.end(), [](char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' || c == '.';
    });
}

std::optional<int> duration(Reader& r, const TomlValue& v, const std::string& what) {
    auto written = r.string(v, what);
    if (!written) return std::nullopt;
    auto ms = text::parse_duration_ms(*written);
    if (!ms) r.error(v, what + ": '" + *written + "' is not a duration; write e.g. \"10s\", \"500ms\" or \"2m\"");
    return ms;
}

struct ParsedService {
    ServiceSpec spec;
    SourcePos name_at, profile_at;
    bool ok = true;
};

void read_service(Reader& r, const TomlValue& t, size_t index, const fs::path& dir, ParsedService& out) {
    ServiceSpec& s = out.spec;
    s.where = r.pos(t);
    std::string what = "service[" + std::to_string(index) + "]";
    r.check_keys(t, "[service]", kServiceKeys);
    if (const TomlValue* v = Reader::find(t, "name")) {
        out.name_at = r.pos(*v);
        if (auto n = r.string(*v, what + ".name")) {
            if (valid_name(*n)) s.name = *n;
            else r.error(*v, what + ".name: '" + *n + "' is not a service name: use 1-63 letters, digits, '_', '-' or '.', starting with a letter or digit");
        }
    } else {
        r.error(t, what + ": no name; add name = \"...\"");
    }
    if (!s.name.empty()) what = "service '" + s.name + "'";
    if (const TomlValue* v = Reader::find(t, "command")) {
        if (auto items = r.string_array(*v, what + ".command")) {
            for (const TomlValue* item : *items) s.command.push_back(text_of(*item));
            if (s.command.empty()) r.error(*v, what + ".command: empty; give the program and its arguments, e.g. [\"/bin/app\", \"--serve\"]");
            else if (s.command[0].empty()) r.error(*(*items)[0], what + ".command: the program name is empty");
        }
    } else {
        r.error(t, what + ": no command; add command = [\"PROGRAM\", \"ARG\"...]");
    }
    if (const TomlValue* v = Reader::find(t, "profile")) {
        out.profile_at = r.pos(*v);
        if (auto p = r.string(*v, what + ".profile")) {
            if (p->empty()) {
                r.error(*v, what + ".profile: empty path");
            } else {
                fs::path target = fs::path(*p).is_absolute() ? fs::path(*p) : dir / *p;
                s.profile_path = target.lexically_normal().string();
                struct stat st {};
                if (stat(s.profile_path.c_str(), &st) != 0 || !S_ISREG(st.st_mode)) {
                    r.error(*v, what + ".profile: " + s.profile_path + " is not a readable file (paths are relative to " +
                                    (dir.empty() ? std::string(".") : dir.string()) + ")");
                    s.profile_path.clear();
                    out.ok = false;
                }
            }
        }
    }
    if (const TomlValue* v = Reader::find(t, "depends_on")) {
        if (auto items = r.string_array(*v, what + ".depends_on"))
            for (const TomlValue* item : *items) s.depends_on.push_back({text_of(*item), r.pos(*item)});
    }
}

// The service table's supervision keys, applied over what the profile says.
void read_supervision(Reader& r, const TomlValue& t, const std::string& what, SuperviseSettings& out) {
    if (const TomlValue* v = Reader::find(t, "restart")) {
        if (auto written = r.string(*v, what + ".restart")) {
            if (auto mode = parse_restart_mode(*written)) out.restart.mode = *mode;
            else r.error(*v, what + ".restart: '" + *written + "' is not a restart policy; use \"no\", \"on-failure\" or \"always\"");
        }
    }
    if (const TomlValue* v = Reader::find(t, "restart_max"))
        if (auto n = r.integer(*v, what + ".restart_max", 0, 1000000)) out.restart.max = static_cast<int>(*n);
    if (const TomlValue* v = Reader::find(t, "restart_delay"))
        if (auto ms = duration(r, *v, what + ".restart_delay")) out.restart.delay_ms = *ms;
    if (const TomlValue* v = Reader::find(t, "stop_timeout"))
        if (auto ms = duration(r, *v, what + ".stop_timeout")) out.stop_timeout_ms = *ms;
}

}  // namespace

std::vector<std::string> dependency_cycle(const std::vector<ServiceSpec>& services, size_t* at) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < services.size(); ++i) index.emplace(services[i].name, i);
    enum Color { White, Grey, Black };
    std::vector<Color> color(services.size(), White);
    std::vector<size_t> stack;  // the path being explored
    std::vector<std::string> cycle;
    // Depth-first, iterative over an explicit stack of (service, next dependency) so that a
    // long chain cannot exhaust vigil's stack.
    for (size_t root = 0; root < services.size() && cycle.empty(); ++root) {
        if (color[root] != White) continue;
        std::vector<std::pair<size_t, size_t>> work{{root, 0}};
        color[root] = Grey;
        stack.assign(1, root);
        while (!work.empty() && cycle.empty()) {
            auto& [node, next] = work.back();
            const auto& deps = services[node].depends_on;
            if (next == deps.size()) {
                color[node] = Black;
                work.pop_back();
                stack.pop_back();
                continue;
            }
            auto it = index.find(deps[next++].name);
            if (it == index.end()) continue;
            size_t dep = it->second;
            if (color[dep] == Grey) {
                auto from = std::find(stack.begin(), stack.end(), dep);
                for (auto p = from; p != stack.end(); ++p) cycle.push_back(services[*p].name);
                cycle.push_back(services[dep].name);
                if (at) *at = node;
            } else if (color[dep] == White) {
                color[dep] = Grey;
                stack.push_back(dep);
                work.push_back({dep, 0});
            }
        }
    }
    return cycle;
}

std::vector<size_t> start_order(const std::vector<ServiceSpec>& services) {
    std::map<std::string, size_t> index;
    for (size_t i = 0; i < services.size(); ++i) index.emplace(services[i].name, i);
    std::vector<bool> placed(services.size(), false);
    std::vector<size_t> order;
    while (order.size() < services.size()) {
        bool progress = false;
        for (size_t i = 0; i < services.size(); ++i) {
            if (placed[i]) continue;
            bool ready = std::all_of(services[i].depends_on.begin(), services[i].depends_on.end(), [&](const auto& d) {
                auto it = index.find(d.name);
                return it == index.end() || placed[it->second];
            });
            if (!ready) continue;
            placed[i] = true;
            order.push_back(i);
            progress = true;
            break;  // again from the top: file order among those that can start
        }
        if (!progress) break;  // a cycle: load_services refuses those
    }
    return order;
}

ServicesFile load_services(const std::string& path) {
    Diagnostics diags;
    SourcePos where;
    std::string message;
    auto root = parse_toml_file(path, where, message);
    if (!root) {
        diags.add(where, message);
        throw Error(diags.text(), kExitVigilError);
    }
    Reader r(path, diags);
    ServicesFile out;
    out.path = path;
    fs::path dir = fs::path(path).parent_path();
    r.check_keys(*root, "", {"service"});
    const TomlValue* list = Reader::find(*root, "service");
    std::vector<ParsedService> parsed;
    std::vector<const TomlValue*> tables;
    if (!list) {
        r.error(SourcePos{path, 1, 1}, "no services: add one [[service]] table per service (name, command, profile...)");
    } else if (!list->is_array()) {
        r.error(*list, "service: expected [[service]] tables");
    } else {
        size_t i = 0;
        for (const TomlValue& t : list->as_array()) {
            ++i;
            if (!r.expect_table(t, "service[" + std::to_string(i) + "]")) continue;
            ParsedService p;
            read_service(r, t, i, dir, p);
            parsed.push_back(std::move(p));
            tables.push_back(&t);
        }
    }

    // Names: unique, so that dependencies and log lines say which service they mean.
    std::map<std::string, SourcePos> seen;
    for (auto& p : parsed) {
        if (p.spec.name.empty()) continue;
        auto [it, fresh] = seen.emplace(p.spec.name, p.name_at);
        if (!fresh) r.error(p.name_at, "service name '" + p.spec.name + "' is used twice (first at " + it->second.str() + ")");
    }
    std::vector<std::string> names;
    for (const auto& [n, _] : seen) names.push_back(n);
    for (auto& p : parsed) {
        std::vector<std::string> listed;
        for (const auto& d : p.spec.depends_on) {
            if (d.name == p.spec.name) {
                r.error(d.where, "service '" + p.spec.name + "' depends on itself");
            } else if (!seen.count(d.name)) {
                r.error(d.where, "depends_on: no service is named '" + d.name + "'" + did_you_mean(d.name, names));
            } else if (std::find(listed.begin(), listed.end(), d.name) != listed.end()) {
                r.error(d.where, "depends_on: '" + d.name + "' is listed twice");
            }
            listed.push_back(d.name);
        }
    }

    // Profiles: each service's own sandbox, loaded (and checked) now, before anything runs.
    std::string profile_errors;
    for (size_t i = 0; i < parsed.size(); ++i) {
        ServiceSpec& s = parsed[i].spec;
        if (!s.profile_path.empty()) {
            try {
                s.profile = load_profile(s.profile_path);
                s.supervise = s.profile->supervise;
                // Outward readiness, health checks and signal rewriting are per-run supervision
                // that the group does not carry out yet: refused, never silently dropped.
                const SuperviseSettings& ps = s.profile->supervise;
                std::string unsupported = ps.health ? "health" : !ps.ready_file.empty() ? "ready_file"
                                        : !ps.rewrite_signals.empty() ? "rewrite_signals"
                                        : ps.pdeath_signal ? "pdeath_signal" : "";
                if (!unsupported.empty())
                    r.error(parsed[i].profile_at, "service '" + s.name + "': its profile " + s.profile_path +
                                                      " sets [supervise] " + unsupported +
                                                      ", which vigil up does not apply; remove it from that "
                                                      "profile (restart and stop_timeout belong in the [[service]] table)");
            } catch (const Error& e) {
                r.error(parsed[i].profile_at, "service '" + s.name + "': its profile " + s.profile_path + " is invalid (below)");
                std::string text = std::string("\n") + e.what();
                if (profile_errors.find(text) == std::string::npos) profile_errors += text;  // one profile, several services
            }
        }
        read_supervision(r, *tables[i], s.name.empty() ? "service" : "service '" + s.name + "'", s.supervise);
    }

    for (auto& p : parsed) out.services.push_back(std::move(p.spec));
    size_t at = 0;
    auto cycle = dependency_cycle(out.services, &at);
    if (cycle.size() > 2) {  // a service naming itself is reported above
        std::string chain;
        for (const auto& n : cycle) chain += (chain.empty() ? "" : " -> ") + n;
        // Reported at the entry of depends_on that closes the cycle.
        SourcePos pos = out.services[at].where;
        for (const auto& d : out.services[at].depends_on)
            if (d.name == cycle.front()) pos = d.where;
        r.error(pos, "dependency cycle: " + chain + "; no service of it could ever start");
    }
    if (out.services.empty() && diags.empty()) r.error(SourcePos{path, 1, 1}, "no services");
    if (!diags.empty()) throw Error(diags.text() + profile_errors, kExitVigilError);
    return out;
}

}  // namespace vigil
