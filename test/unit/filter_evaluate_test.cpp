// evaluate() must say exactly what the full filter does: cross-checked by running the full
// program through the BPF interpreter for every syscall number and a spread of arguments.
#include <doctest/doctest.h>
#include <linux/audit.h>
#include <sys/socket.h>

#include <random>

#include "../../src/filter/internal.hpp"
#include "filter_support.hpp"

using namespace vigil;
using namespace vigil::test;

namespace {

Profile mixed_profile() {
    auto p = profile_with(err(EPERM), startup_rules());
    p.rules.push_back(rule("socket", allow(), {cond(0, CmpOp::Eq, AF_INET)}));
    p.rules.push_back(rule("socket", err(EAFNOSUPPORT), {cond(0, CmpOp::Eq, AF_PACKET)}));
    p.rules.push_back(rule("socket", err(EPERM), {cond(0, CmpOp::Eq, AF_NETLINK)}));
    p.rules.push_back(rule("clone", allow(), {cond(0, CmpOp::MaskedEq, 0, 0x7E020000)}));
    p.rules.push_back(rule("ioctl", allow(), {cond(1, CmpOp::Ne, 0x5412 /* TIOCSTI */)}));
    p.rules.push_back(rule("mprotect", err(EACCES), {cond(2, CmpOp::MaskedEq, 4, 4), cond(0, CmpOp::Lt, 4096)}));
    p.rules.push_back(rule("ptrace", act(ActionKind::KillProcess)));
    p.rules.push_back(rule("kill", act(ActionKind::Trap), {cond(1, CmpOp::Ge, 64)}));
    p.rules.push_back(rule("personality", act(ActionKind::Log), {cond(0, CmpOp::Le, 8)}));
    p.rules.push_back(rule("connect", act(ActionKind::Notify)));
    return p;
}

}  // namespace

TEST_CASE("evaluate agrees with the compiled filter on every syscall") {
    auto prof = mixed_profile();
    auto prog = compile_filter(prof);
    std::mt19937_64 rng(42);
    const uint64_t interesting[] = {0, 1, 2, 4, 8, 10, 16, 17, 64, 4095, 4096, 0x5412, 0x7E020000, 0x10000000,
                                    ~0ull, 0xffffffffull};
    int nr_max = static_cast<int>(filter_detail::highest_known_syscall(prof)) + 3;
    for (int nr = 0; nr <= nr_max; ++nr) {
        for (int round = 0; round < 6; ++round) {
            uint64_t args[6];
            for (auto& a : args) a = round < 3 ? interesting[rng() % std::size(interesting)] : rng();
            Verdict v = evaluate(prof, nr, args);
            INFO("nr=" << nr << " arg0=" << args[0] << " arg1=" << args[1] << " arg2=" << args[2]);
            CHECK(filter_detail::action_value(v.action) == full_decision(prog.insns, nr, args));
        }
    }
}

TEST_CASE("evaluate names the deciding rule") {
    auto prof = mixed_profile();
    uint64_t args[6] = {AF_PACKET, SOCK_RAW, 0, 0, 0, 0};
    Verdict v = evaluate(prof, SYS_socket, args);
    CHECK(v.action == err(EAFNOSUPPORT));
    REQUIRE(v.rule != nullptr);
    CHECK(v.rule->conditions.at(0).value == AF_PACKET);
    args[0] = AF_INET6;
    v = evaluate(prof, SYS_socket, args);
    CHECK(v.action == err(EPERM));
    CHECK(v.rule == nullptr);  // the default
    v = evaluate(prof, SYS_clone3, args);
    CHECK(v.action == err(ENOSYS));
    CHECK(v.rule == nullptr);
    v = evaluate(prof, 1000, args);
    CHECK(v.action == err(ENOSYS));
    v = evaluate(prof, SYS_getpid | 0x40000000, args);
    CHECK(v.action == act(ActionKind::KillProcess));
    v = evaluate(prof, SYS_connect, args);
    CHECK(v.action == act(ActionKind::Notify));
    CHECK(v.rule == &prof.rules.back());
}

TEST_CASE("the program checks the architecture first and kills x32 numbers") {
    auto prog = compile_filter(profile_with(allow(), {rule("getppid", err(EPERM))}));
    seccomp_data d{};
    d.arch = AUDIT_ARCH_X86_64;
    d.nr = SYS_getpid | 0x40000000;
    CHECK(filter_detail::run_bpf(prog.insns, d) == SECCOMP_RET_KILL_PROCESS);
    d.nr = SYS_getpid;
    CHECK(filter_detail::run_bpf(prog.insns, d) == SECCOMP_RET_ALLOW);
    d.arch = AUDIT_ARCH_I386;
    CHECK(filter_detail::run_bpf(prog.insns, d) == SECCOMP_RET_KILL_PROCESS);
}
