// Logging: vigil's own messages on stderr, text or JSON lines (VIGIL_LOG_FORMAT=text|json),
// level from VIGIL_LOG_LEVEL (trace..off). Implemented in src/log.
//
//   log::info("phase ready: {}", reason);   // fmt syntax, checked at compile time
//
// The lines are the ones spdlog wrote for vigil before (same pattern, level names, escaping),
// from a writer of a few hundred lines: spdlog's sinks, registry and pattern engine cost
// ~150 KB of a static binary that has to stay small (bench/README.md, binary size).
#pragma once

#include <fmt/format.h>

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace vigil {

// The version of the JSON log line layout (VIGIL_LOG_FORMAT=json): every line carries it as
// "schema":N. Raised only when a field changes meaning or goes away (adding one does not);
// profiles/REFERENCE.md "Log and audit lines" documents each field.
inline constexpr int kLogSchemaVersion = 1;

// Throws vigil::Error for an unknown level or format (naming the variable and the valid values).
void setup_logging();

// Top-level dispatch: `vigil [run] ...`, `vigil check ...`, --help, --version. Returns the exit code.
int cli_main(const std::vector<std::string>& args);

namespace log {

enum class Level { trace, debug, info, warn, error, critical, off };

// Whether a message of this level is written (VIGIL_LOG_LEVEL; info before setup_logging()).
bool enabled(Level level);
// Writes one message (escaped for the format) as one line, in one write(2) to stderr.
void write(Level level, std::string_view message);

template <typename... A>
void trace(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::trace)) write(Level::trace, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void debug(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::debug)) write(Level::debug, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void info(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::info)) write(Level::info, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void warn(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::warn)) write(Level::warn, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void error(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::error)) write(Level::error, fmt::format(f, std::forward<A>(a)...));
}
template <typename... A>
void critical(fmt::format_string<A...> f, A&&... a) {
    if (enabled(Level::critical)) write(Level::critical, fmt::format(f, std::forward<A>(a)...));
}

}  // namespace log

}  // namespace vigil
