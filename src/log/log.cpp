#include "vigil/log.hpp"

#include <time.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "vigil/error.hpp"
#include "vigil/text.hpp"

namespace vigil {

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// spdlog's names, which the lines have always carried ("warning", not "warn").
const char* const kNames[] = {"trace", "debug", "info", "warning", "error", "critical", "off"};

std::atomic<int> g_level{static_cast<int>(log::Level::info)};
std::atomic<bool> g_json{false};

// What spdlog's level::from_str accepted: the names above plus "warn" and "err".
log::Level parse_level(const std::string& s) {
    for (int i = 0; i <= static_cast<int>(log::Level::off); ++i)
        if (s == kNames[i]) return static_cast<log::Level>(i);
    if (s == "warn") return log::Level::warn;
    if (s == "err") return log::Level::error;
    throw Error("VIGIL_LOG_LEVEL='" + s + "' is not a level; use trace, debug, info, warn, error, critical or off");
}

void write_all(const std::string& line) {
    const char* p = line.data();
    size_t left = line.size();
    while (left > 0) {
        ssize_t n = ::write(STDERR_FILENO, p, left);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return;  // nowhere to say it
        p += n;
        left -= static_cast<size_t>(n);
    }
}

}  // namespace

namespace log {

bool enabled(Level level) {
    return level != Level::off && static_cast<int>(level) >= g_level.load(std::memory_order_relaxed);
}

void write(Level level, std::string_view message) {
    const char* name = kNames[static_cast<int>(level)];
    std::string line;
    if (g_json.load(std::memory_order_relaxed)) {
        // {"schema":N,"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","source":"vigil","pid":%P,"msg":"%j"}:
        // the message escaped for a JSON string (a message may quote a path or a command
        // line, which may hold any byte: the result is valid UTF-8 whatever they hold).
        timespec now{};
        clock_gettime(CLOCK_REALTIME, &now);
        tm utc{};
        gmtime_r(&now.tv_sec, &utc);
        char stamp[48];
        size_t n = strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &utc);
        snprintf(stamp + n, sizeof stamp - n, ".%06ldZ", now.tv_nsec / 1000);
        line = fmt::format(R"({{"schema":{},"time":"{}","level":"{}","source":"vigil","pid":{},"msg":"{}"}})", kLogSchemaVersion, stamp,
                           name, getpid(), text::json_escape(message));
    } else {
        // vigil[%P] %l: %q: names chosen by the app (thread names, paths) cannot end the line
        // and start a forged one, nor send terminal control sequences; a message of several
        // lines keeps them, indented.
        line = fmt::format("vigil[{}] {}: {}", getpid(), name, text::log_escape(message, true));
    }
    line += '\n';
    write_all(line);
}

}  // namespace log

void setup_logging() {
    std::string format = env_or("VIGIL_LOG_FORMAT", "text");
    if (format != "json" && format != "text")
        throw Error("VIGIL_LOG_FORMAT='" + format + "' is not a format; use text or json");
    log::Level level = parse_level(env_or("VIGIL_LOG_LEVEL", "info"));
    g_json.store(format == "json");
    g_level.store(static_cast<int>(level));
}

}  // namespace vigil
