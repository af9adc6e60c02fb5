// Issue 11: syscalls newer than libseccomp, the SeccompProfile export and its YAML, runtime
// capability sets for import-oci, capability names.
#include <doctest/doctest.h>
#include <seccomp.h>

#include <cstdlib>
#include <memory>

#include "filter_support.hpp"
#include "vigil/oci.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;
using namespace vigil::test;
using nlohmann::json;

TEST_CASE("syscalls newer than Debian 12's libseccomp are known by name and number") {
    struct Known {
        const char* name;
        int nr;
    };
    for (Known k : {Known{"uretprobe", 335}, {"uprobe", 336}, {"cachestat", 451}, {"futex_requeue", 456},
                    {"statmount", 457}, {"listmount", 458}, {"lsm_get_self_attr", 459},
                    {"lsm_set_self_attr", 460}, {"lsm_list_modules", 461}, {"mseal", 462},
                    {"setxattrat", 463}, {"getxattrat", 464}, {"listxattrat", 465}, {"removexattrat", 466},
                    {"open_tree_attr", 467}, {"file_getattr", 468}, {"file_setattr", 469}}) {
        CHECK_MESSAGE(syscall_number(k.name) == k.nr, k.name);
        CHECK_MESSAGE(syscall_name(k.nr) == k.name, k.name);
    }
    CHECK(all_syscall_names().back() == "file_setattr");
    // The holes of the table stay holes: 337..423 were never assigned on x86_64.
    CHECK_FALSE(syscall_name(337));
    CHECK_FALSE(syscall_name(423));
    CHECK_FALSE(syscall_name(470));
}

TEST_CASE("vigil's table agrees with every name the linked libseccomp knows") {
    for (int nr = 0; nr < 512; ++nr) {
        std::unique_ptr<char, decltype(&std::free)> name(seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr),
                                                         &std::free);
        if (!name) continue;
        CHECK_MESSAGE(syscall_name(nr) == std::string(name.get()), "nr " << nr);
    }
}

TEST_CASE("a profile allows or denies a newer syscall by rule like any other") {
    const uint64_t none[6] = {};
    Profile p = profile_with(err(EPERM), {rule("mseal", allow()), rule("statmount", err(EACCES)),
                                          rule("file_setattr", act(ActionKind::KillProcess))});
    CHECK(evaluate(p, 462, none).action == allow());
    CHECK(evaluate(p, 457, none).action == err(EACCES));
    CHECK(evaluate(p, 469, none).action == act(ActionKind::KillProcess));
    CHECK(evaluate(p, 458, none).action == err(EPERM));  // listmount: the default
    // The compiled program decides the same (libseccomp takes native numbers it cannot name).
    BpfProgram prog = compile_filter(p, {.listener = true});
    CHECK(full_decision(prog.insns, 462, none) == SCMP_ACT_ALLOW);
    CHECK(full_decision(prog.insns, 457, none) == SCMP_ACT_ERRNO(EACCES));
    CHECK(full_decision(prog.insns, 469, none) == SCMP_ACT_KILL_PROCESS);
    CHECK(full_decision(prog.insns, 458, none) == SCMP_ACT_ERRNO(EPERM));
    // Above the table: ENOSYS, whatever the default.
    CHECK(full_decision(prog.insns, 470, none) == SCMP_ACT_ERRNO(ENOSYS));
}

TEST_CASE("groups hold the newer syscalls") {
    auto has = [](const char* group, const char* s) {
        auto m = expand_group(group);
        return std::find(m.begin(), m.end(), s) != m.end();
    };
    CHECK(has("@mount", "statmount"));
    CHECK(has("@mount", "open_tree_attr"));
    CHECK(has("@file-system", "getxattrat"));
    CHECK(has("@file-system", "file_setattr"));
    CHECK(has("@debug", "uprobe"));
}

TEST_CASE("SeccompProfile: v1 and v1beta1 carry the OCI rules under spec") {
    Profile p = profile_with(err(EPERM), {rule("read", allow()), rule("ptrace", act(ActionKind::KillProcess)),
                                          rule("socket", allow(), {cond(0, CmpOp::Eq, 2)})});
    json v1 = profile_to_spo(p, "hapi-fhir", "v1");
    CHECK(v1["apiVersion"] == "security-profiles-operator.x-k8s.io/v1");
    CHECK(v1["kind"] == "SeccompProfile");
    CHECK(v1["metadata"]["name"] == "hapi-fhir");
    CHECK_FALSE(v1["metadata"].contains("namespace"));
    CHECK(v1["spec"]["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK_FALSE(v1["spec"].contains("defaultErrnoRet"));  // the CRD has no such field
    CHECK(v1["spec"]["architectures"] == json::array({"SCMP_ARCH_X86_64"}));
    CHECK(v1["spec"]["syscalls"] == profile_to_oci(p)["syscalls"]);
    CHECK(profile_to_spo(p, "x", "v1beta1")["apiVersion"] == "security-profiles-operator.x-k8s.io/v1beta1");
    CHECK_THROWS_WITH(profile_to_spo(p, "x", "v2"), doctest::Contains("expected v1 or v1beta1"));
}

TEST_CASE("SeccompProfile: names and values the CRD cannot hold are refused") {
    Profile p = profile_with(err(EPERM), {rule("read", allow())});
    for (const char* bad : {"", "Hapi", "hapi_fhir", "-hapi", "hapi-", "a..b", "hapi fhir"})
        CHECK_MESSAGE(!k8s_name_problem(bad).empty(), bad);
    CHECK(k8s_name_problem("hapi-fhir.v2").empty());
    CHECK(k8s_name_problem(std::string(64, 'a')) != "");
    CHECK_THROWS_WITH(profile_to_spo(p, "Hapi", "v1"), doctest::Contains("DNS-1123"));
    Profile big = profile_with(allow(), {rule("ioctl", err(EPERM), {cond(2, CmpOp::Eq, 0x8000000000000000ull)})});
    CHECK_THROWS_WITH(profile_to_spo(big, "x", "v1"), doctest::Contains("int64"));
    CHECK_NOTHROW(profile_to_spo(profile_with(allow(), {rule("ioctl", err(EPERM), {cond(2, CmpOp::Eq, 0x7fffffffffffffffull)})}),
                                 "x", "v1"));
    CHECK(spo_default_name("/etc/vigil/Hapi_FHIR.toml") == "hapi-fhir");
    CHECK(spo_default_name("__.toml") == "vigil-profile");
    CHECK(k8s_name_problem(spo_default_name(std::string(300, 'x') + ".toml")).empty());
}

TEST_CASE("to_yaml: block YAML that reads back as the same JSON") {
    json j = {{"a", "SCMP_ACT_ALLOW"}, {"b", json::array({"read", "write"})}, {"c", {{"d", 1}, {"e", json::array()}}},
              {"f", json::array({{{"names", {"x"}}, {"action", "go"}}})}, {"g", "true"}, {"h", "a: b\n#c"},
              {"i", json::object()}, {"j", 18446744073709551615ull}, {"k", "07"}};
    std::string y = to_yaml(j);
    INFO(y);
    CHECK(y.find("a: SCMP_ACT_ALLOW\n") != std::string::npos);
    CHECK(y.find("b:\n- read\n- write\n") != std::string::npos);
    CHECK(y.find("c:\n  d: 1\n  e: []\n") != std::string::npos);
    CHECK(y.find("f:\n- action: go\n  names:\n  - x\n") != std::string::npos);
    CHECK(y.find("g: \"true\"\n") != std::string::npos);        // would read as a boolean
    CHECK(y.find("h: \"a: b\\n#c\"\n") != std::string::npos);   // indicators and a newline
    CHECK(y.find("i: {}\n") != std::string::npos);
    CHECK(y.find("j: 18446744073709551615\n") != std::string::npos);
    CHECK(y.find("k: \"07\"\n") != std::string::npos);          // would read as a number
}

TEST_CASE("import-oci --caps: Docker's, podman's, none, or a list") {
    RuntimeCaps docker = parse_runtime_caps("docker");
    CHECK(docker.caps.size() == 14);
    CHECK(docker.caps.count("CAP_NET_RAW"));
    RuntimeCaps podman = parse_runtime_caps("podman");
    CHECK(podman.caps.size() == 11);
    CHECK_FALSE(podman.caps.count("CAP_NET_RAW"));
    CHECK_FALSE(podman.caps.count("CAP_MKNOD"));
    CHECK_FALSE(podman.caps.count("CAP_AUDIT_WRITE"));
    CHECK(parse_runtime_caps("none").caps.empty());
    RuntimeCaps mixed = parse_runtime_caps("podman,net_raw,CAP_SYS_PTRACE");
    CHECK(mixed.caps.size() == 13);
    CHECK(mixed.caps.count("CAP_SYS_PTRACE"));
    CHECK_THROWS_WITH(parse_runtime_caps("SYS_PTRACEE"), doctest::Contains("did you mean 'SYS_PTRACE'"));
    CHECK_THROWS_WITH(parse_runtime_caps("dockr"), doctest::Contains("did you mean 'docker'"));
    CHECK_THROWS(parse_runtime_caps("docker,none"));

    // An entry gated on NET_RAW: kept for Docker, dropped for podman.
    json oci = json::parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_NET_RAW"]}}]})");
    std::string with_docker = oci_to_toml(oci, "x.json");
    std::string with_podman = oci_to_toml(oci, "x.json", podman);
    CHECK(with_docker.find("\"socket\"") != std::string::npos);
    CHECK(with_podman.find("# Dropped (needs [\"CAP_NET_RAW\"] beyond podman's default capabilities): socket") !=
          std::string::npos);
    CHECK(with_podman.find("# for x86_64 with podman's default capabilities: ") != std::string::npos);
}

TEST_CASE("capability names: one parser for profiles and the command line") {
    CHECK(capability_name("net_bind_service") == "NET_BIND_SERVICE");
    CHECK(capability_name("CAP_SYS_PTRACE") == "SYS_PTRACE");
    CHECK_FALSE(capability_name("CAP_"));
    CHECK_FALSE(capability_name("SYS_PTRACEE"));
    CHECK(capability_names().front() == "CHOWN");
}
