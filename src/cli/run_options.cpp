#include "vigil/run_options.hpp"

#include <charconv>
#include <cstdlib>
#include <string>

#include "vigil/error.hpp"

namespace vigil {

namespace {

std::string env(const char* name) {
    const char* v = std::getenv(name);
    return v ? v : "";
}

bool parse_bool(const std::string& text, const char* what) {
    if (text == "1" || text == "true" || text == "yes") return true;
    if (text == "0" || text == "false" || text == "no" || text.empty()) return false;
    throw Error(std::string(what) + "='" + text + "' is not a boolean; use 1 or 0");
}

int parse_exit_code(const std::string& text, const std::string& what) {
    int v = -1;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), v);
    if (ec != std::errc() || p != text.data() + text.size() || v < 0 || v > 255)
        throw Error(what + ": '" + text + "' is not an exit code (0-255)");
    return v;
}

void add_exit_codes(const std::string& list, const std::string& what, std::vector<int>& out) {
    size_t start = 0;
    while (start <= list.size()) {
        size_t end = list.find(',', start);
        if (end == std::string::npos) end = list.size();
        out.push_back(parse_exit_code(list.substr(start, end - start), what));
        start = end + 1;
    }
}

int duration_or_throw(const std::string& text, const std::string& what) {
    auto ms = parse_duration_ms(text);
    if (!ms) throw Error(what + ": '" + text + "' is not a duration; use e.g. 10s, 500ms or 2m");
    return *ms;
}

void read_environment(RunOptions& o) {
    o.profile_path = env("VIGIL_PROFILE");
    o.complain = parse_bool(env("VIGIL_COMPLAIN"), "VIGIL_COMPLAIN");
    if (!env("VIGIL_SIGNAL_GROUP").empty()) o.signal_group = parse_bool(env("VIGIL_SIGNAL_GROUP"), "VIGIL_SIGNAL_GROUP");
    if (!env("VIGIL_STOP_TIMEOUT").empty())
        o.stop_timeout_ms = duration_or_throw(env("VIGIL_STOP_TIMEOUT"), "VIGIL_STOP_TIMEOUT");
    if (!env("VIGIL_REMAP_EXIT").empty()) add_exit_codes(env("VIGIL_REMAP_EXIT"), "VIGIL_REMAP_EXIT", o.remap_exit);
}

}  // namespace

std::optional<int> parse_duration_ms(const std::string& text) {
    long long value = 0;
    auto [p, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
    if (ec != std::errc() || p == text.data() || value < 0) return std::nullopt;
    std::string unit(p, text.data() + text.size());
    long long scale = 0;
    if (unit.empty() || unit == "s") scale = 1000;
    else if (unit == "ms") scale = 1;
    else if (unit == "m") scale = 60000;
    else return std::nullopt;
    if (value > 86400000LL / scale) return std::nullopt;  // a day is plenty
    return static_cast<int>(value * scale);
}

RunOptions parse_run_options(const std::vector<std::string>& args) {
    RunOptions o;
    read_environment(o);
    size_t i = 0;
    auto value = [&](const std::string& opt) -> std::string {
        if (i + 1 >= args.size()) throw Error("option " + opt + " needs a value (see vigil run --help)");
        return args[++i];
    };
    for (; i < args.size(); ++i) {
        std::string a = args[i];
        std::string inline_value;
        if (a.rfind("--", 0) == 0 && a.find('=') != std::string::npos) {
            inline_value = a.substr(a.find('=') + 1);
            a = a.substr(0, a.find('='));
        }
        auto val = [&](const std::string& opt) { return inline_value.empty() ? value(opt) : inline_value; };
        if (a == "--") {
            ++i;
            break;
        }
        if (a == "-h" || a == "--help") o.help = true;
        else if (a == "-p" || a == "--profile") o.profile_path = val(a);
        else if (a == "--complain") o.complain = true;
        else if (a == "--dry-run") o.dry_run = true;
        else if (a == "-g" || a == "--signal-group") o.signal_group = true;
        else if (a == "-t" || a == "--stop-timeout") o.stop_timeout_ms = duration_or_throw(val(a), a);
        else if (a == "-e" || a == "--remap-exit") add_exit_codes(val(a), a, o.remap_exit);
        else if (a == "--audit") o.audit_path = val(a);
        else if (a == "--audit-format") o.audit_format = val(a);
        else if (!a.empty() && a[0] == '-') throw Error("unknown option " + a + " (see vigil run --help)");
        else break;  // `vigil CMD ARGS`: the command starts here
    }
    o.command.assign(args.begin() + static_cast<long>(std::min(i, args.size())), args.end());
    if (o.command.empty() && !o.help) throw Error("no command given: vigil [run] [OPTIONS] -- CMD [ARGS...]");
    if (!o.audit_format.empty() && o.audit_format != "json" && o.audit_format != "fhir")
        throw Error("--audit-format: '" + o.audit_format + "' is not a format; use json or fhir");
    return o;
}

void apply_supervise_overrides(const RunOptions& opts, SuperviseOptions& sup) {
    if (opts.stop_timeout_ms) sup.settings.stop_timeout_ms = *opts.stop_timeout_ms;
    if (opts.signal_group) sup.settings.signal_group = *opts.signal_group;
    sup.settings.remap_exit.insert(sup.settings.remap_exit.end(), opts.remap_exit.begin(), opts.remap_exit.end());
    sup.forward_to_group = sup.settings.signal_group;
}

}  // namespace vigil
