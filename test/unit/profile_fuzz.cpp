// Randomly damaged profiles: the loader either accepts them or throws vigil::Error with
// FILE:LINE:COL lines; it never crashes or lets another exception escape. A fixed-seed
// regression that runs with every unit test; the coverage-guided search is test/fuzz
// (libFuzzer, .ci/fuzz).
#include <doctest/doctest.h>

#include <random>

#include "profile_files.hpp"
#include "vigil/error.hpp"
#include "vigil/profile.hpp"

using namespace vigil;

namespace {

const char kSeed[] = R"(include = ["base.toml"]
complain = false
[process]
user = "fhir"
capabilities = ["NET_BIND_SERVICE"]
[seccomp]
default = "errno:EPERM"
allow = ["@basic-io", "@network-io", "openat"]
notify = ["execve", "connect"]
[seccomp.deny]
ptrace = "kill-process"
"@mount" = "errno:EPERM"
[[seccomp.rule]]
syscall = "clone"
action = "allow"
when = ["arg0 & CLONE_NEWUSER|CLONE_NEWNS == 0"]
[notify.execve]
startup = "allow"
ready = "errno:EPERM"
allow = ["/usr/bin/*"]
[notify.connect]
allow = ["127.0.0.0/8:*", "[::1]:5432", "unix:/run/x"]
otherwise = "errno:ECONNREFUSED"
[phases.ready]
tcp_listen = 8080
output_match = "started in \\d+"
[supervise]
stop_timeout_ms = 1000
remap_exit = [143]
[audit]
format = "json"
)";

const char kAlphabet[] = "[]{}=\"',.#@:|&<>!-_ \n\t0123456789abcdefxyzAFINET\\";

std::string mutate(std::string text, std::mt19937& rng) {
    int edits = 1 + static_cast<int>(rng() % 4);
    for (int i = 0; i < edits && !text.empty(); ++i) {
        size_t at = rng() % text.size();
        char c = kAlphabet[rng() % (sizeof kAlphabet - 1)];
        switch (rng() % 4) {
            case 0: text[at] = c; break;
            case 1: text.insert(text.begin() + at, c); break;
            case 2: text.erase(at, 1 + rng() % 8); break;
            default: text.insert(at, text.substr(rng() % text.size(), 1 + rng() % 20)); break;
        }
    }
    return text;
}

}  // namespace

TEST_CASE("damaged profiles are accepted or refused with positioned errors, never crash") {
    test::ProfileDir dir;
    dir.write("base.toml", "[seccomp]\nallow = [\"read\"]\n");
    std::mt19937 rng(20261122);
    int refused = 0;
    const int rounds = 1000;
    for (int i = 0; i < rounds; ++i) {
        std::string text = mutate(kSeed, rng);
        std::string path = dir.write("a.toml", text);
        try {
            load_profile(path);
        } catch (const Error& e) {
            ++refused;
            std::string what = e.what();
            CHECK_MESSAGE(what.starts_with(dir.path() + "/"), text << "\n--> " << what);
            CHECK(e.code == kExitVigilError);
        } catch (const std::exception& e) {
            FAIL_CHECK("non-vigil exception: " << e.what() << "\n" << text);
        }
    }
    MESSAGE("refused " << refused << " of " << rounds);
    // Most random damage must be caught; some (inside a comment-free string, say) is harmless.
    CHECK(refused > rounds / 2);
    CHECK(refused < rounds);
}
