#include "vigil/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "vigil/error.hpp"

namespace vigil {

namespace {

std::string env_or(const char* name, const char* fallback) {
    const char* v = std::getenv(name);
    return v && *v ? v : fallback;
}

// %j: the message, escaped for a JSON string (a message may quote a path or a command line).
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        for (char c : std::string_view(msg.payload.data(), msg.payload.size())) {
            switch (c) {
                case '"': dest.append(std::string_view("\\\"")); break;
                case '\\': dest.append(std::string_view("\\\\")); break;
                case '\n': dest.append(std::string_view("\\n")); break;
                case '\t': dest.append(std::string_view("\\t")); break;
                default:
                    if (static_cast<unsigned char>(c) < 0x20) {
                        char buf[8];
                        std::snprintf(buf, sizeof buf, "\\u%04x", c);
                        dest.append(std::string_view(buf));
                    } else {
                        dest.push_back(c);
                    }
            }
        }
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

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
        auto formatter = std::make_unique<spdlog::pattern_formatter>(spdlog::pattern_time_type::utc);
        formatter->add_flag<JsonEscapedMessage>('j').set_pattern(
            R"({"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","source":"vigil","pid":%P,"msg":"%j"})");
        logger->set_formatter(std::move(formatter));
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
