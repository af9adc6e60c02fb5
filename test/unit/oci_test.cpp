// OCI/Docker seccomp JSON export and import.
#include <doctest/doctest.h>
#include <sys/socket.h>

#include "filter_support.hpp"
#include "profile_files.hpp"
#include "vigil/oci.hpp"

using namespace vigil;
using namespace vigil::test;
using nlohmann::json;

namespace {

const json* find_entry(const json& oci, const std::string& name, const std::string& action) {
    for (const auto& e : oci["syscalls"])
        if (e["action"] == action)
            for (const auto& n : e["names"])
                if (n == name) return &e;
    return nullptr;
}

// Shaped like Docker's default.json: one big allow list, then entries gated by caps/arches.
const char* kDockerLike = R"({
  "defaultAction": "SCMP_ACT_ERRNO",
  "defaultErrnoRet": 1,
  "archMap": [{"architecture": "SCMP_ARCH_X86_64", "subArchitectures": ["SCMP_ARCH_X86", "SCMP_ARCH_X32"]}],
  "syscalls": [
    {"names": ["read", "write", "chown32", "getppid"], "action": "SCMP_ACT_ALLOW"},
    {"names": ["ptrace"], "action": "SCMP_ACT_ALLOW", "includes": {"minKernel": "4.8"}},
    {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
    {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
    {"names": ["arch_prctl"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["amd64", "x32"]}},
    {"names": ["s390_runtime_instr"], "action": "SCMP_ACT_ALLOW", "includes": {"arches": ["s390x"]}},
    {"names": ["mount", "clone3"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["chroot"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_CHROOT"]}},
    {"names": ["clone"], "action": "SCMP_ACT_ALLOW",
     "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
     "excludes": {"caps": ["CAP_SYS_ADMIN"], "arches": ["s390", "s390x"]}},
    {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
    {"names": ["kill"], "action": "SCMP_ACT_TRAP",
     "args": [{"index": 1, "value": 9, "op": "SCMP_CMP_EQ"}, {"index": 1, "value": 15, "op": "SCMP_CMP_EQ"}]}
  ]
})";

}  // namespace

TEST_CASE("profile_to_oci: default, architectures, grouped names, args, clone3") {
    auto p = profile_with(err(EPERM), {rule("read", allow()), rule("write", allow()), rule("ptrace", act(ActionKind::KillProcess))});
    p.rules.push_back(rule("socket", allow(), {cond(0, CmpOp::Eq, AF_INET)}));
    p.rules.push_back(rule("clone", allow(), {cond(0, CmpOp::MaskedEq, 0, 0x7E020000)}));
    p.rules.push_back(rule("connect", act(ActionKind::Notify)));
    NotifyPolicy pol;
    pol.fallback = err(ECONNREFUSED);
    p.notify["connect"] = pol;
    json oci = profile_to_oci(p);
    CHECK(oci["defaultAction"] == "SCMP_ACT_ERRNO");
    CHECK(oci["defaultErrnoRet"] == EPERM);
    CHECK(oci["architectures"] == json::array({"SCMP_ARCH_X86_64"}));
    const json* rw = find_entry(oci, "read", "SCMP_ACT_ALLOW");
    REQUIRE(rw);
    CHECK((*rw)["names"] == json::array({"read", "write"}));
    CHECK(find_entry(oci, "ptrace", "SCMP_ACT_KILL_PROCESS"));
    const json* clone3 = find_entry(oci, "clone3", "SCMP_ACT_ERRNO");
    REQUIRE(clone3);
    CHECK((*clone3)["errnoRet"] == ENOSYS);
    const json* connect = find_entry(oci, "connect", "SCMP_ACT_ERRNO");
    REQUIRE(connect);
    CHECK((*connect)["errnoRet"] == ECONNREFUSED);
    const json* clone = find_entry(oci, "clone", "SCMP_ACT_ALLOW");
    REQUIRE(clone);
    CHECK((*clone)["args"] == json::parse(R"([{"index":0,"value":2114060288,"valueTwo":0,"op":"SCMP_CMP_MASKED_EQ"}])"));
    const json* socket = find_entry(oci, "socket", "SCMP_ACT_ALLOW");
    REQUIRE(socket);
    CHECK((*socket)["args"][0]["value"] == AF_INET);
    CHECK((*socket)["args"][0]["op"] == "SCMP_CMP_EQ");
}

TEST_CASE("profile_to_oci: complain mode logs instead of denying") {
    auto p = profile_with(act(ActionKind::KillProcess), {rule("read", allow()), rule("ptrace", err(EPERM))});
    p.complain = true;
    json oci = profile_to_oci(p);
    CHECK(oci["defaultAction"] == "SCMP_ACT_LOG");
    CHECK(find_entry(oci, "ptrace", "SCMP_ACT_LOG"));
    CHECK(find_entry(oci, "read", "SCMP_ACT_ALLOW"));
}

TEST_CASE("oci_to_toml keeps what applies to x86_64 with Docker's capabilities and says what it dropped") {
    std::string toml = oci_to_toml(json::parse(kDockerLike), "default.json");
    INFO(toml);
    CHECK(toml.find("# Imported by `vigil import-oci` from default.json") == 0);
    CHECK(toml.find("default = \"errno:EPERM\"") != std::string::npos);
    CHECK(toml.find("allow = [\n    \"read\",\n    \"write\",\n    \"getppid\",\n    \"ptrace\",\n    \"arch_prctl\",\n    \"chroot\",\n]") !=
          std::string::npos);
    CHECK(toml.find("# Dropped (not x86_64 system calls): chown32") != std::string::npos);
    CHECK(toml.find("# Dropped (other architectures): s390_runtime_instr") != std::string::npos);
    CHECK(toml.find("# Dropped (needs [\"CAP_SYS_ADMIN\"] beyond Docker's default capabilities): mount clone3") !=
          std::string::npos);
    CHECK(toml.find("[seccomp.deny]\nclone3 = \"errno:ENOSYS\"") != std::string::npos);
    // socket's domain is 32 bits: "!= 40" becomes "< 40" or a clear upper half above 40.
    CHECK(toml.find("# Rewritten (tests on 32-bit arguments made to decide on the low 32 bits): socket") !=
          std::string::npos);
    CHECK(toml.find("[[seccomp.rule]]\nsyscall = \"socket\"\naction = \"allow\"\nwhen = [\"arg0 < 0x28\"]") !=
          std::string::npos);
    CHECK(toml.find("when = [\"arg0 & 0xffffffffffffffff == AF_KCM\"]") != std::string::npos);
    CHECK(toml.find("when = [\"arg0 & 0xffffffff80000000 == 0x80000000\"]") != std::string::npos);
    CHECK(toml.find("syscall = \"personality\"\naction = \"allow\"\nwhen = [\"arg0 == PER_LINUX\"]") != std::string::npos);
    CHECK(toml.find("syscall = \"personality\"\naction = \"allow\"\nwhen = [\"arg0 == PER_LINUX32\"]") != std::string::npos);
    CHECK(toml.find("when = [\"arg0 & CLONE_NEWNS|CLONE_NEWCGROUP|CLONE_NEWUTS|CLONE_NEWIPC|CLONE_NEWUSER|CLONE_NEWPID|CLONE_NEWNET == 0\"]") != std::string::npos);
    // One argument compared twice: runc makes each comparison its own rule.
    CHECK(toml.find("syscall = \"kill\"\naction = \"trap\"\nwhen = [\"arg1 == SIGKILL\"]") != std::string::npos);
    CHECK(toml.find("syscall = \"kill\"\naction = \"trap\"\nwhen = [\"arg1 == SIGTERM\"]") != std::string::npos);
}

TEST_CASE("oci_to_toml rejects what it cannot express") {
    CHECK_THROWS_WITH(oci_to_toml(json::parse(R"({"defaultAction": "SCMP_ACT_FOO"})"), "x.json"),
                      doctest::Contains("x.json: defaultAction: unknown action 'SCMP_ACT_FOO'"));
    CHECK_THROWS_WITH(oci_to_toml(json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [
        {"names": ["read"], "action": "SCMP_ACT_ERRNO", "args": [{"index": 0, "value": 1, "op": "SCMP_CMP_XX"}]}]})"),
                                  "x.json"),
                      doctest::Contains("x.json: syscalls[0]: unknown comparison 'SCMP_CMP_XX'"));
    CHECK_THROWS_WITH(oci_to_toml(json::parse("[1]"), "x.json"), doctest::Contains("not an OCI seccomp object"));
}

TEST_CASE("oci_to_toml refuses numbers it cannot hold instead of converting them") {
    // Found by the fuzz_oci target: a float "value" outside uint64_t's range was converted
    // (undefined behaviour; UBSan aborted), and floats or negatives became arbitrary values.
    auto with_arg = [](const std::string& arg) {
        return json::parse(R"({"defaultAction": "SCMP_ACT_ALLOW", "syscalls": [{"names": ["read"],
            "action": "SCMP_ACT_ERRNO", "args": [)" + arg + "]}]}");
    };
    CHECK_THROWS_WITH(oci_to_toml(with_arg(R"({"index": 0, "value": 2.1e64, "op": "SCMP_CMP_EQ"})"), "x.json"),
                      doctest::Contains("\"value\" must be a whole number"));
    CHECK_THROWS_WITH(oci_to_toml(with_arg(R"({"index": 0, "value": -1, "op": "SCMP_CMP_EQ"})"), "x.json"),
                      doctest::Contains("\"value\" must be a whole number"));
    CHECK_THROWS_WITH(oci_to_toml(with_arg(R"({"index": 1.5, "value": 1, "op": "SCMP_CMP_EQ"})"), "x.json"),
                      doctest::Contains("\"index\" must be a whole number 0..5"));
    CHECK_THROWS_WITH(oci_to_toml(with_arg(R"({"index": 9, "value": 1, "op": "SCMP_CMP_EQ"})"), "x.json"),
                      doctest::Contains("\"index\" 9 is above 5"));
    CHECK_THROWS_WITH(oci_to_toml(json::parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1e300})"),
                                  "x.json"),
                      doctest::Contains("\"defaultErrnoRet\" must be a whole number"));
    // Found by fuzz_oci: masked tests vigil's loader refuses were written out as TOML.
    CHECK_THROWS_WITH(oci_to_toml(with_arg(R"({"index": 0, "value": 2114060288, "valueTwo": 1, "op": "SCMP_CMP_MASKED_EQ"})"),
                                  "x.json"),
                      doctest::Contains("value has bits outside its mask"));
    CHECK_THROWS_WITH(oci_to_toml(with_arg(R"({"index": 0, "value": 0, "valueTwo": 0, "op": "SCMP_CMP_MASKED_EQ"})"), "x.json"),
                      doctest::Contains("mask 0 tests nothing"));
    // The largest uint64_t is a valid value (read's fd is 32-bit: the low half is compared).
    CHECK(oci_to_toml(with_arg(R"({"index": 0, "value": 18446744073709551615, "op": "SCMP_CMP_EQ"})"), "x.json")
              .find("arg0 & 0xffffffff == 0xffffffff") != std::string::npos);
}

TEST_CASE("oci_to_toml: names from the input cannot leave the comment they are listed in") {
    // Found by fuzz_oci: an unknown syscall name is listed in a "# Dropped" comment; a newline
    // in it ended the comment and the rest became TOML of the imported profile.
    std::string toml = oci_to_toml(json::parse(R"({"defaultAction": "SCMP_ACT_ERRNO", "syscalls": [
        {"names": ["read", "x\n[process]\nuser = \"root\"\n#\u007f"], "action": "SCMP_ACT_ALLOW"}]})"),
                                   "evil\n[audit].json");
    CHECK(toml.find("\n[process]") == std::string::npos);
    CHECK(toml.find("\n[audit]") == std::string::npos);
    CHECK(toml.find("x\\x0a[process]\\x0auser = \"root\"\\x0a#\\x7f") != std::string::npos);
    test::ProfileDir dir;
    CHECK_NOTHROW(load_profile(dir.write("imported.toml", toml)));
}
