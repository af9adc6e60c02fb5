// The reviewed properties of the FHIR deployment's profiles (tomcat.toml, fhir-server.toml,
// hapi-fhir.toml, linuxforhealth-fhir.toml): what their headers promise, checked on the loaded
// profile and on the filter's own evaluation of concrete calls.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include <string>

#include "vigil/filter.hpp"
#include "vigil/profile.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;

namespace {

const std::string kDir = std::string(VIGIL_SOURCE_DIR) + "/profiles/";
const char* const kFhirProfiles[] = {"tomcat.toml", "fhir-server.toml", "hapi-fhir.toml",
                                     "linuxforhealth-fhir.toml"};

Action verdict(const Profile& p, const char* name, uint64_t a0 = 0, uint64_t a1 = 0) {
    auto nr = syscall_number(name);
    REQUIRE(nr.has_value());
    const uint64_t args[6] = {a0, a1, 0, 0, 0, 0};
    return evaluate(p, *nr, args).action;
}

const Action kAllow{ActionKind::Allow, 0};
const Action kNotify{ActionKind::Notify, 0};
const Action kEperm{ActionKind::Errno, EPERM};

}  // namespace

TEST_CASE("FHIR profiles: exec, new listeners and child waits only before ready") {
    for (const char* file : kFhirProfiles) {
        CAPTURE(file);
        Profile p = load_profile(kDir + file);
        REQUIRE(p.ready.has_value());
        CHECK(p.ready->output_match.has_value());
        for (const char* s : {"execve", "execveat", "bind", "listen", "socketpair"}) {
            CAPTURE(s);
            CHECK(verdict(p, s, AF_UNIX, SOCK_STREAM) == kNotify);
            REQUIRE(p.notify.count(s) == 1);
            const auto& by_phase = p.notify.at(s).by_phase;
            REQUIRE(by_phase.count("startup") == 1);
            REQUIRE(by_phase.count("ready") == 1);
            CHECK(by_phase.at("startup") == kAllow);
            CHECK(by_phase.at("ready") == kEperm);
        }
        // Without a listener the phases cannot be told apart: exec fails closed.
        CHECK(p.notify.at("execve").fallback == kEperm);
        CHECK(p.notify.at("execveat").fallback == kEperm);
    }
}

TEST_CASE("FHIR profiles: egress only to loopback and nscd, decided without a racy allow") {
    for (const char* file : kFhirProfiles) {
        CAPTURE(file);
        Profile p = load_profile(kDir + file);
        CHECK(verdict(p, "connect") == kNotify);
        const auto& c = p.notify.at("connect");
        CHECK(c.otherwise.kind == ActionKind::Errno);
        for (const auto& allowed : c.allow) {
            const std::string& entry = allowed.text;
            CAPTURE(entry);
            bool loopback = entry.rfind("127.", 0) == 0 || entry.rfind("[::1]", 0) == 0 ||
                            entry.rfind("[::ffff:127.", 0) == 0;
            bool nscd = entry.find("nscd/socket") != std::string::npos;
            CHECK((loopback || nscd));
        }
    }
}

TEST_CASE("FHIR profiles: UDP sockets only at start-up, streams always, no fork or memfd") {
    for (const char* file : kFhirProfiles) {
        CAPTURE(file);
        Profile p = load_profile(kDir + file);
        CHECK(verdict(p, "socket", AF_INET, SOCK_STREAM) == kAllow);
        CHECK(verdict(p, "socket", AF_INET6, SOCK_STREAM | SOCK_CLOEXEC) == kAllow);
        CHECK(verdict(p, "socket", AF_UNIX, SOCK_STREAM) == kAllow);
        CHECK(verdict(p, "socket", AF_INET, SOCK_DGRAM) == kNotify);
        CHECK(p.notify.at("socket").by_phase.at("ready") == kEperm);
        CHECK(verdict(p, "socket", AF_PACKET, SOCK_RAW) == kEperm);
        CHECK(verdict(p, "fork") == kEperm);
        if (std::string(file) == "linuxforhealth-fhir.toml") {
            // Liberty's `server` script vforks at start-up: allowed then, EPERM once ready.
            CHECK(verdict(p, "vfork") == kNotify);
            CHECK(p.notify.at("vfork").by_phase.at("ready") == kEperm);
            CHECK(p.notify.at("vfork").fallback == kEperm);
        } else {
            CHECK(verdict(p, "vfork") == kEperm);
        }
        CHECK(verdict(p, "memfd_create") == kEperm);
        // What the JVM does all the time stays out of the supervisor's way.
        for (const char* s : {"futex", "read", "write", "epoll_wait", "accept", "fsync", "rename"}) {
            CAPTURE(s);
            CHECK(verdict(p, s) == kAllow);
        }
        CHECK(p.supervise.remap_exit == std::vector<int>{143});
    }
}

TEST_CASE("fhir-server.toml: the store makes directories only at start-up") {
    Profile p = load_profile(kDir + "fhir-server.toml");
    CHECK(verdict(p, "mkdir") == kNotify);
    CHECK(p.notify.at("mkdir").by_phase.at("ready") == kEperm);
    CHECK(verdict(load_profile(kDir + "tomcat.toml"), "mkdir") == kAllow);
}
