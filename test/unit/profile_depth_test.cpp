// Deeply nested input: profiles, learned tables and OCI JSON are refused with a position
// before any recursive parser sees them (toml11 recursed once per level and overflowed the
// stack at 200,000 levels: vigil check died with SIGSEGV).
#include <doctest/doctest.h>

#include <string>

#include "profile_files.hpp"
#include "vigil/error.hpp"
#include "vigil/learn.hpp"
#include "vigil/oci.hpp"
#include "vigil/profile.hpp"

using namespace vigil;

namespace {

constexpr int kDeep = 200000;

std::string repeat(const std::string& s, int n) {
    std::string out;
    out.reserve(s.size() * static_cast<size_t>(n));
    for (int i = 0; i < n; ++i) out += s;
    return out;
}

std::string load_error(const std::string& path) {
    try {
        load_profile(path);
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST_CASE("200,000-deep TOML is refused at a position, in every nesting form") {
    test::ProfileDir dir;
    const std::pair<const char*, std::string> cases[] = {
        {"arrays", "a = " + repeat("[", kDeep) + repeat("]", kDeep) + "\n"},
        {"inline tables", "[seccomp]\nx = " + repeat("{a=", kDeep) + "1" + repeat("}", kDeep) + "\n"},
        {"dotted keys", "a" + repeat(".a", kDeep) + " = 1\n"},
        {"table header", "[a" + repeat(".a", kDeep) + "]\nb = 1\n"},
        {"arrays in a learned table", "[learned]\nassumed = " + repeat("[", kDeep) + "\n"},
    };
    for (const auto& c : cases) {
        CAPTURE(c.first);
        std::string path = dir.write("deep.toml", c.second);
        std::string err = load_error(path);
        CHECK(err.starts_with(path + ":"));
        CHECK(err.find("TOML nesting deeper than 64 levels") != std::string::npos);
        // The learned-table reader (vigil learn -p) reads the same file through the same guard.
        try {
            learn::read_learned(path);
            CHECK_MESSAGE(false, "read_learned accepted it");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).find("TOML nesting deeper than 64 levels") != std::string::npos);
        }
    }
}

TEST_CASE("nesting within the limit, and brackets inside strings and comments, are fine") {
    test::ProfileDir dir;
    std::string path = dir.write(
        "ok.toml", "complain = true\n"
                   "# [[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\n"
                   "[learned]\n"
                   "assumed = [\"" + repeat("[{.", 100) + "\", '" + repeat("[", 100) + "', \"\"\"\n" +
                   repeat("[", 100) + "\"\"\"]\n"
                   "x = " + repeat("[", 60) + repeat("]", 60) + "\n");
    CHECK(load_error(path) == "");
}

TEST_CASE("200,000-deep OCI JSON is refused at a position") {
    std::string text = "{\"defaultAction\":\"SCMP_ACT_ERRNO\",\"syscalls\":[{\"names\":[\"read\"],"
                       "\"action\":\"SCMP_ACT_ALLOW\",\"args\":" +
                       repeat("[", kDeep) + repeat("]", kDeep) + "}]}";
    std::string err;
    try {
        parse_oci_json(text, "deep.json");
    } catch (const Error& e) {
        err = e.what();
    }
    CHECK(err.starts_with("import-oci: deep.json:1:"));
    CHECK(err.find("JSON nesting deeper than 64 levels") != std::string::npos);
    // Strings may hold brackets and escaped quotes.
    CHECK_NOTHROW(parse_oci_json("{\"a\":\"" + repeat("[\\\"", 1000) + "\"}", "ok.json"));
}

TEST_CASE("text that is not UTF-8 is refused at its position before toml11 sees it") {
    // Found by fuzz_learned: toml11 3.7 read past its buffer on the 3 bytes ' \xff '.
    test::ProfileDir dir;
    for (const std::string bad : {"'\xff'", "a = \"\xc0\xaf\"", "a = 1\nb = '\xed\xa0\x80'", "x = \"\xf4\x90\x80\x80\""}) {
        CAPTURE(bad);
        std::string path = dir.write("bad.toml", bad);
        std::string err = load_error(path);
        CHECK(err.find("not UTF-8") != std::string::npos);
        CHECK_THROWS_WITH(learn::read_learned(path), doctest::Contains("not UTF-8"));
    }
    std::string path = dir.write("bad.toml", "complain = true\n# caf\xc3\xa9 \xe2\x9c\x93 \xf0\x9f\x98\x80\n");
    CHECK(load_error(path) == "");
    path = dir.write("bad.toml", "complain = true\nx = 'ab\xff'\n");
    CHECK(load_error(path).starts_with(path + ":2:8: TOML syntax error: not UTF-8 (byte 0xff)"));
}
