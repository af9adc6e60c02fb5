// Typed, diagnostic-collecting access to TOML values (see reader.hpp).
#include "reader.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <tuple>
#include <sstream>

#include "vigil/error.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

namespace vigil::profile_detail {

namespace {

const char* type_name(const TomlValue& v) {
    switch (v.type()) {
        case toml::value_t::boolean: return "a boolean";
        case toml::value_t::integer: return "an integer";
        case toml::value_t::floating: return "a float";
        case toml::value_t::string: return "a string";
        case toml::value_t::offset_datetime:
        case toml::value_t::local_datetime:
        case toml::value_t::local_date:
        case toml::value_t::local_time: return "a date/time";
        case toml::value_t::array: return "an array";
        case toml::value_t::table: return "a table";
        default: return "nothing";
    }
}

// A lexical pass over TOML text that finds where nesting first exceeds max_toml_depth, so that
// the recursive parser never sees such input. Depth counts every level a value ends up under:
// the components of a table header or dotted key, and each enclosing array or inline table.
// It follows TOML's strings and comments closely enough that brackets and dots inside them do
// not count; it errs towards counting (a false alarm needs 64 levels of plausible syntax).
class DepthScan {
public:
    explicit DepthScan(const std::string& text) : s_(text) {}

    // The position (line, column) where the limit is crossed, or nullopt.
    std::optional<std::pair<int, int>> run() {
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (c == '\n') {
                advance();
                if (stack_.empty()) {  // a new top-level line starts with a key or a header
                    mode_ = Mode::Key;
                    components_ = 0;
                    cur_ = table_depth_;
                }
                continue;
            }
            if (c == ' ' || c == '\t' || c == '\r') {
                advance();
                continue;
            }
            if (c == '#') {
                while (i_ < s_.size() && s_[i_] != '\n') advance();
                continue;
            }
            if (c == '"' || c == '\'') {
                if (mode_ == Mode::Key && !key_component()) return at_;
                skip_string();
                continue;
            }
            if (mode_ == Mode::Key) {
                if (c == '[' && stack_.empty() && components_ == 0) {
                    if (!header()) return at_;
                    continue;
                }
                if (c == '=') {
                    mode_ = Mode::Value;
                    value_depth_ = cur_ + components_;
                    advance();
                    continue;
                }
                if (c == '.') {
                    dotted_ = true;
                    advance();
                    continue;
                }
                if (c == '}' || c == ']') {
                    close();
                    continue;
                }
                if (c == ',') {  // stray comma in an inline table: toml11 reports it
                    advance();
                    continue;
                }
                if (!key_component()) return at_;
                advance();  // always make progress, even on a character no key may hold
                while (i_ < s_.size() && bare_key_char(s_[i_])) advance();
                continue;
            }
            // Value mode.
            if (c == '[' || c == '{') {
                stack_.push_back({c, cur_});
                cur_ = value_depth_ + 1;
                if (cur_ > max_toml_depth) return here();
                advance();
                if (c == '{') {
                    mode_ = Mode::Key;
                    components_ = 0;
                } else {
                    value_depth_ = cur_;
                }
                continue;
            }
            if (c == ']' || c == '}') {
                close();
                continue;
            }
            if (c == ',') {
                advance();
                if (!stack_.empty() && stack_.back().kind == '{') {
                    mode_ = Mode::Key;
                    components_ = 0;
                } else {
                    value_depth_ = cur_;
                }
                continue;
            }
            advance();  // numbers, booleans, dates: nothing nests
        }
        return std::nullopt;
    }

private:
    enum class Mode { Key, Value };
    struct Open {
        char kind;
        int depth;  // the depth outside this container
    };

    static bool bare_key_char(char c) {
        return std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-';
    }

    std::pair<int, int> here() const { return {line_, column_}; }

    void advance() {
        if (s_[i_] == '\n') {
            ++line_;
            column_ = 1;
        } else {
            ++column_;
        }
        ++i_;
    }

    // One more component of the key being read (the first, or one after a dot).
    bool key_component() {
        if (components_ == 0 || dotted_) {
            ++components_;
            dotted_ = false;
            if (cur_ + components_ > max_toml_depth) {
                at_ = here();
                return false;
            }
        }
        return true;
    }

    void close() {
        if (!stack_.empty()) {
            cur_ = stack_.back().depth;
            stack_.pop_back();
        }
        mode_ = Mode::Value;
        value_depth_ = cur_;
        advance();
    }

    // "[a.b]" or "[[a.b]]": the header's components are the depth of the keys below it.
    bool header() {
        advance();
        int extra = 0;
        if (i_ < s_.size() && s_[i_] == '[') {
            advance();
            extra = 1;  // an array of tables holds its tables one level down
        }
        cur_ = extra;
        components_ = 0;
        dotted_ = false;
        while (i_ < s_.size() && s_[i_] != ']' && s_[i_] != '\n') {
            char c = s_[i_];
            if (c == '"' || c == '\'') {
                if (!key_component()) return false;
                skip_string();
            } else if (c == '.') {
                dotted_ = true;
                advance();
            } else if (c == ' ' || c == '\t') {
                advance();
            } else {
                if (!key_component()) return false;
                advance();
                while (i_ < s_.size() && bare_key_char(s_[i_])) advance();
            }
        }
        table_depth_ = cur_ + components_;
        cur_ = table_depth_;
        components_ = 0;
        mode_ = Mode::Value;  // only a comment may follow on this line
        while (i_ < s_.size() && s_[i_] == ']') advance();
        return true;
    }

    bool starts_with(const char* quote3) const { return s_.compare(i_, 3, quote3) == 0; }

    // Skips a basic, literal or multi-line string starting at i_.
    void skip_string() {
        char q = s_[i_];
        bool multi = starts_with(q == '"' ? "\"\"\"" : "\'\'\'");
        for (int k = 0; k < (multi ? 3 : 1); ++k) advance();
        while (i_ < s_.size()) {
            char c = s_[i_];
            if (!multi && c == '\n') return;  // unterminated: toml11 reports it here
            if (q == '"' && c == '\\') {
                advance();
                if (i_ < s_.size()) advance();
                continue;
            }
            if (c == q && (!multi || starts_with(q == '"' ? "\"\"\"" : "\'\'\'"))) {
                for (int k = 0; k < (multi ? 3 : 1); ++k) advance();
                // A multi-line string may end with up to two quotes of its own before the
                // closing three.
                for (int k = 0; multi && k < 2 && i_ < s_.size() && s_[i_] == q; ++k) advance();
                return;
            }
            advance();
        }
    }

    const std::string& s_;
    size_t i_ = 0;
    int line_ = 1, column_ = 1;
    Mode mode_ = Mode::Key;
    std::vector<Open> stack_;
    int table_depth_ = 0;  // depth of the keys under the last table header
    int cur_ = 0;          // depth of the keys or values being read
    int value_depth_ = 0;  // depth of the value after '=' (its key's components included)
    int components_ = 0;   // components of the key being read
    bool dotted_ = false;  // a dot was read since the last component
    std::pair<int, int> at_;
};

// Where TEXT first is not UTF-8 (line, column, the byte), or nullopt. TOML files must be UTF-8,
// and toml11 3.7's own check reads past its buffer when a string holds an invalid sequence
// (found by fuzz_learned: the 3 bytes ' \xff ' overflowed the heap), so vigil checks first.
std::optional<std::tuple<int, int, unsigned>> invalid_utf8(const std::string& text) {
    int line = 1, column = 1;
    for (size_t i = 0; i < text.size();) {
        auto c = static_cast<unsigned char>(text[i]);
        size_t len = c < 0x80 ? 1 : (c >> 5) == 0x6 ? 2 : (c >> 4) == 0xe ? 3 : (c >> 3) == 0x1e ? 4 : 0;
        bool ok = len != 0 && i + len <= text.size();
        uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
        for (size_t k = 1; ok && k < len; ++k) {
            auto cont = static_cast<unsigned char>(text[i + k]);
            ok = (cont & 0xc0) == 0x80;
            cp = (cp << 6) | (cont & 0x3f);
        }
        // Overlong forms, UTF-16 surrogates and values above U+10FFFF are not UTF-8 either.
        static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        ok = ok && cp >= least[len] && !(cp >= 0xd800 && cp <= 0xdfff) && cp <= 0x10ffff;
        if (!ok) return std::tuple{line, column, static_cast<unsigned>(c)};
        if (c == '\n') {
            ++line;
            column = 1;
        } else {
            column += static_cast<int>(len);
        }
        i += len;
    }
    return std::nullopt;
}

// "[error] toml::parse_array: value having ..." -> "TOML syntax error: value having ...".
std::string syntax_message(const std::string& what) {
    std::string first = what.substr(0, what.find('\n'));
    if (first.starts_with("[error] ")) first = first.substr(8);
    if (first.starts_with("toml::")) {
        size_t colon = first.find(": ");
        if (colon != std::string::npos) first = first.substr(colon + 2);
    }
    return "TOML syntax error: " + first;
}

}  // namespace

const std::string& text_of(const TomlValue& v) {
#if TOML11_VERSION_MAJOR >= 4
    return v.as_string();
#else
    return v.as_string().str;
#endif
}

std::optional<std::string> read_text(const std::string& path, std::string& problem) {
    // O_NONBLOCK: opening a FIFO for reading would otherwise wait for a writer.
    int fd = open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NONBLOCK);
    if (fd < 0) {
        problem = std::strerror(errno);
        return std::nullopt;
    }
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        problem = std::string("fstat: ") + std::strerror(errno);
        close(fd);
        return std::nullopt;
    }
    if (!S_ISREG(st.st_mode)) {
        problem = S_ISDIR(st.st_mode) ? "is a directory" : "not a regular file";
        close(fd);
        return std::nullopt;
    }
    std::string text;
    char buf[8192];
    ssize_t n;
    while ((n = read(fd, buf, sizeof buf)) != 0) {
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) break;
        text.append(buf, static_cast<size_t>(n));
    }
    int saved = errno;
    close(fd);
    if (n < 0) {
        problem = std::strerror(saved);
        return std::nullopt;
    }
    return text;
}

namespace {

// The text with its comments removed (each '#' outside a string up to the end of its line;
// the newline stays), or nothing when the text does not lex cleanly (an unterminated string,
// a control character in a comment...): then the original goes to toml11, which reports it.
// Comments are most of a shipped profile's bytes, and toml11 3.x parses them a character at a
// time through its combinators (a quarter of the load of default.toml); it discards them
// anyway. Lines and the columns of everything left are unchanged, so every position is too.
std::optional<std::string> without_comments(const std::string& text) {
    std::string out;
    out.reserve(text.size());
    const size_t n = text.size();
    size_t i = 0;
    auto run_of = [&](size_t at, char q) {
        size_t k = 0;
        while (at + k < n && text[at + k] == q) ++k;
        return k;
    };
    while (i < n) {
        char c = text[i];
        if (c == '#') {
            size_t end = i;
            while (end < n && text[end] != '\n') {
                unsigned char u = static_cast<unsigned char>(text[end]);
                // TOML allows tab and no other control character in a comment ('\r' only
                // before '\n').
                bool crlf = u == '\r' && end + 1 < n && text[end + 1] == '\n';
                if ((u < 0x20 && u != '\t' && !crlf) || u == 0x7f) return std::nullopt;
                ++end;
            }
            if (end > i && text[end - 1] == '\r') out += '\r';
            i = end;
            continue;
        }
        if (c == '"' || c == '\'') {
            size_t quotes = run_of(i, c);
            bool multi = quotes >= 3;
            if (!multi && quotes == 2) {  // "" or '': an empty string
                out.append(text, i, 2);
                i += 2;
                continue;
            }
            size_t open = multi ? 3 : 1;
            size_t j = i + open;
            bool closed = false;
            while (j < n) {
                char d = text[j];
                if (d == '\\' && c == '"') {  // escapes only in basic strings
                    if (!multi && j + 1 < n && (text[j + 1] == '\n' || text[j + 1] == '\r'))
                        return std::nullopt;  // not an escape on one line: toml11 reports it
                    j += 2;
                    continue;
                }
                if (!multi && d == '\n') return std::nullopt;  // toml11 reports it
                if (d == c) {
                    if (!multi) {
                        ++j;
                        closed = true;
                        break;
                    }
                    size_t k = run_of(j, c);
                    if (k >= 3) {
                        if (k > 5) return std::nullopt;  // up to two quotes before the closing three
                        j += k;
                        closed = true;
                        break;
                    }
                    j += k;
                    continue;
                }
                ++j;
            }
            if (!closed || j > n) return std::nullopt;
            out.append(text, i, j - i);
            i = j;
            continue;
        }
        out += c;
        ++i;
    }
    return out;
}

}  // namespace

std::optional<TomlValue> parse_toml_text(const std::string& text, const std::string& path,
                                         SourcePos& where, std::string& message) {
    if (auto deep = DepthScan(text).run()) {
        where = {path, deep->first, deep->second};
        message = "TOML nesting deeper than " + std::to_string(max_toml_depth) +
                  " levels (arrays, inline tables and dotted keys together); no profile needs "
                  "that many";
        return std::nullopt;
    }
    if (auto bad = invalid_utf8(text)) {
        auto [line, column, byte] = *bad;
        where = {path, line, column};
        char hex[8];
        std::snprintf(hex, sizeof hex, "0x%02x", byte);
        message = std::string("TOML syntax error: not UTF-8 (byte ") + hex + "); a profile must be UTF-8 text";
        return std::nullopt;
    }
    if (auto lean = without_comments(text)) {
        try {
            std::istringstream in(*lean);
#if TOML11_VERSION_MAJOR >= 4
            return toml::parse<TomlConfig>(in, path);
#else
            return toml::parse<toml::discard_comments, std::map, std::vector>(in, path);
#endif
        } catch (const std::exception&) {
            // A syntax error: parse the text as written, so that the message quotes it.
        }
    }
    try {
        std::istringstream in(text);
#if TOML11_VERSION_MAJOR >= 4
        return toml::parse<TomlConfig>(in, path);
#else
        return toml::parse<toml::discard_comments, std::map, std::vector>(in, path);
#endif
    } catch (const toml::syntax_error& e) {
#if TOML11_VERSION_MAJOR >= 4
        where = {path, 1, 1};
        std::string title = e.what();
        if (!e.errors().empty()) {
            const auto& err = e.errors().front();
            title = err.title();
            if (!err.locations().empty()) {
                const auto& loc = err.locations().front().first;
                where = {path, static_cast<int>(loc.first_line_number()),
                         static_cast<int>(loc.first_column_number())};
            }
        }
        message = syntax_message(title);
#else
        where = {path, static_cast<int>(e.location().line()),
                 static_cast<int>(e.location().column())};
        message = syntax_message(e.what());
#endif
    } catch (const std::exception& e) {
        where = {path, 1, 1};
        message = syntax_message(e.what());
    }
    if (where.line <= 0) where = {path, 1, 1};
    return std::nullopt;
}

std::optional<TomlValue> parse_toml_file(const std::string& path, SourcePos& where,
                                         std::string& message) {
    auto text = read_text(path, message);
    if (!text) {
        where = {path, 0, 0};
        message = "cannot read " + path + ": " + message;
        return std::nullopt;
    }
    return parse_toml_text(*text, path, where, message);
}

TomlValue read_toml(const std::string& path) {
    SourcePos where;
    std::string problem;
    auto root = parse_toml_file(path, where, problem);
    if (!root) throw Error(where.line > 0 ? where.str() + ": " + problem : problem);
    return std::move(*root);
}

std::string Diagnostics::text() const {
    // Files in the order they first reported something, then by position within each file.
    std::vector<std::string> order;
    for (const auto& d : items_)
        if (std::find(order.begin(), order.end(), d.where.file) == order.end())
            order.push_back(d.where.file);
    std::vector<Diagnostic> sorted = items_;
    std::stable_sort(sorted.begin(), sorted.end(), [&](const Diagnostic& a, const Diagnostic& b) {
        auto fa = std::find(order.begin(), order.end(), a.where.file) - order.begin();
        auto fb = std::find(order.begin(), order.end(), b.where.file) - order.begin();
        if (fa != fb) return fa < fb;
        if (a.where.line != b.where.line) return a.where.line < b.where.line;
        return a.where.column < b.where.column;
    });
    std::string out;
    for (const auto& d : sorted) {
        if (!out.empty()) out += '\n';
        out += d.where.str() + ": " + d.message;
    }
    return out;
}

SourcePos Reader::pos(const TomlValue& v) const {
#if TOML11_VERSION_MAJOR >= 4
    auto loc = v.location();
    SourcePos p{file_, static_cast<int>(loc.first_line_number()),
                static_cast<int>(loc.first_column_number())};
#else
    SourcePos p{file_, 1, 1};
    // toml11 3.x counts the newlines from the start of the file for every location() (and
    // copies the line): on a 150-line profile that was a third of the whole load. The same
    // line and column from an index of line starts, built once per source.
    const auto* reg = dynamic_cast<const toml::detail::region*>(toml::detail::get_region(v));
    if (reg && reg->source()) {
        const std::vector<char>& src = *reg->source();
        if (line_index_source_.get() != &src) {
            line_index_source_ = reg->source();  // held: no other source can take its address
            line_starts_.assign(1, 0);
            for (size_t i = 0; i < src.size(); ++i)
                if (src[i] == '\n') line_starts_.push_back(i + 1);
        }
        size_t at = static_cast<size_t>(reg->first() - src.cbegin());
        auto next = std::upper_bound(line_starts_.begin(), line_starts_.end(), at);
        size_t line = static_cast<size_t>(next - line_starts_.begin());  // 1-based
        p = {file_, static_cast<int>(line), static_cast<int>(at - line_starts_[line - 1] + 1)};
    } else {
        auto loc = v.location();
        p = {file_, static_cast<int>(loc.line()), static_cast<int>(loc.column())};
    }
#endif
    if (p.line <= 0) p = {file_, 1, 1};  // toml11 has no region for values it synthesised
    return p;
}

void Reader::check_keys(const TomlValue& table, const std::string& name,
                        const std::vector<std::string>& known) {
    for (const auto& [key, value] : table.as_table()) {
        if (std::find(known.begin(), known.end(), key) != known.end()) continue;
        std::string where = name.empty() ? "at the top level" : "in [" + name + "]";
        error(value, "unknown key '" + key + "' " + where + did_you_mean(key, known));
    }
}

const TomlValue* Reader::find(const TomlValue& table, const std::string& key) {
    const auto& t = table.as_table();
    auto it = t.find(key);
    return it == t.end() ? nullptr : &it->second;
}

bool Reader::expect_table(const TomlValue& v, const std::string& what) {
    if (v.is_table()) return true;
    error(v, what + ": expected a table, found " + type_name(v));
    return false;
}

std::optional<std::string> Reader::string(const TomlValue& v, const std::string& what) {
    if (v.is_string()) return text_of(v);
    error(v, what + ": expected a string, found " + type_name(v));
    return std::nullopt;
}

std::optional<bool> Reader::boolean(const TomlValue& v, const std::string& what) {
    if (v.is_boolean()) return v.as_boolean();
    error(v, what + ": expected true or false, found " + type_name(v));
    return std::nullopt;
}

std::optional<int64_t> Reader::integer(const TomlValue& v, const std::string& what, int64_t min,
                                       int64_t max) {
    if (!v.is_integer()) {
        error(v, what + ": expected an integer, found " + type_name(v));
        return std::nullopt;
    }
    int64_t n = v.as_integer();
    if (n < min || n > max) {
        error(v, what + ": " + std::to_string(n) + " is out of range (" + std::to_string(min) +
                     ".." + std::to_string(max) + ")");
        return std::nullopt;
    }
    return n;
}

std::optional<std::vector<const TomlValue*>> Reader::string_array(const TomlValue& v,
                                                                  const std::string& what) {
    if (!v.is_array()) {
        error(v, what + ": expected an array of strings, found " + type_name(v));
        return std::nullopt;
    }
    std::vector<const TomlValue*> items;
    bool ok = true;
    for (const auto& e : v.as_array()) {
        if (e.is_string()) {
            items.push_back(&e);
        } else {
            error(e, what + ": expected a string, found " + type_name(e));
            ok = false;
        }
    }
    if (!ok) return std::nullopt;
    return items;
}

std::optional<std::string> Reader::name_or_id(const TomlValue& v, const std::string& what) {
    if (v.is_integer()) {
        auto n = integer(v, what, 0, 0xfffffffe);  // (uid_t)-1 means "unchanged" to the kernel
        if (!n) return std::nullopt;
        return std::to_string(*n);
    }
    if (!v.is_string()) {
        error(v, what + ": expected a name or a number, found " + type_name(v));
        return std::nullopt;
    }
    const std::string& s = text_of(v);
    bool valid = !s.empty() && s.size() <= 32;
    for (char c : s)
        valid = valid && (std::isalnum(static_cast<unsigned char>(c)) || c == '_' || c == '-' ||
                          c == '.' || c == '$');
    if (!valid) {
        error(v, what + ": '" + s + "' is not a valid user or group name");
        return std::nullopt;
    }
    return s;
}

std::optional<Action> Reader::action(const TomlValue& v, const std::string& what) {
    auto text = string(v, what);
    if (!text) return std::nullopt;
    std::string problem;
    auto a = parse_action(*text, problem);
    if (!a) error(v, what + ": " + problem);
    return a;
}

}  // namespace vigil::profile_detail
