// Logging set-up: spdlog's default logger on stderr, text or JSON lines
// (VIGIL_LOG_FORMAT=text|json), level from VIGIL_LOG_LEVEL (trace..off). Implemented in src/log.
#pragma once

#include <string>
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

}  // namespace vigil
