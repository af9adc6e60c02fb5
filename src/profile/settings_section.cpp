// [process], [phases.ready], [supervise], [audit]: plain settings; a later layer overrides
// an earlier one key by key.

#include <algorithm>
#include <climits>

#include "sections.hpp"
#include "vigil/phases.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

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

void read_supervise(Reader& r, const TomlValue& table, SuperviseSettings& out) {
    r.check_keys(table, "supervise", {"stop_timeout_ms", "remap_exit", "signal_group"});
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
