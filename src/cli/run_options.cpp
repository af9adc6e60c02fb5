#include "vigil/run_options.hpp"

#include <charconv>
#include <cstdlib>
#include <set>
#include <string>

#include "vigil/error.hpp"
#include "vigil/phases.hpp"
#include "vigil/text.hpp"

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

int count_or_throw(const std::string& text, const std::string& what, long long lo, long long hi) {
    auto n = text::parse_integer(text, lo, hi);
    if (!n) throw Error(what + ": '" + text + "' is not a number from " + std::to_string(lo) + " to " + std::to_string(hi));
    return static_cast<int>(*n);
}

int signal_or_throw(const std::string& text, const std::string& what) {
    auto sig = text::parse_signal(text);
    if (!sig) throw Error(what + ": unknown signal '" + text + "' (a name such as TERM or SIGQUIT, or a number)");
    return *sig;
}

std::string loopback_url_or_throw(const std::string& text, const std::string& what) {
    try {
        parse_loopback_url(text);
    } catch (const Error& e) {
        throw Error(what + ": '" + text + "' is not an http:// URL on loopback (127.0.0.1, [::1] or localhost)");
    }
    return text;
}

ReadyCondition& ready_of(RunOptions& o) {
    if (!o.ready) o.ready = ReadyCondition{};
    return *o.ready;
}

// One option that takes a value, by its long name or its environment variable: both spell the
// value alike, so both are read here.
bool value_option(RunOptions& o, const std::string& opt, const std::string& v) {
    auto is = [&](const char* flag, const char* var) { return opt == flag || opt == var; };
    if (is("--restart", "VIGIL_RESTART")) {
        auto m = parse_restart_mode(v);
        if (!m) throw Error(opt + ": '" + v + "' is not a restart policy; use no, on-failure or always");
        o.restart = *m;
    } else if (is("--restart-max", "VIGIL_RESTART_MAX")) {
        o.restart_max = count_or_throw(v, opt, 0, 1000000);
    } else if (is("--restart-delay", "VIGIL_RESTART_DELAY")) {
        o.restart_delay_ms = duration_or_throw(v, opt);
    } else if (is("--health-http", "VIGIL_HEALTH_HTTP")) {
        o.health_http = loopback_url_or_throw(v, opt);
    } else if (is("--health-tcp", "VIGIL_HEALTH_TCP")) {
        o.health_tcp = count_or_throw(v, opt, 1, 65535);
    } else if (is("--health-interval", "VIGIL_HEALTH_INTERVAL")) {
        o.health_interval_ms = duration_or_throw(v, opt);
        if (*o.health_interval_ms < 100) throw Error(opt + ": '" + v + "' is shorter than 100ms");
    } else if (is("--health-timeout", "VIGIL_HEALTH_TIMEOUT")) {
        o.health_timeout_ms = duration_or_throw(v, opt);
        if (*o.health_timeout_ms < 1) throw Error(opt + ": '" + v + "' is shorter than 1ms");
    } else if (is("--health-failures", "VIGIL_HEALTH_FAILURES")) {
        o.health_failures = count_or_throw(v, opt, 1, 1000);
    } else if (is("--ready-tcp", "VIGIL_READY_TCP")) {
        ready_of(o).tcp_listen = count_or_throw(v, opt, 1, 65535);
    } else if (is("--ready-http", "VIGIL_READY_HTTP")) {
        ready_of(o).http_get = loopback_url_or_throw(v, opt);
    } else if (is("--ready-output", "VIGIL_READY_OUTPUT")) {
        if (auto why = validate_output_regex(v)) throw Error(opt + ": bad regular expression '" + v + "' (RE2 syntax): " + *why);
        ready_of(o).output_match = v;
    } else if (is("--ready-after", "VIGIL_READY_AFTER")) {
        ready_of(o).after_ms = duration_or_throw(v, opt);
    } else if (is("--ready-timeout", "VIGIL_READY_TIMEOUT")) {
        o.ready_timeout_ms = duration_or_throw(v, opt);
    } else if (is("--ready-file", "VIGIL_READY_FILE")) {
        if (v.empty() || v.back() == '/') throw Error(opt + ": '" + v + "' is not a file path");
        o.ready_file = v;
    } else if (is("-r", "VIGIL_REWRITE_SIGNAL") || opt == "--rewrite-signal") {
        auto colon = v.find(':');
        if (colon == std::string::npos)
            throw Error(opt + ": '" + v + "' is not FROM:TO (e.g. TERM:QUIT, or HUP:0 to drop SIGHUP)");
        int from = signal_or_throw(v.substr(0, colon), opt);
        std::string to_text = v.substr(colon + 1);
        o.rewrite_signals[from] = to_text == "0" ? 0 : signal_or_throw(to_text, opt);
    } else if (is("-u", "VIGIL_USER") || opt == "--user") {
        auto colon = v.find(':');
        std::string user = v.substr(0, colon);
        if (user.empty()) throw Error(opt + ": '" + v + "' has no user; use USER or USER:GROUP");
        o.user = user;
        o.group.reset();
        if (colon != std::string::npos) {
            if (colon + 1 == v.size()) throw Error(opt + ": '" + v + "' has an empty group; use USER or USER:GROUP");
            o.group = v.substr(colon + 1);
        }
    } else if (opt == "--keep-cap" || opt == "VIGIL_KEEP_CAP") {
        if (!o.keep_caps) o.keep_caps.emplace();
        if (v.empty()) throw Error(opt + ": empty capability name");
        o.keep_caps->push_back(v);
    } else if (is("--pdeath-signal", "VIGIL_PDEATH_SIGNAL")) {
        o.pdeath_signal = signal_or_throw(v, opt);
    } else {
        return false;
    }
    return true;
}

void read_environment(RunOptions& o) {
    o.profile_path = env("VIGIL_PROFILE");
    o.complain = parse_bool(env("VIGIL_COMPLAIN"), "VIGIL_COMPLAIN");
    if (!env("VIGIL_SIGNAL_GROUP").empty()) o.signal_group = parse_bool(env("VIGIL_SIGNAL_GROUP"), "VIGIL_SIGNAL_GROUP");
    if (!env("VIGIL_STOP_TIMEOUT").empty())
        o.stop_timeout_ms = duration_or_throw(env("VIGIL_STOP_TIMEOUT"), "VIGIL_STOP_TIMEOUT");
    if (!env("VIGIL_REMAP_EXIT").empty()) add_exit_codes(env("VIGIL_REMAP_EXIT"), "VIGIL_REMAP_EXIT", o.remap_exit);
    // The options that take a value read the same text from their variable.
    for (const char* name : {"VIGIL_RESTART", "VIGIL_RESTART_MAX", "VIGIL_RESTART_DELAY", "VIGIL_HEALTH_HTTP",
                             "VIGIL_HEALTH_TCP", "VIGIL_HEALTH_INTERVAL", "VIGIL_HEALTH_TIMEOUT",
                             "VIGIL_HEALTH_FAILURES", "VIGIL_READY_TCP", "VIGIL_READY_HTTP", "VIGIL_READY_OUTPUT",
                             "VIGIL_READY_AFTER", "VIGIL_READY_TIMEOUT", "VIGIL_READY_FILE", "VIGIL_USER",
                             "VIGIL_PDEATH_SIGNAL"}) {
        std::string v = env(name);
        if (!v.empty()) value_option(o, name, v);
    }
    for (const char* name : {"VIGIL_REWRITE_SIGNAL", "VIGIL_KEEP_CAP"}) {
        std::string v = env(name);
        if (v.empty()) continue;
        size_t start = 0;
        while (start <= v.size()) {
            size_t end = v.find(',', start);
            if (end == std::string::npos) end = v.size();
            value_option(o, name, v.substr(start, end - start));
            start = end + 1;
        }
    }
}

}  // namespace

std::optional<int> parse_duration_ms(const std::string& text) { return text::parse_duration_ms(text); }

namespace {

const std::set<std::string> kValueOptions = {
    "--restart", "--restart-max", "--restart-delay", "--health-http", "--health-tcp", "--health-interval",
    "--health-timeout", "--health-failures", "--ready-tcp", "--ready-http", "--ready-output", "--ready-after",
    "--ready-timeout", "--ready-file", "-r", "--rewrite-signal", "-u", "--user", "--keep-cap", "--pdeath-signal"};

}  // namespace

RunOptions parse_run_options(const std::vector<std::string>& args) {
    RunOptions o;
    read_environment(o);
    size_t i = 0;
    auto value = [&](const std::string& opt) -> std::string {
        if (i + 1 >= args.size()) throw Error("option " + opt + " needs a value (see vigil run --help)");
        return args[++i];
    };
    bool keep_caps_flag = false;
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
        else if (kValueOptions.count(a)) {
            // A flag beats its variable: a list given on the command line replaces the variable's.
            if (a == "--keep-cap" && !keep_caps_flag) o.keep_caps.reset(), keep_caps_flag = true;
            value_option(o, a, val(a));
        }
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
    SuperviseSettings& s = sup.settings;
    if (opts.stop_timeout_ms) s.stop_timeout_ms = *opts.stop_timeout_ms;
    if (opts.signal_group) s.signal_group = *opts.signal_group;
    s.remap_exit.insert(s.remap_exit.end(), opts.remap_exit.begin(), opts.remap_exit.end());
    sup.forward_to_group = s.signal_group;
    if (opts.restart) s.restart.mode = *opts.restart;
    if (opts.restart_max) s.restart.max = *opts.restart_max;
    if (opts.restart_delay_ms) s.restart.delay_ms = *opts.restart_delay_ms;
    bool health_opt = opts.health_http || opts.health_tcp || opts.health_interval_ms || opts.health_timeout_ms ||
                      opts.health_failures;
    if (health_opt) {
        HealthCheck h = s.health.value_or(HealthCheck{});
        if (opts.health_http) h.http_get = *opts.health_http, h.tcp.reset();
        if (opts.health_tcp) h.tcp = *opts.health_tcp, h.http_get.reset();
        if (opts.health_interval_ms) h.interval_ms = *opts.health_interval_ms;
        if (opts.health_timeout_ms) h.timeout_ms = *opts.health_timeout_ms;
        if (opts.health_failures) h.failures = *opts.health_failures;
        if (!h.http_get && !h.tcp)
            throw Error("--health-interval/--health-timeout/--health-failures need a check: --health-http URL or "
                        "--health-tcp PORT (or [supervise.health] in the profile)");
        s.health = h;
    }
    if (opts.ready) sup.ready = *opts.ready;
    if (opts.ready_timeout_ms) {
        if (!sup.ready) throw Error("--ready-timeout needs a readiness condition (--ready-tcp, --ready-http, "
                                    "--ready-output, --ready-after or [phases.ready])");
        sup.ready->timeout_ms = *opts.ready_timeout_ms;
    }
    if (opts.ready_file) s.ready_file = *opts.ready_file;
    for (auto [from, to] : opts.rewrite_signals) s.rewrite_signals[from] = to;
    if (opts.pdeath_signal) s.pdeath_signal = *opts.pdeath_signal;
}

std::optional<ProcessSettings> process_overrides(const RunOptions& opts, const std::optional<ProcessSettings>& profile) {
    if (!opts.user && !opts.keep_caps) return profile;
    ProcessSettings p = profile.value_or(ProcessSettings{});
    if (opts.user) {
        p.user = *opts.user;
        p.group = opts.group;
        // The user's own groups, unless the profile names the supplementary groups.
        if (p.groups.empty()) p.groups_of_user = true;
    }
    if (opts.keep_caps) p.capabilities = *opts.keep_caps;
    return p;
}

}  // namespace vigil
