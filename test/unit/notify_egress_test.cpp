// Egress allow-lists and exec path globs.
#include <arpa/inet.h>
#include <doctest/doctest.h>
#include <sys/un.h>

#include <cstring>

#include "vigil/error.hpp"
#include "vigil/notify.hpp"

using namespace vigil;

namespace {

std::vector<AllowEntry> entries(AllowListKind kind, std::vector<std::string> allow) {
    std::vector<AllowEntry> out;
    for (const auto& text : allow) {
        std::string problem;
        auto e = parse_allow_entry(kind, text, problem);
        if (!e) throw Error(problem);
        out.push_back(*e);
    }
    return out;
}

std::vector<AllowEntry> rules(std::vector<std::string> allow) {
    return entries(AllowListKind::Address, std::move(allow));
}

struct Addr {
    sockaddr_storage ss{};
    socklen_t len = 0;
    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

Addr v4(const char* ip, int port) {
    Addr r;
    sockaddr_storage& ss = r.ss;
    auto* a = reinterpret_cast<sockaddr_in*>(&ss);
    a->sin_family = AF_INET;
    a->sin_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET, ip, &a->sin_addr);
    r.len = sizeof(sockaddr_in);
    return r;
}

Addr v6(const char* ip, int port) {
    Addr r;
    sockaddr_storage& ss = r.ss;
    auto* a = reinterpret_cast<sockaddr_in6*>(&ss);
    a->sin6_family = AF_INET6;
    a->sin6_port = htons(static_cast<uint16_t>(port));
    inet_pton(AF_INET6, ip, &a->sin6_addr);
    r.len = sizeof(sockaddr_in6);
    return r;
}

Addr un(const std::string& path, bool abstract) {
    Addr r;
    sockaddr_storage& ss = r.ss;
    auto* a = reinterpret_cast<sockaddr_un*>(&ss);
    a->sun_family = AF_UNIX;
    size_t off = abstract ? 1 : 0;
    memcpy(a->sun_path + off, path.data(), path.size());
    r.len = static_cast<socklen_t>(offsetof(sockaddr_un, sun_path) + off + path.size() + (abstract ? 0 : 1));
    return r;
}

std::string matched(const std::vector<AllowEntry>& r, const Addr& a) {
    SockAddr s;
    s.ss = a.ss;
    s.len = a.len;
    const AllowEntry* m = match_address(r, s);
    return m ? m->text : "none";
}

}  // namespace

TEST_CASE("IPv4 CIDR and ports") {
    auto r = rules({"127.0.0.0/8:*", "10.1.2.3:443", "192.168.0.0/16:8000-8099"});
    CHECK(matched(r, v4("127.4.5.6", 1)) == "127.0.0.0/8:*");
    CHECK(matched(r, v4("10.1.2.3", 443)) == "10.1.2.3:443");
    CHECK(matched(r, v4("10.1.2.3", 444)) == "none");
    CHECK(matched(r, v4("10.1.2.4", 443)) == "none");
    CHECK(matched(r, v4("192.168.7.7", 8099)) == "192.168.0.0/16:8000-8099");
    CHECK(matched(r, v4("192.168.7.7", 8100)) == "none");
    CHECK(matched(r, v4("128.0.0.1", 80)) == "none");
    // A truncated address never matches.
    Addr a = v4("127.0.0.1", 80);
    a.len = 4;
    CHECK(matched(r, a) == "none");
}

TEST_CASE("IPv6 prefixes; IPv4 rules do not admit IPv6 addresses") {
    auto r = rules({"[::1]:5432", "[fd00::/8]:*", "127.0.0.1:5432"});
    CHECK(matched(r, v6("::1", 5432)) == "[::1]:5432");
    CHECK(matched(r, v6("::1", 5433)) == "none");
    CHECK(matched(r, v6("fd12:3456::1", 1)) == "[fd00::/8]:*");
    CHECK(matched(r, v6("fe80::1", 1)) == "none");
    CHECK(matched(r, v6("::ffff:127.0.0.1", 5432)) == "none");
}

TEST_CASE("unix paths and abstract names") {
    auto r = rules({"unix:/run/postgres/.s.PGSQL.5432", "unix:/run/app/*.sock", "unix:@jvm-attach"});
    CHECK(matched(r, un("/run/postgres/.s.PGSQL.5432", false)) != "none");
    CHECK(matched(r, un("/run/app/x.sock", false)) != "none");
    CHECK(matched(r, un("/run/app/sub/x.sock", false)) == "none");
    CHECK(matched(r, un("jvm-attach", true)) != "none");
    CHECK(matched(r, un("/run/docker.sock", false)) == "none");
    Addr a = un("/run/docker.sock", false);
    CHECK(format_sockaddr(a.sa(), a.len) == "unix:/run/docker.sock");
    a = un("jvm-attach", true);
    CHECK(format_sockaddr(a.sa(), a.len) == "unix:@jvm-attach");
}

TEST_CASE("abstract names are compared on their full length, NULs included") {
    auto r = rules({"unix:@foo"});
    CHECK(matched(r, un("foo", true)) == "unix:@foo");
    CHECK(matched(r, un(std::string("foo\0x", 5), true)) == "none");
    CHECK(matched(r, un(std::string("foo\0", 4), true)) == "none");
    CHECK(matched(r, un("fo", true)) == "none");
    CHECK(matched(r, un("foo", false)) == "none");  // a pathname socket "foo" is not @foo
    Addr a = un(std::string("foo\0x", 5), true);
    CHECK(format_sockaddr(a.sa(), a.len) == "unix:@foo\\x00x");
}

TEST_CASE("self-referring paths") {
    for (const char* p : {"/proc/self", "/proc/self/mem", "/proc/thread-self/fd/3", "/dev/fd/0", "/dev/fd"})
        CHECK(self_referring_path(p));
    for (const char* p : {"/proc/selfish", "/dev/fdx", "/proc/1/mem", "/tmp/proc/self"})
        CHECK_FALSE(self_referring_path(p));
}

TEST_CASE("format_sockaddr") {
    Addr a = v4("127.0.0.1", 8080);
    CHECK(format_sockaddr(a.sa(), a.len) == "127.0.0.1:8080");
    a = v6("::1", 5432);
    CHECK(format_sockaddr(a.sa(), a.len) == "[::1]:5432");
}

TEST_CASE("malformed entries are errors naming the policy") {
    for (const char* bad : {"127.0.0.1", "127.0.0.1:99999", "300.0.0.1:80", "10.0.0.0/33:80",
                            "[::1:80", "::1:80", "unix:relative.sock", "127.0.0.1:90-80", "x:1"}) {
        std::string text = bad;
        CAPTURE(text);
        try {
            rules({bad});
            FAIL("accepted");
        } catch (const Error& e) {
            CHECK(std::string(e.what()).size() > 0);
        }
    }
}

TEST_CASE("exec globs match only absolute, normalised paths") {
    auto g = entries(AllowListKind::Path, {"/usr/bin/*", "/opt/app/bin/java"});
    auto exec_path_allowed = [](const std::vector<AllowEntry>& globs, const std::string& path,
                                std::string*) { return match_path(globs, path) != nullptr; };
    std::string m;
    REQUIRE(match_path(g, "/usr/bin/java"));
    CHECK(match_path(g, "/usr/bin/java")->text == "/usr/bin/*");
    CHECK(exec_path_allowed(g, "/opt/app/bin/java", &m));
    CHECK_FALSE(exec_path_allowed(g, "/usr/bin/../../bin/sh", &m));
    CHECK_FALSE(exec_path_allowed(g, "/usr/bin/sub/sh", &m));
    CHECK_FALSE(exec_path_allowed(g, "/usr/bin/.hidden", &m));
    CHECK_FALSE(exec_path_allowed(g, "/usr/bin//sh", &m));
    CHECK_FALSE(exec_path_allowed(g, "/usr/bin/./sh", &m));
    CHECK_FALSE(exec_path_allowed(g, "usr/bin/sh", &m));
    CHECK_FALSE(exec_path_allowed(g, "/bin/sh", &m));
}
