// parse_toml_text hands toml11 the text without its comments (a speed-up, src/profile/reader.cpp):
// the values, the positions and the errors must be exactly those of the text as written.
#include <doctest/doctest.h>

#include <sstream>

#include "../../src/profile/reader.hpp"

using namespace vigil;
using namespace vigil::profile_detail;

namespace {

std::optional<TomlValue> as_written(const std::string& text) {
    try {
        std::istringstream in(text);
#if TOML11_VERSION_MAJOR >= 4
        return toml::parse<TomlConfig>(in, "t.toml");
#else
        return toml::parse<toml::discard_comments, std::map, std::vector>(in, "t.toml");
#endif
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

}  // namespace

TEST_CASE("comments removed before parsing change no value, position or error") {
    const char* texts[] = {
        "# only a comment\na = 1 # trailing\n",
        "a = \"x # not a comment\" # a comment\n",
        "a = 'lit # not' # c\nb = \"esc \\\" # still string\" # c\n",
        "a = \"\"\"multi\n# not a comment\nline\"\"\" # c\n",
        "a = '''multi\n# not\n'''\nb = \"\"\"q\"\"\"\"\" # two quotes before the end\n",
        "a = \"\"\"x \\\n   # continued\"\"\"\n",
        "a = \"\" # empty\nb = '' # empty\n",
        "[t] # table\nk = [1, # in an array\n 2] # end\n",
        "\"quoted # key\" = 1 # c\n",
        "a = 1\r\n# crlf comment\r\nb = 2 # x\r\n",
        "a = \"unterminated # c\n",
        "a = 1 # control \x01 in a comment\n",
        "a = \"bad \\\nescape\" # c\n",
        "a = \"\"\"six\"\"\"\"\"\" # c\n",
        "ke#y = 1\n",
        "a = [1, 2 # c\n",
    };
    for (const char* t : texts) {
        CAPTURE(t);
        std::string text = t;
        SourcePos where;
        std::string message;
        auto got = parse_toml_text(text, "t.toml", where, message);
        auto want = as_written(text);
        REQUIRE(got.has_value() == want.has_value());
        if (got) CHECK(*got == *want);
    }
}

TEST_CASE("positions are those of the text as written") {
    std::string text = "# c1\n# c2 \"with a quote\n[seccomp] # c\n  default = \"allow\" # c\nallow = [\"read\", # c\n  \"write\"]\n";
    SourcePos where;
    std::string message;
    auto root = parse_toml_text(text, "p.toml", where, message);
    REQUIRE(root);
    Diagnostics diags;
    Reader r("p.toml", diags);
    const TomlValue& seccomp = root->as_table().at("seccomp");
    SourcePos d = r.pos(seccomp.as_table().at("default"));
    CHECK(d.line == 4);
    CHECK(d.column == 13);
    const auto& allow = seccomp.as_table().at("allow").as_array();
    SourcePos w = r.pos(allow.at(1));
    CHECK(w.line == 6);
    CHECK(w.column == 3);
}
