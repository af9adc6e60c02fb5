// The OCI runtime-spec / Docker seccomp JSON (what `docker --security-opt seccomp=FILE`,
// podman and Kubernetes load), in both directions. Implemented in src/oci.
#pragma once

#include <nlohmann/json.hpp>

#include <string>

#include "vigil/profile.hpp"

namespace vigil {

// PROFILE as a runtime without vigil's supervisor would run it: notify actions become their
// policy's fallback and complain mode becomes SCMP_ACT_LOG (no listener in an OCI runtime);
// architectures lists only SCMP_ARCH_X86_64, so i386 and x32 calls meet the runtime's
// bad-architecture action; clone3 gets an explicit ENOSYS entry (as in Docker's profile).
// Syscalls newer than the runtime's tables get ENOSYS from runc/crun themselves.
nlohmann::json profile_to_oci(const Profile& profile);

// An OCI/Docker seccomp JSON as TOML profile text in the profiles/README.md schema, for
// x86_64 with Docker's default capability set: entries whose includes/excludes (caps,
// arches) rule them out are dropped, and a comment at the top says what was dropped and why.
// SOURCE names the input in that comment. Throws vigil::Error on JSON the schema cannot say.
std::string oci_to_toml(const nlohmann::json& oci, const std::string& source);

// Deeper JSON nesting is refused before parsing (a seccomp profile has about 5 levels).
inline constexpr int max_json_depth = 64;
// TEXT (the file SOURCE) parsed as JSON; throws vigil::Error for bad or too deeply nested
// input ("import-oci: SOURCE:LINE:COL: ..." for the latter), never crashes.
nlohmann::json parse_oci_json(const std::string& text, const std::string& source);

}  // namespace vigil
