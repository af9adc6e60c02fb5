// Text that vigil writes from bytes it does not control (thread names, executable paths, argv,
// paths and addresses read from the app) and the small number helpers the codebase needs in
// many places. Everything here is pure and allocation-only: no I/O, no locale, no exceptions
// for bad input. Implemented in src/text.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace vigil::text {

// True when `s` is well-formed UTF-8 (no overlong forms, no surrogates, nothing past U+10FFFF).
bool valid_utf8(std::string_view s);
// `s` with every ill-formed sequence replaced by U+FFFD; valid input comes back unchanged.
std::string sanitize_utf8(std::string_view s);

// The inside of a JSON string (no surrounding quotes): valid UTF-8, with ", \ and every control
// character escaped, so the result can be pasted between quotes in any JSON document.
std::string json_escape(std::string_view s);
// A TOML basic string, quotes included: valid UTF-8, ", \ and control characters escaped.
// Safe wherever a TOML value may stand, whatever `s` holds (]], """, newlines).
std::string toml_string(std::string_view s);
// A TOML key: bare when it is made of A-Za-z0-9_- only, else quoted as toml_string.
std::string toml_key(std::string_view s);
// Text safe to follow "# " on one TOML comment line: valid UTF-8, no control character but tab
// (TOML forbids them in comments), and no line break that could start a line of its own.
std::string toml_comment(std::string_view s);
// One printable log line's worth of `s`: backslash, control characters and bytes that are not
// UTF-8 become \\, \n, \t, \xNN, so an app-chosen name can never start a forged log line.
// With continuation_lines, a line break is kept but followed by two spaces: every line after
// the first of a log entry is indented, so none can pass for an entry of its own.
std::string log_escape(std::string_view s, bool continuation_lines = false);
// `s` for HTML text or a double- or single-quoted attribute: valid UTF-8, & < > " ' escaped,
// control characters other than tab and newline replaced by U+FFFD.
std::string html_escape(std::string_view s);

// "0x1f": lower-case hexadecimal with the 0x prefix ("0x0" for zero).
std::string hex(uint64_t v);

// Strict unsigned parsing: digits of `base` (2..16) only, no sign, no white space, no prefix,
// not empty, no overflow. Anything else is nullopt.
std::optional<uint64_t> parse_unsigned(std::string_view s, int base = 10);
// A C-style literal: "0x1F" hexadecimal, "017" octal, "0" or "42" decimal (strict as above).
std::optional<uint64_t> parse_c_number(std::string_view s);
// A decimal integer, optionally negative, within [lo, hi].
std::optional<long long> parse_integer(std::string_view s, long long lo, long long hi);

// "10s", "500ms", "2m", "10" (seconds) -> milliseconds, at most a day; nullopt if malformed.
std::optional<int> parse_duration_ms(std::string_view s);

// A signal by name or number: "TERM", "SIGTERM", "term", "15", "RTMIN", "SIGRTMIN+3",
// "RTMAX-1". nullopt for anything else, 0 and numbers past SIGRTMAX included.
std::optional<int> parse_signal(std::string_view s);
// "SIGTERM", "SIGRTMIN+3", or the number for a signal without a name.
std::string signal_name(int sig);

// The whole of a small file, /proc's above all (up to LIMIT bytes; "" when it cannot be
// opened). Plain open/read with O_NOFOLLOW: it runs on the notification path, where iostreams
// cost more than the read itself.
std::string read_small_file(const char* path, size_t limit = 65536);

}  // namespace vigil::text
