// [process], [phases.ready], [supervise], [audit]: plain settings; a later layer overrides
// an earlier one key by key.

#include <algorithm>
#include <climits>

#include "sections.hpp"
#include "vigil/phases.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"
#include "vigil/text.hpp"

namespace vigil::profile_detail {

namespace {

// "NET_BIND_SERVICE", "CAP_NET_BIND_SERVICE" or lower case -> "NET_BIND_SERVICE".
std::optional<std::string> capability(Reader& r, const TomlValue& v) {
    if (auto name = capability_name(text_of(v))) return name;
    r.error(v, "unknown capability '" + text_of(v) + "' in process.capabilities" +
                   did_you_mean(text_of(v), capability_names()));
    return std::nullopt;
}

std::vector<std::string> names_or_ids(Reader& r, const TomlValue& v, const std::string& what) {
    std::vector<std::string> out;
    if (!v.is_array()) {
        r.error(v, what + ": expected an array of names or numbers");
        return out;
    }
    for (const auto& item : v.as_array())
        if (auto s = r.name_or_id(item, what)) out.push_back(*s);
    return out;
}

// Loopback only: the readiness probe must not become a way to reach other hosts.
bool loopback_http_url(const std::string& url) {
    for (const char* prefix : {"http://127.0.0.1", "http://localhost", "http://[::1]"}) {
        std::string p = prefix;
        if (url.starts_with(p) &&
            (url.size() == p.size() || url[p.size()] == ':' || url[p.size()] == '/'))
            return true;
    }
    return false;
}

}  // namespace

void read_process(Reader& r, const TomlValue& table, ProcessSettings& out) {
    r.check_keys(table, "process", {"user", "group", "groups", "capabilities", "no_new_privs"});
    if (const TomlValue* v = Reader::find(table, "user"))
        if (auto s = r.name_or_id(*v, "process.user")) out.user = *s;
    if (const TomlValue* v = Reader::find(table, "group"))
        if (auto s = r.name_or_id(*v, "process.group")) out.group = *s;
    if (const TomlValue* v = Reader::find(table, "groups"))
        out.groups = names_or_ids(r, *v, "process.groups");
    if (const TomlValue* v = Reader::find(table, "capabilities")) {
        if (auto items = r.string_array(*v, "process.capabilities")) {
            out.capabilities.clear();
            for (const TomlValue* item : *items)
                if (auto c = capability(r, *item)) out.capabilities.push_back(*c);
        }
    }
    if (const TomlValue* v = Reader::find(table, "no_new_privs"))
        if (auto b = r.boolean(*v, "process.no_new_privs")) out.no_new_privs = *b;
}

void read_phases(Reader& r, const TomlValue& table, std::optional<ReadyCondition>& ready) {
    r.check_keys(table, "phases", {"ready"});
    const TomlValue* t = Reader::find(table, "ready");
    if (!t || !r.expect_table(*t, "phases.ready")) return;
    const std::vector<std::string> known = {"tcp_listen", "http_get", "output_match", "after_ms",
                                            "timeout_ms"};
    r.check_keys(*t, "phases.ready", known);
    ReadyCondition c = ready.value_or(ReadyCondition{});
    if (const TomlValue* v = Reader::find(*t, "tcp_listen"))
        if (auto n = r.integer(*v, "phases.ready.tcp_listen", 1, 65535)) c.tcp_listen = *n;
    if (const TomlValue* v = Reader::find(*t, "http_get")) {
        if (auto s = r.string(*v, "phases.ready.http_get")) {
            if (loopback_http_url(*s))
                c.http_get = *s;
            else
                r.error(*v, "phases.ready.http_get: '" + *s + "' is not an http:// URL on "
                            "loopback (127.0.0.1, localhost or [::1])");
        }
    }
    if (const TomlValue* v = Reader::find(*t, "output_match")) {
        if (auto s = r.string(*v, "phases.ready.output_match")) {
            if (auto why = validate_output_regex(*s))
                r.error(*v, "phases.ready.output_match: bad regular expression '" + *s +
                                "' (RE2 syntax): " + *why);
            else
                c.output_match = *s;
        }
    }
    if (const TomlValue* v = Reader::find(*t, "after_ms"))
        if (auto n = r.integer(*v, "phases.ready.after_ms", 0, INT_MAX)) c.after_ms = *n;
    if (const TomlValue* v = Reader::find(*t, "timeout_ms"))
        if (auto n = r.integer(*v, "phases.ready.timeout_ms", 0, INT_MAX)) c.timeout_ms = *n;
    // Only counted after layering: an app layer may change the timeout of a base's condition.
    if (!c.tcp_listen && !c.http_get && !c.output_match && !c.after_ms)
        r.error(*t, "phases.ready: needs at least one of tcp_listen, http_get, output_match, "
                    "after_ms");
    ready = c;
}

namespace {

std::optional<int> duration(Reader& r, const TomlValue& v, const std::string& what) {
    if (!v.is_string()) {
        r.error(v, what + ": expected a duration string such as \"10s\" or \"500ms\"");
        return std::nullopt;
    }
    auto ms = text::parse_duration_ms(text_of(v));
    if (!ms) r.error(v, what + ": '" + text_of(v) + "' is not a duration; use e.g. 10s, 500ms or 2m");
    return ms;
}

std::optional<int> signal_value(Reader& r, const TomlValue& v, const std::string& what, bool zero_ok) {
    std::string written;
    if (v.is_integer()) written = std::to_string(v.as_integer());
    else if (v.is_string()) written = text_of(v);
    else {
        r.error(v, what + ": expected a signal name (\"TERM\") or number");
        return std::nullopt;
    }
    if (zero_ok && written == "0") return 0;
    auto sig = text::parse_signal(written);
    if (!sig) r.error(v, what + ": unknown signal '" + written + "' (a name such as TERM or SIGQUIT, or a number)");
    return sig;
}

void read_health(Reader& r, const TomlValue& t, std::optional<HealthCheck>& out) {
    r.check_keys(t, "supervise.health", {"http_get", "tcp", "interval", "timeout", "failures"});
    HealthCheck h = out.value_or(HealthCheck{});
    h.where = r.pos(t);
    if (const TomlValue* v = Reader::find(t, "http_get")) {
        if (auto s = r.string(*v, "supervise.health.http_get")) {
            if (loopback_http_url(*s)) h.http_get = *s, h.tcp.reset();
            else
                r.error(*v, "supervise.health.http_get: '" + *s + "' is not an http:// URL on "
                            "loopback (127.0.0.1, localhost or [::1])");
        }
    }
    if (const TomlValue* v = Reader::find(t, "tcp"))
        if (auto n = r.integer(*v, "supervise.health.tcp", 1, 65535)) h.tcp = *n, h.http_get.reset();
    if (Reader::find(t, "http_get") && Reader::find(t, "tcp"))
        r.error(t, "supervise.health: give http_get or tcp, not both");
    if (const TomlValue* v = Reader::find(t, "interval"))
        if (auto ms = duration(r, *v, "supervise.health.interval")) {
            if (*ms < 100) r.error(*v, "supervise.health.interval: at least 100ms");
            else h.interval_ms = *ms;
        }
    if (const TomlValue* v = Reader::find(t, "timeout"))
        if (auto ms = duration(r, *v, "supervise.health.timeout")) {
            if (*ms < 1) r.error(*v, "supervise.health.timeout: at least 1ms");
            else h.timeout_ms = *ms;
        }
    if (const TomlValue* v = Reader::find(t, "failures"))
        if (auto n = r.integer(*v, "supervise.health.failures", 1, 1000)) h.failures = *n;
    if (!h.http_get && !h.tcp) r.error(t, "supervise.health: needs http_get or tcp");
    out = h;
}

}  // namespace

void read_supervise(Reader& r, const TomlValue& table, SuperviseSettings& out) {
    r.check_keys(table, "supervise", {"stop_timeout_ms", "remap_exit", "signal_group", "restart",
                                      "restart_max", "restart_delay", "health", "rewrite_signals",
                                      "pdeath_signal", "ready_file"});
    if (const TomlValue* v = Reader::find(table, "stop_timeout_ms"))
        if (auto n = r.integer(*v, "supervise.stop_timeout_ms", 0, INT_MAX))
            out.stop_timeout_ms = *n;
    if (const TomlValue* v = Reader::find(table, "remap_exit")) {
        if (!v->is_array()) {
            r.error(*v, "supervise.remap_exit: expected an array of exit codes");
        } else {
            out.remap_exit.clear();
            for (const auto& item : v->as_array())
                if (auto n = r.integer(item, "supervise.remap_exit", 0, 255))
                    out.remap_exit.push_back(*n);
        }
    }
    if (const TomlValue* v = Reader::find(table, "signal_group"))
        if (auto b = r.boolean(*v, "supervise.signal_group")) out.signal_group = *b;
    if (const TomlValue* v = Reader::find(table, "restart")) {
        if (auto s = r.string(*v, "supervise.restart")) {
            if (auto m = parse_restart_mode(*s)) out.restart.mode = *m;
            else
                r.error(*v, "supervise.restart: unknown policy '" + *s + "' (no, on-failure or always)" +
                                did_you_mean(*s, {"no", "on-failure", "always"}));
        }
    }
    if (const TomlValue* v = Reader::find(table, "restart_max"))
        if (auto n = r.integer(*v, "supervise.restart_max", 0, 1000000)) out.restart.max = *n;
    if (const TomlValue* v = Reader::find(table, "restart_delay"))
        if (auto ms = duration(r, *v, "supervise.restart_delay")) out.restart.delay_ms = *ms;
    if (const TomlValue* v = Reader::find(table, "health"); v && r.expect_table(*v, "supervise.health"))
        read_health(r, *v, out.health);
    if (const TomlValue* v = Reader::find(table, "rewrite_signals")) {
        if (!v->is_table()) {
            r.error(*v, "supervise.rewrite_signals: expected a table such as { TERM = \"QUIT\", HUP = 0 }");
        } else {
            out.rewrite_signals.clear();
            for (const auto& [key, to] : v->as_table()) {
                auto from = text::parse_signal(key);
                if (!from) r.error(to, "supervise.rewrite_signals: unknown signal '" + key + "'");
                auto target = signal_value(r, to, "supervise.rewrite_signals." + key, true);
                if (from && target) out.rewrite_signals[*from] = *target;
            }
        }
    }
    if (const TomlValue* v = Reader::find(table, "ready_file")) {
        if (auto s = r.string(*v, "supervise.ready_file")) {
            if (s->empty() || s->back() == '/') r.error(*v, "supervise.ready_file: expected a file path");
            else out.ready_file = *s;
        }
    }
    if (const TomlValue* v = Reader::find(table, "pdeath_signal"))
        if (auto sig = signal_value(r, *v, "supervise.pdeath_signal", false)) out.pdeath_signal = *sig;
}

void read_audit(Reader& r, const TomlValue& table, AuditSettings& out) {
    r.check_keys(table, "audit", {"sink", "format"});
    if (const TomlValue* v = Reader::find(table, "sink")) {
        if (auto s = r.string(*v, "audit.sink")) {
            if (s->empty())
                r.error(*v, "audit.sink: empty; use \"stderr\" or a file path");
            else
                out.sink = *s;
        }
    }
    if (const TomlValue* v = Reader::find(table, "format")) {
        if (auto s = r.string(*v, "audit.format")) {
            if (*s == "json" || *s == "fhir")
                out.format = *s;
            else
                r.error(*v, "audit.format: unknown format '" + *s + "' (json or fhir)" +
                                did_you_mean(*s, {"json", "fhir"}));
        }
    }
}

}  // namespace vigil::profile_detail

namespace vigil {

std::optional<RestartMode> parse_restart_mode(std::string_view text) {
    if (text == "no") return RestartMode::No;
    if (text == "on-failure") return RestartMode::OnFailure;
    if (text == "always") return RestartMode::Always;
    return std::nullopt;
}

const char* restart_mode_name(RestartMode mode) {
    switch (mode) {
        case RestartMode::No: return "no";
        case RestartMode::OnFailure: return "on-failure";
        case RestartMode::Always: return "always";
    }
    return "?";
}

}  // namespace vigil
