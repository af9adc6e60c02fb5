// The OCI runtime-spec / Docker seccomp JSON (what `docker --security-opt seccomp=FILE`,
// podman and Kubernetes load), in both directions. Implemented in src/oci.
#pragma once

#include <nlohmann/json.hpp>

#include <set>
#include <string>

#include "vigil/profile.hpp"

namespace vigil {

// PROFILE as a runtime without vigil's supervisor would run it: notify actions become their
// policy's fallback and complain mode becomes SCMP_ACT_LOG (no listener in an OCI runtime);
// architectures lists only SCMP_ARCH_X86_64, so i386 and x32 calls meet the runtime's
// bad-architecture action; clone3 gets an explicit ENOSYS entry (as in Docker's profile).
// Syscalls newer than the runtime's tables get ENOSYS from runc/crun themselves.
nlohmann::json profile_to_oci(const Profile& profile);

// PROFILE as a Security Profiles Operator SeccompProfile (the OCI rules of profile_to_oci
// under spec:). API_VERSION is "v1" (security-profiles-operator.x-k8s.io/v1, cluster-scoped)
// or "v1beta1" (namespaced); NAME must be a DNS-1123 subdomain. Throws vigil::Error for what
// the CRD cannot say (an argument value above 2^63-1: its args are int64); warns (log::warn) where
// the operator's runtime will differ from vigil (notified syscalls run their fallback, a
// default errno other than EPERM: the CRD has no defaultErrnoRet).
nlohmann::json profile_to_spo(const Profile& profile, const std::string& name, const std::string& api_version);
// A DNS-1123 subdomain made from a file name ("/x/hapi_fhir.toml" -> "hapi-fhir").
std::string spo_default_name(const std::string& path);
// "" when NAME is a valid Kubernetes object name (DNS-1123 subdomain), else why not.
std::string k8s_name_problem(const std::string& name);
// JSON as block-style YAML (strings that could be read as anything else are double-quoted,
// with JSON escapes, which YAML reads the same way).
std::string to_yaml(const nlohmann::json& value);

// The capabilities a container runtime gives a container, which decide the includes/excludes
// "caps" of Docker-style seccomp profiles. CAPS in "CAP_CHOWN" form.
struct RuntimeCaps {
    std::string label;  // for the comment on top of the imported profile
    std::set<std::string> caps;
};
// "docker" (Docker's default 14), "podman" (podman's default 11), "none", or a comma list of
// capability names and those set names ("podman,NET_RAW"). Throws vigil::Error naming an unknown
// capability (with a suggestion).
RuntimeCaps parse_runtime_caps(const std::string& list);

// An OCI/Docker seccomp JSON as TOML profile text in the profiles/README.md schema, for
// x86_64 with the capabilities CAPS (Docker's default set unless told): entries whose
// includes/excludes (caps, arches) rule them out are dropped, and a comment at the top says
// what was dropped and why. SOURCE names the input in that comment. Throws vigil::Error on
// JSON the schema cannot say.
std::string oci_to_toml(const nlohmann::json& oci, const std::string& source,
                        const RuntimeCaps& caps = parse_runtime_caps("docker"));

// Deeper JSON nesting is refused before parsing (a seccomp profile has about 5 levels).
inline constexpr int max_json_depth = 64;
// TEXT (the file SOURCE) parsed as JSON; throws vigil::Error for bad or too deeply nested
// input ("import-oci: SOURCE:LINE:COL: ..." for the latter), never crashes.
nlohmann::json parse_oci_json(const std::string& text, const std::string& source);

}  // namespace vigil
