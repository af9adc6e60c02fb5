#include "vigil/log.hpp"

#include <spdlog/pattern_formatter.h>
#include <spdlog/sinks/stdout_sinks.h>
#include <spdlog/spdlog.h>

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

// %j: the message, escaped for a JSON string (a message may quote a path or a command line,
// which may hold any byte: the result is valid UTF-8 whatever they hold).
class JsonEscapedMessage : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        std::string escaped = text::json_escape(std::string_view(msg.payload.data(), msg.payload.size()));
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<JsonEscapedMessage>(); }
};

// %q: the message for a text log: names chosen by the app (thread names, paths) cannot end
// the line and start a forged one, nor send terminal control sequences; a message of several
// lines keeps them, indented.
class TextEscapedMessage : public spdlog::custom_flag_formatter {
public:
    void format(const spdlog::details::log_msg& msg, const std::tm&, spdlog::memory_buf_t& dest) override {
        std::string escaped = text::log_escape(std::string_view(msg.payload.data(), msg.payload.size()), true);
        dest.append(escaped.data(), escaped.data() + escaped.size());
    }
    std::unique_ptr<custom_flag_formatter> clone() const override { return std::make_unique<TextEscapedMessage>(); }
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
            R"({"schema":)" + std::to_string(kLogSchemaVersion) +
            R"(,"time":"%Y-%m-%dT%H:%M:%S.%fZ","level":"%l","source":"vigil","pid":%P,"msg":"%j"})");
        logger->set_formatter(std::move(formatter));
    } else if (format == "text") {
        auto formatter = std::make_unique<spdlog::pattern_formatter>();
        formatter->add_flag<TextEscapedMessage>('q').set_pattern("vigil[%P] %^%l%$: %q");
        logger->set_formatter(std::move(formatter));
    } else {
        throw Error("VIGIL_LOG_FORMAT='" + format + "' is not a format; use text or json");
    }
    logger->set_level(parse_level(env_or("VIGIL_LOG_LEVEL", "info")));
    logger->flush_on(spdlog::level::trace);
    spdlog::set_default_logger(logger);
}

}  // namespace vigil
