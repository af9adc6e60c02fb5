// src/text: escapers for app-controlled bytes and the strict number parsers.
#include <doctest/doctest.h>

#include <nlohmann/json.hpp>
#include <toml.hpp>

#include <sstream>

#include "vigil/text.hpp"

using namespace vigil;

namespace {

// Every kind of byte an app can put in a thread name, a path or an argument.
const std::string kHostile = std::string("a\"b\\c\nd\re\tf\x01g\x7fh]]i\"\"\"j'k") + "\xff\xfe" +
                             "\xc3\x28" /* bad continuation */ + "\xed\xa0\x80" /* surrogate */ +
                             "\xc0\xaf" /* overlong */ + "\xf4\x90\x80\x80" /* > U+10FFFF */ +
                             std::string("\0z", 2) + "\xc3\xa9" /* é, valid */;

}  // namespace

TEST_CASE("UTF-8 validation and replacement") {
    CHECK(text::valid_utf8("plain ascii"));
    CHECK(text::valid_utf8("\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"));
    CHECK_FALSE(text::valid_utf8("\xff"));
    CHECK_FALSE(text::valid_utf8("\xc3"));             // truncated
    CHECK_FALSE(text::valid_utf8("\xe0\x80\xaf"));     // overlong
    CHECK_FALSE(text::valid_utf8("\xed\xa0\x80"));     // surrogate
    CHECK_FALSE(text::valid_utf8("\xf4\x90\x80\x80")); // past U+10FFFF
    CHECK(text::sanitize_utf8("ok \xc3\xa9") == "ok \xc3\xa9");
    CHECK(text::sanitize_utf8("a\xff" "b") == "a\xEF\xBF\xBD" "b");
    CHECK(text::valid_utf8(text::sanitize_utf8(kHostile)));
}

TEST_CASE("json_escape gives a string every JSON parser takes back") {
    std::string doc = "{\"v\":\"" + text::json_escape(kHostile) + "\"}";
    auto j = nlohmann::json::parse(doc);  // throws on invalid JSON or UTF-8
    std::string back = j["v"];
    CHECK(back.find('\n') != std::string::npos);  // escaped, not lost
    CHECK(back == text::sanitize_utf8(kHostile));
}

TEST_CASE("toml_string and toml_comment cannot break out of their place") {
    std::string doc = "# " + text::toml_comment(kHostile) + "\nkey = " + text::toml_string(kHostile) +
                      "\nafter = 1\n";
    std::istringstream in(doc);
    auto t = toml::parse(in, "hostile.toml");
    CHECK(toml::find<std::string>(t, "key") == text::sanitize_utf8(kHostile));
    CHECK(toml::find<int>(t, "after") == 1);
    CHECK(text::toml_comment("x\ny").find('\n') == std::string::npos);
}

TEST_CASE("log_escape keeps a name on one printable line") {
    std::string s = text::log_escape("evil\nvigil[1] error: forged\x1b[31m\xff\\");
    CHECK(s == "evil\\nvigil[1] error: forged\\x1b[31m\\xff\\\\");
    CHECK(text::log_escape("caf\xc3\xa9") == "caf\xc3\xa9");
}

TEST_CASE("html_escape") {
    CHECK(text::html_escape("<a href='x'>&\"</a>") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;");
    CHECK(text::valid_utf8(text::html_escape(kHostile)));
}

TEST_CASE("hex and strict number parsing") {
    CHECK(text::hex(0) == "0x0");
    CHECK(text::hex(0x1f) == "0x1f");
    CHECK(text::hex(~0ULL) == "0xffffffffffffffff");
    CHECK(text::parse_unsigned("42") == 42u);
    CHECK(text::parse_unsigned("1F90", 16) == 0x1f90u);
    CHECK(text::parse_unsigned("18446744073709551615") == ~0ULL);
    CHECK_FALSE(text::parse_unsigned("18446744073709551616"));
    for (const char* bad : {"", " 1", "1 ", "+1", "-1", "1x", "0x10", "١"})
        CHECK_FALSE(text::parse_unsigned(bad));
    CHECK_FALSE(text::parse_unsigned("8", 8));
    CHECK(text::parse_c_number("0x1F") == 0x1fu);
    CHECK(text::parse_c_number("017") == 15u);
    CHECK(text::parse_c_number("0") == 0u);
    CHECK_FALSE(text::parse_c_number("0x"));
    CHECK_FALSE(text::parse_c_number("09"));
    CHECK(text::parse_integer("-5", -10, 10) == -5);
    CHECK(text::parse_integer("-9223372036854775808", LLONG_MIN, LLONG_MAX) == LLONG_MIN);
    CHECK_FALSE(text::parse_integer("9223372036854775808", LLONG_MIN, LLONG_MAX));
    CHECK_FALSE(text::parse_integer("11", -10, 10));
    CHECK_FALSE(text::parse_integer("-", -10, 10));
}
