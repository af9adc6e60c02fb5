// The human report of a learning run: the syscall usage chart (counts per syscall on a log
// scale) as SVG, a self-contained HTML page with the attack-surface summary, and the raw
// statistics (with first/last times, which the profile leaves out to stay deterministic) as JSON.
#include <algorithm>
#include <cerrno>
#include <cmath>
#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <sstream>
#include <sys/stat.h>
#include <unistd.h>

#include "learn_internal.hpp"
#include "vigil/syscalls.hpp"
#include "learn_report.hpp"
#include "vigil/error.hpp"
#include "vigil/learn.hpp"
#include "vigil/text.hpp"

namespace vigil::learn {

namespace {

// Thread names, paths and the command come from the app: valid UTF-8 and inert in HTML/SVG.
std::string escape(const std::string& s) { return text::html_escape(s); }

std::string join(const std::set<std::string>& values) {
    std::string out;
    for (const auto& v : values) out += (out.empty() ? "" : ", ") + v;
    return out;
}

// Bars sorted by count (largest first), ties by name, so the chart is stable.
std::vector<std::pair<std::string, const SyscallStats*>> by_count(const LearnedStats& stats) {
    std::vector<std::pair<std::string, const SyscallStats*>> rows;
    for (const auto& [name, s] : stats.syscalls)
        if (s.count > 0) rows.emplace_back(name, &s);
    std::sort(rows.begin(), rows.end(), [](const auto& a, const auto& b) {
        if (a.second->count != b.second->count) return a.second->count > b.second->count;
        return a.first < b.first;
    });
    return rows;
}

const char* bar_colour(const SyscallStats& s) {
    bool startup = s.phases.count(kStartup), ready = s.phases.count(kReady);
    if (startup && !ready) return "#e07b39";  // startup only
    if (ready && !startup) return "#3b7dd8";  // ready only
    return "#7a5bbf";                         // both
}

}  // namespace

Surface attack_surface(const LearnedStats& stats, const WriteOptions& options) {
    AllowedSets sets = allowed_sets(stats, options);
    Surface s;
    s.allowed = sets.any_phase.size();
    s.startup_only = sets.startup_only.size();
    s.kernel_total = all_syscall_names().size();
    s.docker_default = docker_default_x86_64().size();
    return s;
}

std::string render_svg(const LearnedStats& stats) {
    auto rows = by_count(stats);
    const int label_w = 170, bar_w = 560, count_w = 90, row_h = 16, top = 40, bottom = 30;
    uint64_t max_count = rows.empty() ? 1 : rows.front().second->count;
    int decades = std::max(1, static_cast<int>(std::ceil(std::log10(static_cast<double>(max_count)) + 1e-9)));
    if (std::pow(10.0, decades) < static_cast<double>(max_count)) ++decades;
    auto x_of = [&](double count) {
        // log10(count) over [0, decades]; a single call (log 0) still gets a thin visible bar.
        double f = std::log10(std::max(count, 1.0)) / decades;
        return label_w + std::max(2.0, f * bar_w);
    };
    int height = top + static_cast<int>(rows.size()) * row_h + bottom;
    int width = label_w + bar_w + count_w;
    std::ostringstream svg;
    svg << "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"" << width << "\" height=\"" << height
        << "\" font-family=\"monospace\" font-size=\"11\">\n";
    svg << "<text x=\"" << label_w << "\" y=\"16\" font-size=\"13\">System calls made by the app ("
        << rows.size() << " distinct, log scale)</text>\n";
    for (int d = 0; d <= decades; ++d) {
        double x = label_w + static_cast<double>(d) / decades * bar_w;
        svg << "<line x1=\"" << x << "\" y1=\"" << top - 6 << "\" x2=\"" << x << "\" y2=\""
            << height - bottom << "\" stroke=\"#ddd\"/>\n";
        svg << "<text x=\"" << x << "\" y=\"" << top - 9 << "\" text-anchor=\"middle\">1e" << d
            << "</text>\n";
    }
    int y = top;
    for (const auto& [name, s] : rows) {
        svg << "<text x=\"" << label_w - 6 << "\" y=\"" << y + 11 << "\" text-anchor=\"end\">"
            << escape(name) << "</text>\n";
        double x = x_of(static_cast<double>(s->count));
        svg << "<rect x=\"" << label_w << "\" y=\"" << y + 2 << "\" width=\"" << x - label_w
            << "\" height=\"" << row_h - 4 << "\" fill=\"" << bar_colour(*s) << "\"/>\n";
        svg << "<text x=\"" << x + 4 << "\" y=\"" << y + 11 << "\">" << s->count << "</text>\n";
        y += row_h;
    }
    int ly = height - 10;
    svg << "<rect x=\"" << label_w << "\" y=\"" << ly - 9 << "\" width=\"10\" height=\"10\" fill=\"#e07b39\"/>"
        << "<text x=\"" << label_w + 14 << "\" y=\"" << ly << "\">startup only</text>\n";
    svg << "<rect x=\"" << label_w + 120 << "\" y=\"" << ly - 9 << "\" width=\"10\" height=\"10\" fill=\"#3b7dd8\"/>"
        << "<text x=\"" << label_w + 134 << "\" y=\"" << ly << "\">ready only</text>\n";
    svg << "<rect x=\"" << label_w + 230 << "\" y=\"" << ly - 9 << "\" width=\"10\" height=\"10\" fill=\"#7a5bbf\"/>"
        << "<text x=\"" << label_w + 244 << "\" y=\"" << ly << "\">both phases</text>\n";
    svg << "</svg>\n";
    return svg.str();
}

namespace {

std::string render_html(const LearnedStats& stats, const WriteOptions& options, const std::string& svg) {
    Surface s = attack_surface(stats, options);
    auto docker = docker_default_x86_64();
    auto allowed = allowed_sets(stats, options).any_phase;
    size_t outside_docker = 0;
    for (const auto& name : allowed)
        if (!docker.count(name)) ++outside_docker;
    auto pct = [](size_t a, size_t b) {
        std::ostringstream o;
        o.precision(3);
        o << (b ? 100.0 * static_cast<double>(a) / static_cast<double>(b) : 0.0) << "%";
        return o.str();
    };
    std::ostringstream h;
    h << "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>vigil learn report</title>\n"
      << "<style>body{font-family:sans-serif;margin:2em;max-width:70em}"
         "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:2px 6px;"
         "font-size:13px;text-align:left;vertical-align:top}td.n{text-align:right}</style>"
         "</head><body>\n";
    h << "<h1>vigil learn report</h1>\n";
    if (!options.command.empty()) h << "<p>Command: <code>" << escape(options.command) << "</code></p>\n";
    h << "<p>Mode: <b>" << escape(stats.mode) << "</b> (" << stats.runs << " run(s)). "
      << (stats.mode == "fast"
              ? "The baseline syscalls were allowed by the filter without being watched (assumed)."
              : "Every syscall was sent to vigil and counted: one round trip per call.")
      << "</p>\n";
    h << "<h2>Attack surface</h2>\n<table>\n"
      << "<tr><th>syscalls allowed by the learned profile</th><td class=n>" << s.allowed << "</td><td>"
      << pct(s.allowed, s.kernel_total) << " of the kernel's</td></tr>\n"
      << "<tr><th>of these only during startup</th><td class=n>" << s.startup_only << "</td><td></td></tr>\n"
      << "<tr><th>x86_64 kernel syscalls</th><td class=n>" << s.kernel_total << "</td><td></td></tr>\n"
      << "<tr><th>Docker default profile allows</th><td class=n>" << s.docker_default << "</td><td>"
      << pct(s.docker_default, s.kernel_total) << " of the kernel's; the learned profile allows "
      << pct(s.allowed, s.docker_default) << " of Docker's count</td></tr>\n"
      << "<tr><th>allowed here but not by Docker's default</th><td class=n>" << outside_docker
      << "</td><td></td></tr>\n</table>\n";
    h << "<h2>System calls</h2>\n" << svg;
    if (!stats.assumed.empty())
        h << "<p>Assumed (baseline, allowed without being watched): <code>"
          << escape(join({stats.assumed.begin(), stats.assumed.end()})) << "</code></p>\n";
    h << "<table>\n<tr><th>syscall</th><th>count</th><th>first ms</th><th>last ms</th>"
         "<th>phases</th><th>threads</th><th>arguments</th></tr>\n";
    for (const auto& [name, st] : by_count(stats)) {
        std::string args;
        for (const auto& [kind, v] : st->args) args += kind + ": " + join(v) + "; ";
        h << "<tr><td>" << escape(name) << "</td><td class=n>" << st->count << "</td><td class=n>"
          << static_cast<long long>(st->first_ms) << "</td><td class=n>"
          << static_cast<long long>(st->last_ms) << "</td><td>" << escape(join(st->phases))
          << "</td><td>" << escape(join(st->threads)) << "</td><td>" << escape(args) << "</td></tr>\n";
    }
    h << "</table>\n</body></html>\n";
    return h.str();
}

std::string render_json(const LearnedStats& stats, const WriteOptions& options) {
    Surface s = attack_surface(stats, options);
    nlohmann::ordered_json j;
    j["mode"] = stats.mode;
    j["runs"] = stats.runs;
    j["reached_ready"] = stats.reached_ready;
    j["assumed"] = stats.assumed;
    j["surface"] = {{"allowed", s.allowed}, {"startup_only", s.startup_only},
                    {"kernel_total", s.kernel_total}, {"docker_default", s.docker_default}};
    auto& sys = j["syscalls"];
    sys = nlohmann::ordered_json::object();
    for (const auto& [name, st] : stats.syscalls) {
        nlohmann::ordered_json e;
        e["count"] = st.count;
        e["first_ms"] = st.first_ms;
        e["last_ms"] = st.last_ms;
        e["phases"] = st.phases;
        e["threads"] = st.threads;
        for (const auto& [kind, v] : st.args) e["args"][kind] = v;
        if (!st.overflow.empty()) e["overflow"] = st.overflow;
        sys[name] = e;
    }
    // Replace, never throw: a thread name or path may hold bytes that are not UTF-8.
    return j.dump(2, ' ', false, nlohmann::ordered_json::error_handler_t::replace) + "\n";
}

}  // namespace

void write_report(const OutputDir& dir, const LearnedStats& stats, const WriteOptions& options) {
    std::string svg = render_svg(stats);
    dir.write_file("syscalls.svg", svg);
    dir.write_file("report.html", render_html(stats, options, svg));
    dir.write_file("learned.json", render_json(stats, options));
}

}  // namespace vigil::learn
