#include "vigil/log.hpp"

#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdlib>
#include <string>

#include "vigil/error.hpp"

namespace vigil {

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

spdlog::level::level_enum parse_level(const std::string& s) {
    auto level = spdlog::level::from_str(s);
    // from_str maps unknown names to "off": accept "off" only when it was really asked for.
    if (level == spdlog::level::off && s != "off")
        throw Error("VIGIL_LOG_LEVEL='" + s + "' is not a level; use trace, debug, info, warn, error, critical or off");
    return level;
}

}  // namespace

void setup_logging() {
    auto logger = spdlog::stderr_logger_st("vigil");
    std::string format = env_or("VIGIL_LOG_FORMAT", "text");
    if (format == "json") {
        logger->set_pattern(R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","source":"vigil","pid":%P,"msg":"%v"})",
                            spdlog::pattern_time_type::utc);
    } else if (format == "text") {
        logger->set_pattern("vigil[%P] %^%l%$: %v");
    } else {
        throw Error("VIGIL_LOG_FORMAT='" + format + "' is not a format; use text or json");
    }
    logger->set_level(parse_level(env_or("VIGIL_LOG_LEVEL", "info")));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

}  // namespace vigil
