// `vigil up FILE.toml`: several services under one vigil, each in its own sandbox (its own
// seccomp filter and listener, capabilities, user, Landlock domain), started in dependency
// order, stopped in reverse. Implemented in src/services; the file format is documented in
// README.md ("Several services: vigil up").
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <optional>
#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil {

struct ServiceSpec {
    std::string name;
    SourcePos where;                   // the [[service]] table
    std::vector<std::string> command;  // argv; argv[0] looked up in PATH
    std::string profile_path;          // resolved against FILE's directory; "" = none
    std::optional<Profile> profile;    // loaded from profile_path
    struct Dependency {
        std::string name;
        SourcePos where;
    };
    std::vector<Dependency> depends_on;
    // The profile's [supervise] settings with the service table's restart, restart_max,
    // restart_delay and stop_timeout applied over them.
    SuperviseSettings supervise;
};

struct ServicesFile {
    std::string path;
    std::vector<ServiceSpec> services;  // in file order
};

// Reads and validates FILE (and every service's profile) once, into typed values: unknown keys,
// missing or malformed values, duplicate names, unknown dependencies and dependency cycles are
// reported together, one "FILE:LINE:COL: message" line each, in a vigil::Error (exit 125).
ServicesFile load_services(const std::string& path);

// A dependency cycle among SERVICES as names, first name repeated at the end ("a", "b", "a"),
// or empty. AT is set to the index of the service whose depends_on closes it. Unknown names
// are ignored here (load_services reports them).
std::vector<std::string> dependency_cycle(const std::vector<ServiceSpec>& services, size_t* at = nullptr);

// The order in which services can start one after the other (each after its dependencies,
// file order otherwise); reversed, the order they stop in. Requires no cycle.
std::vector<size_t> start_order(const std::vector<ServiceSpec>& services);

// Who a service runs as, for the isolation check on kernels without Landlock's signal scope.
struct ServiceIdentity {
    std::string name;
    uid_t uid = 0;
    bool can_override = true;  // keeps CAP_KILL or CAP_SYS_PTRACE (a service without a profile keeps all)
};
// Without the signal scope, services are kept from signalling and tracing one another only by
// the kernel's uid checks: each needs a uid of its own and neither capability. Returns why IDS
// fall short, or "" when they do not.
std::string isolation_without_scope(const std::vector<ServiceIdentity>& ids);

// Runs every service until all have ended; returns vigil's exit code (see README: the first
// failed service's status). Throws vigil::Error (125) when the services cannot be isolated
// from one another on this kernel.
int run_services(ServicesFile& file);

}  // namespace vigil
