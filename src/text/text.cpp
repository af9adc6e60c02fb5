// Escapers and strict number parsing for text vigil writes from app-controlled bytes.
#include "vigil/text.hpp"
#include <fcntl.h>
#include <unistd.h>
#include <cerrno>

#include <signal.h>
#include <cstring>
#include <utility>

#include <limits>

namespace vigil::text {

namespace {

constexpr std::string_view kReplacement = "\xEF\xBF\xBD";  // U+FFFD

// Length of the well-formed UTF-8 sequence starting at s[i] (Unicode 15, table 3-7), or 0.
size_t utf8_length(std::string_view s, size_t i) {
    auto at = [&](size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = at(i);
    if (c < 0x80) return 1;
    size_t left = s.size() - i;
    auto cont = [&](size_t k) { return (at(i + k) & 0xC0) == 0x80; };
    if (c >= 0xC2 && c <= 0xDF) return left >= 2 && cont(1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (left < 3 || !cont(1) || !cont(2)) return 0;
        unsigned char c1 = at(i + 1);
        if (c == 0xE0 && c1 < 0xA0) return 0;  // overlong
        if (c == 0xED && c1 > 0x9F) return 0;  // UTF-16 surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (left < 4 || !cont(1) || !cont(2) || !cont(3)) return 0;
        unsigned char c1 = at(i + 1);
        if (c == 0xF0 && c1 < 0x90) return 0;  // overlong
        if (c == 0xF4 && c1 > 0x8F) return 0;  // past U+10FFFF
        return 4;
    }
    return 0;
}

constexpr char kDigits[] = "0123456789abcdef";

void append_hex_byte(std::string& out, const char* prefix, unsigned char c) {
    out += prefix;
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
}

void append_u4(std::string& out, unsigned char c) {
    out += "\\u00";
    out += kDigits[c >> 4];
    out += kDigits[c & 0xF];
}

// Walks `s` code point by code point: `ascii(out, c)` for a byte below 0x80, the sequence
// copied as is for valid multi-byte UTF-8, `bad(out, byte)` for each byte of an ill-formed one.
template <typename Ascii, typename Bad>
std::string walk(std::string_view s, Ascii ascii, Bad bad) {
    std::string out;
    out.reserve(s.size() + 2);
    for (size_t i = 0; i < s.size();) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        if (c < 0x80) {
            ascii(out, c);
            ++i;
            continue;
        }
        size_t n = utf8_length(s, i);
        if (n == 0) {
            bad(out, c);
            ++i;
        } else {
            out.append(s.substr(i, n));
            i += n;
        }
    }
    return out;
}

void replace_bad(std::string& out, unsigned char) { out += kReplacement; }

// JSON and TOML basic strings share their escapes for ", \ and the control characters.
void quoted_ascii(std::string& out, unsigned char c) {
    switch (c) {
        case '"': out += "\\\""; break;
        case '\\': out += "\\\\"; break;
        case '\n': out += "\\n"; break;
        case '\t': out += "\\t"; break;
        case '\r': out += "\\r"; break;
        case '\b': out += "\\b"; break;
        case '\f': out += "\\f"; break;
        default:
            if (c < 0x20 || c == 0x7F) append_u4(out, c);
            else out += static_cast<char>(c);
    }
}

}  // namespace

bool valid_utf8(std::string_view s) {
    for (size_t i = 0; i < s.size();) {
        size_t n = utf8_length(s, i);
        if (n == 0) return false;
        i += n;
    }
    return true;
}

std::string sanitize_utf8(std::string_view s) {
    return walk(s, [](std::string& out, unsigned char c) { out += static_cast<char>(c); },
                replace_bad);
}

std::string json_escape(std::string_view s) { return walk(s, quoted_ascii, replace_bad); }

std::string toml_string(std::string_view s) { return "\"" + walk(s, quoted_ascii, replace_bad) + "\""; }

std::string toml_key(std::string_view s) {
    bool bare = !s.empty();
    for (char c : s)
        bare = bare && ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                        c == '_' || c == '-');
    return bare ? std::string(s) : toml_string(s);
}

std::string toml_comment(std::string_view s) {
    return walk(
        s,
        [](std::string& out, unsigned char c) {
            if (c == '\n') out += "\\n";
            else if (c == '\r') out += "\\r";
            else if ((c < 0x20 && c != '\t') || c == 0x7F) append_hex_byte(out, "\\x", c);
            else out += static_cast<char>(c);
        },
        replace_bad);
}

std::string log_escape(std::string_view s, bool continuation_lines) {
    return walk(
        s,
        [continuation_lines](std::string& out, unsigned char c) {
            if (c == '\\') out += continuation_lines ? "\\" : "\\\\";
            else if (c == '\n') out += continuation_lines ? "\n  " : "\\n";
            else if (c == '\r') out += "\\r";
            else if (c == '\t') out += "\\t";
            else if (c < 0x20 || c == 0x7F) append_hex_byte(out, "\\x", c);
            else out += static_cast<char>(c);
        },
        [](std::string& out, unsigned char c) { append_hex_byte(out, "\\x", c); });
}

std::string html_escape(std::string_view s) {
    return walk(
        s,
        [](std::string& out, unsigned char c) {
            switch (c) {
                case '&': out += "&amp;"; break;
                case '<': out += "&lt;"; break;
                case '>': out += "&gt;"; break;
                case '"': out += "&quot;"; break;
                case '\'': out += "&#39;"; break;
                default:
                    if ((c < 0x20 && c != '\t' && c != '\n') || c == 0x7F) out += kReplacement;
                    else out += static_cast<char>(c);
            }
        },
        replace_bad);
}

std::string hex(uint64_t v) {
    char buf[2 + 16];
    size_t n = sizeof buf;
    do {
        buf[--n] = kDigits[v & 0xF];
        v >>= 4;
    } while (v);
    buf[--n] = 'x';
    buf[--n] = '0';
    return std::string(buf + n, sizeof buf - n);
}

std::optional<uint64_t> parse_unsigned(std::string_view s, int base) {
    if (s.empty() || base < 2 || base > 16) return std::nullopt;
    uint64_t value = 0;
    for (char ch : s) {
        int digit;
        if (ch >= '0' && ch <= '9') digit = ch - '0';
        else if (ch >= 'a' && ch <= 'f') digit = ch - 'a' + 10;
        else if (ch >= 'A' && ch <= 'F') digit = ch - 'A' + 10;
        else return std::nullopt;
        if (digit >= base) return std::nullopt;
        if (value > (std::numeric_limits<uint64_t>::max() - static_cast<uint64_t>(digit)) /
                        static_cast<uint64_t>(base))
            return std::nullopt;
        value = value * static_cast<uint64_t>(base) + static_cast<uint64_t>(digit);
    }
    return value;
}

std::optional<uint64_t> parse_c_number(std::string_view s) {
    if (s.size() > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) return parse_unsigned(s.substr(2), 16);
    if (s.size() > 1 && s[0] == '0') return parse_unsigned(s.substr(1), 8);
    return parse_unsigned(s, 10);
}

std::optional<long long> parse_integer(std::string_view s, long long lo, long long hi) {
    bool negative = !s.empty() && s.front() == '-';
    if (negative) s.remove_prefix(1);
    auto magnitude = parse_unsigned(s, 10);
    if (!magnitude) return std::nullopt;
    constexpr uint64_t kMax = static_cast<uint64_t>(std::numeric_limits<long long>::max());
    if (*magnitude > kMax + (negative ? 1 : 0)) return std::nullopt;
    long long v = negative ? static_cast<long long>(0 - *magnitude) : static_cast<long long>(*magnitude);
    if (v < lo || v > hi) return std::nullopt;
    return v;
}

std::optional<int> parse_duration_ms(std::string_view s) {
    size_t digits = 0;
    while (digits < s.size() && s[digits] >= '0' && s[digits] <= '9') ++digits;
    auto value = parse_unsigned(s.substr(0, digits), 10);
    if (!value) return std::nullopt;
    std::string_view unit = s.substr(digits);
    uint64_t scale = 0;
    if (unit.empty() || unit == "s") scale = 1000;
    else if (unit == "ms") scale = 1;
    else if (unit == "m") scale = 60000;
    else return std::nullopt;
    if (*value > 86400000ULL / scale) return std::nullopt;  // a day is plenty
    return static_cast<int>(*value * scale);
}

std::optional<int> parse_signal(std::string_view s) {
    std::string name;
    for (char c : s) name.push_back(static_cast<char>(c >= 'a' && c <= 'z' ? c - 'a' + 'A' : c));
    if (name.rfind("SIG", 0) == 0) name.erase(0, 3);
    int rtmin = SIGRTMIN, rtmax = SIGRTMAX;
    if (auto n = parse_unsigned(name, 10)) {
        if (*n >= 1 && *n <= static_cast<uint64_t>(rtmax)) return static_cast<int>(*n);
        return std::nullopt;
    }
    for (int sig = 1; sig < rtmin; ++sig)
        if (const char* abbrev = sigabbrev_np(sig); abbrev && name == abbrev) return sig;
    for (auto [base, value] : {std::pair<const char*, int>{"RTMIN", rtmin}, {"RTMAX", rtmax}}) {
        std::string_view rest(name);
        if (rest.substr(0, 5) != base) continue;
        rest.remove_prefix(5);
        if (rest.empty()) return value;
        if (rest.size() < 2 || (rest[0] != '+' && rest[0] != '-')) return std::nullopt;
        auto off = parse_unsigned(rest.substr(1), 10);
        if (!off) return std::nullopt;
        long long sig = value + (rest[0] == '+' ? 1 : -1) * static_cast<long long>(*off);
        if (sig < rtmin || sig > rtmax) return std::nullopt;
        return static_cast<int>(sig);
    }
    return std::nullopt;
}

std::string signal_name(int sig) {
    int rtmin = SIGRTMIN, rtmax = SIGRTMAX;
    if (sig >= rtmin && sig <= rtmax)
        return sig == rtmin ? "SIGRTMIN" : "SIGRTMIN+" + std::to_string(sig - rtmin);
    if (const char* abbrev = sig > 0 ? sigabbrev_np(sig) : nullptr) return std::string("SIG") + abbrev;
    return std::to_string(sig);
}

std::string read_small_file(const char* path, size_t limit) {
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
    if (fd < 0) return {};
    std::string out;
    char buf[4096];
    for (;;) {
        ssize_t n = read(fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0 || out.size() + static_cast<size_t>(n) > limit) break;
        out.append(buf, static_cast<size_t>(n));
    }
    ::close(fd);
    return out;
}

}  // namespace vigil::text
