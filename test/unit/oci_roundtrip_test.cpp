// OCI JSON -> TOML text -> load_profile -> filter: the imported profile loads and decides
// exactly as the original (every syscall number, a spread of arguments).
#include <doctest/doctest.h>
#include <linux/audit.h>
#include <sys/socket.h>

#include <cstdio>
#include <fstream>

#include "../../src/filter/internal.hpp"
#include "filter_support.hpp"
#include "vigil/oci.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;
using namespace vigil::test;
using nlohmann::json;

namespace {

Profile load_text(const std::string& toml) {
    char path[] = "/tmp/vigil-oci-XXXXXX.toml";
    int fd = mkstemps(path, 5);
    REQUIRE(fd >= 0);
    close(fd);
    std::ofstream(path) << toml;
    Profile p = load_profile(path);
    std::remove(path);
    return p;
}

uint32_t decide(const BpfProgram& prog, int nr, const uint64_t args[6]) {
    seccomp_data d{};
    d.nr = nr;
    d.arch = AUDIT_ARCH_X86_64;
    for (int i = 0; i < 6; ++i) d.args[i] = args[i];
    return filter_detail::run_bpf(prog.insns, d);
}

}  // namespace

TEST_CASE("profile -> OCI -> TOML -> profile decides like the original") {
    auto orig = profile_with(err(EPERM), startup_rules());
    orig.rules.push_back(rule("socket", allow(), {cond(0, CmpOp::Eq, AF_INET)}));
    orig.rules.push_back(rule("socket", err(EAFNOSUPPORT), {cond(0, CmpOp::Eq, AF_PACKET), cond(1, CmpOp::Eq, SOCK_RAW)}));
    orig.rules.push_back(rule("clone", allow(), {cond(0, CmpOp::MaskedEq, 0, 0x7E020000)}));
    orig.rules.push_back(rule("ioctl", allow(), {cond(1, CmpOp::Ne, 0x5412)}));
    orig.rules.push_back(rule("ptrace", act(ActionKind::KillProcess)));
    orig.rules.push_back(rule("kill", act(ActionKind::Trap), {cond(1, CmpOp::Gt, 31)}));
    orig.rules.push_back(rule("personality", act(ActionKind::Log), {cond(0, CmpOp::Le, 8)}));
    orig.rules.push_back(rule("acct", act(ActionKind::KillThread)));
    Profile back = load_text(oci_to_toml(profile_to_oci(orig), "roundtrip.json"));
    CHECK(back.default_action == orig.default_action);

    auto a = compile_filter(orig), b = compile_filter(back);
    const uint64_t values[] = {0, 1, 2, 3, 8, 9, 17, 31, 32, 0x5412, 0x10000000, ~0ull};
    int max = static_cast<int>(filter_detail::highest_known_syscall(orig)) + 2;
    for (int nr = 0; nr <= max; ++nr)
        for (uint64_t v0 : values)
            for (uint64_t v1 : {uint64_t{0}, uint64_t{3}, uint64_t{32}, uint64_t{0x5412}}) {
                uint64_t args[6] = {v0, v1, 0, 0, 0, 0};
                INFO("nr=" << nr << " arg0=" << v0 << " arg1=" << v1);
                CHECK(decide(a, nr, args) == decide(b, nr, args));
            }
}

TEST_CASE("a Docker-style profile imports, loads and enforces its argument rules") {
    const char* docker = R"({
      "defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 1,
      "syscalls": [
        {"names": ["read", "write", "exit_group"], "action": "SCMP_ACT_ALLOW"},
        {"names": ["socket"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 40, "op": "SCMP_CMP_NE"}]},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 8, "op": "SCMP_CMP_EQ"}]},
        {"names": ["personality"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 0, "op": "SCMP_CMP_EQ"}]},
        {"names": ["mount"], "action": "SCMP_ACT_ALLOW", "includes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone"], "action": "SCMP_ACT_ALLOW", "args": [{"index": 0, "value": 2114060288, "op": "SCMP_CMP_MASKED_EQ"}],
         "excludes": {"caps": ["CAP_SYS_ADMIN"]}},
        {"names": ["clone3"], "action": "SCMP_ACT_ERRNO", "errnoRet": 38, "excludes": {"caps": ["CAP_SYS_ADMIN"]}}
      ]})";
    Profile p = load_text(oci_to_toml(json::parse(docker), "docker.json"));
    auto verdict = [&](const char* name, uint64_t a0) {
        uint64_t args[6] = {a0, 0, 0, 0, 0, 0};
        return evaluate(p, *syscall_number(name), args).action;
    };
    CHECK(verdict("socket", AF_INET) == allow());
    CHECK(verdict("socket", 40 /* AF_VSOCK */) == err(EPERM));
    // The kernel reads the domain as 32 bits: setting the upper half must not get AF_VSOCK
    // past Docker's "!= 40" (it would under runc, which compares all 64 bits).
    CHECK(verdict("socket", (1ull << 32) | 40) == err(EPERM));
    CHECK(verdict("socket", 41) == allow());
    CHECK(verdict("socket", 0xfffffffeull) == allow());
    CHECK(verdict("personality", 8) == allow());
    CHECK(verdict("personality", 1) == err(EPERM));
    CHECK(verdict("mount", 0) == err(EPERM));
    CHECK(verdict("clone", 0x11) == allow());
    CHECK(verdict("clone", 0x10000000) == err(EPERM));
    CHECK(verdict("clone3", 0) == err(ENOSYS));
}
