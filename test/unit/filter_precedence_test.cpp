// Overlapping rules: deny wins. When one call matches two rules of a syscall with different
// actions, the stricter applies, in the compiled filter (a real process) and in evaluate().
// libseccomp on its own lets an unconditional rule, or a test on a lower argument, win.
#include <doctest/doctest.h>
#include <linux/audit.h>
#include <sys/socket.h>

#include <random>

#include "../../src/filter/internal.hpp"
#include "filter_support.hpp"
#include "profile_files.hpp"

using namespace vigil;
using namespace vigil::test;

namespace {

const std::string probe = helper_path("sys_probe");
constexpr uint64_t kTiocsti = 0x5412, kTioclinux = 0x541C, kTiocgwinsz = 0x5413;

// The specification, written the obvious way: the strictest matching rule, else the default.
Action reference(const Profile& p, const std::string& syscall, const uint64_t args[6]) {
    const SyscallRule* best = nullptr;
    for (const auto& r : p.rules)
        if (r.syscall == syscall && rule_matches(r, args) && (!best || is_stricter(r.action, best->action)))
            best = &r;
    return best ? best->action : p.default_action;
}

Profile overlapping_profile() {
    auto p = profile_with(err(EPERM), startup_rules());
    // The finding: an allow on arg0 beat a deny on arg1.
    p.rules.push_back(rule("ioctl", allow(), {cond(0, CmpOp::Eq, 1)}));
    p.rules.push_back(rule("ioctl", err(EACCES), {cond(1, CmpOp::MaskedEq, kTiocsti, 0xffffffff)}));
    // An unconditional allow with deny carve-outs (libseccomp drops the carve-outs).
    p.rules.push_back(rule("socket", allow()));
    p.rules.push_back(rule("socket", err(EAFNOSUPPORT), {cond(0, CmpOp::Eq, AF_PACKET)}));
    p.rules.push_back(rule("socket", act(ActionKind::KillProcess), {cond(1, CmpOp::Ge, 0x1000)}));
    // Ranges and a notify in between.
    p.rules.push_back(rule("kill", allow(), {cond(1, CmpOp::Lt, 32)}));
    p.rules.push_back(rule("kill", act(ActionKind::Notify), {cond(0, CmpOp::Gt, 100)}));
    p.rules.push_back(rule("kill", act(ActionKind::Trap), {cond(1, CmpOp::Le, 9), cond(0, CmpOp::Ne, 0)}));
    p.rules.push_back(rule("personality", act(ActionKind::Log), {cond(0, CmpOp::Ge, 8)}));
    p.rules.push_back(rule("personality", err(EINVAL), {cond(0, CmpOp::MaskedEq, 0x10, 0x10)}));
    p.rules.push_back(rule("personality", err(EPERM), {cond(0, CmpOp::MaskedEq, 0x20, 0x30)}));
    return p;
}

}  // namespace

TEST_CASE("deny wins: the compiled filter and evaluate() both take the strictest matching rule") {
    auto prof = overlapping_profile();
    auto prog = compile_filter(prof).insns;
    std::mt19937_64 rng(7);
    const uint64_t interesting[] = {0,    1,    2,    8,     9,     10,          16,         31, 32, 48,
                                    100,  101,  0x20, 0x30,  0x1000, 0xfff,     kTiocsti,   kTiocgwinsz,
                                    AF_PACKET, AF_INET, 0x100005412ull, 0xffffffffull, ~0ull};
    for (const char* name : {"ioctl", "socket", "kill", "personality"}) {
        int nr = filter_detail::syscall_nr(name);
        for (int round = 0; round < 4000; ++round) {
            uint64_t args[6];
            for (auto& a : args)
                a = rng() % 3 ? interesting[rng() % std::size(interesting)] : rng();
            Action want = reference(prof, name, args);
            CAPTURE(name);
            CAPTURE(args[0]);
            CAPTURE(args[1]);
            CHECK(filter_detail::action_from_value(full_decision(prog, nr, args)).str() == want.str());
            CHECK(evaluate(prof, nr, args).action.str() == want.str());
        }
    }
}

TEST_CASE("deny wins in a real process: allow ioctl(fd 1) does not let TIOCSTI through") {
    auto prof = profile_with(err(EPERM), startup_rules());
    prof.rules.push_back(rule("ioctl", allow(), {cond(0, CmpOp::Eq, 1)}));
    prof.rules.push_back(rule("ioctl", err(EACCES), {cond(1, CmpOp::MaskedEq, kTiocsti, 0xffffffff)}));
    auto prog = compile_filter(prof);
    auto ioctl_out = [&](uint64_t request) {
        return run_filtered(&prog, {probe, "call", std::to_string(SYS_ioctl), "1", std::to_string(request), "0"}).out;
    };
    CHECK(ioctl_out(kTiocsti) == "ret=-1 errno=13\n");
    CHECK(ioctl_out(0x100000000ull | kTiocsti) == "ret=-1 errno=13\n");  // upper half ignored
    // fd 1 is a pipe here: TIOCGWINSZ reaches the kernel, which answers ENOTTY.
    CHECK(ioctl_out(kTiocgwinsz) == "ret=-1 errno=25\n");
}

TEST_CASE("deny wins in a real process: an unconditional allow keeps its deny carve-outs") {
    auto prof = profile_with(err(EPERM), startup_rules());
    prof.rules.push_back(rule("ioctl", allow()));
    prof.rules.push_back(rule("ioctl", err(EPERM), {cond(1, CmpOp::MaskedEq, kTiocsti, 0xffffffff)}));
    prof.rules.push_back(rule("ioctl", err(EPERM), {cond(1, CmpOp::MaskedEq, kTioclinux, 0xffffffff)}));
    auto prog = compile_filter(prof);
    auto ioctl_out = [&](uint64_t request) {
        return run_filtered(&prog, {probe, "call", std::to_string(SYS_ioctl), "0", std::to_string(request), "0"}).out;
    };
    CHECK(ioctl_out(kTiocsti) == "ret=-1 errno=1\n");
    CHECK(ioctl_out(kTioclinux) == "ret=-1 errno=1\n");
    CHECK(ioctl_out(kTiocgwinsz) != "ret=-1 errno=1\n");
}

TEST_CASE("can_both_match is exact: checked against every value of a small domain") {
    // Conditions whose admitted values, within 0..511, decide the answer: with a '<=' bound on
    // one side every common value is below 512, so a search of that domain is complete.
    std::mt19937_64 rng(11);
    const CmpOp ops[] = {CmpOp::Eq, CmpOp::Ne, CmpOp::Lt, CmpOp::Le, CmpOp::Gt, CmpOp::Ge, CmpOp::MaskedEq};
    for (int round = 0; round < 20000; ++round) {
        ArgCondition a = cond(2, CmpOp::Le, rng() % 512);
        ArgCondition b = cond(2, ops[rng() % std::size(ops)], rng() % 512);
        if (b.op == CmpOp::MaskedEq) {
            b.mask = rng() % 512;
            b.value = rng() % 2 ? b.value & b.mask : b.value;
        }
        if (rng() % 2) std::swap(a, b);
        bool brute = false;
        for (uint64_t x = 0; x < 512 && !brute; ++x) {
            uint64_t args[6] = {0, 0, x, 0, 0, 0};
            brute = rule_matches(rule("read", allow(), {a}), args) && rule_matches(rule("read", allow(), {b}), args);
        }
        CAPTURE(round);
        CHECK(can_both_match(rule("read", allow(), {a}), rule("read", err(EPERM), {b})) == brute);
    }
    // Masked tests above the searched domain.
    CHECK(can_both_match(rule("read", allow(), {cond(0, CmpOp::Ge, 0x1000)}),
                         rule("read", allow(), {cond(0, CmpOp::MaskedEq, 0x5412, 0xffffffff)})));
    CHECK_FALSE(can_both_match(rule("read", allow(), {cond(0, CmpOp::Lt, 0x5412)}),
                               rule("read", allow(), {cond(0, CmpOp::MaskedEq, 0x5412, 0xffff)})));
    CHECK_FALSE(can_both_match(rule("read", allow(), {cond(0, CmpOp::Eq, 1)}),
                               rule("read", allow(), {cond(0, CmpOp::Eq, 2)})));
    CHECK(can_both_match(rule("read", allow(), {cond(0, CmpOp::Eq, 1)}),
                         rule("read", allow(), {cond(1, CmpOp::Eq, 2)})));
}

TEST_CASE("overlapping_rules names both rules, the stricter first") {
    auto p = profile_with(err(EPERM), {});
    p.rules.push_back(rule("ioctl", allow(), {cond(0, CmpOp::Eq, 1)}));
    p.rules.back().where = {"a.toml", 3, 1};
    p.rules.push_back(rule("ioctl", err(EACCES), {cond(1, CmpOp::Eq, kTiocsti)}));
    p.rules.back().where = {"a.toml", 8, 1};
    p.rules.push_back(rule("ioctl", err(EACCES), {cond(0, CmpOp::Eq, 2)}));  // same action: no overlap
    auto o = overlapping_rules(p);
    REQUIRE(o.size() == 1);
    CHECK(o[0].stricter->where.line == 8);
    CHECK(o[0].looser->where.line == 3);
}

TEST_CASE("a profile may carve denials out of a group's allow, also for the upper half") {
    test::ProfileDir dir;
    std::string path = dir.write("a.toml",
                                 "[seccomp]\n"
                                 "default = \"errno:EPERM\"\n"
                                 "allow = [\"@system-service\"]\n"
                                 "[[seccomp.rule]]\n"
                                 "syscall = \"ioctl\"\n"
                                 "action = \"errno:EACCES\"\n"
                                 "when = [\"arg1 == TIOCSTI\"]\n");
    Profile p = load_profile(path);
    int nr = filter_detail::syscall_nr("ioctl");
    uint64_t sti[6] = {0, kTiocsti, 0, 0, 0, 0};
    uint64_t sti_high[6] = {0, 0x700000000ull | kTiocsti, 0, 0, 0, 0};
    uint64_t winsz[6] = {0, kTiocgwinsz, 0, 0, 0, 0};
    CHECK(evaluate(p, nr, sti).action.str() == "errno:EACCES");
    CHECK(evaluate(p, nr, sti_high).action.str() == "errno:EACCES");
    CHECK(evaluate(p, nr, winsz).action.str() == "allow");
}
