// The launch-token prefix, run by a small classic-BPF interpreter: it lets exactly the token's
// calls through, and it executes the same instructions whatever part of a guess is right (no
// early exit on the first mismatching word, so timing tells a guessing app nothing).
#include <doctest/doctest.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <sys/syscall.h>

#include <cstddef>
#include <cstring>

#include "vigil/spawn.hpp"

namespace {

struct Run {
    bool allowed = false;  // returned SECCOMP_RET_ALLOW
    bool fell_through = false;  // jumped past the prefix: the profile's program decides
    int executed = 0;
};

// Only the instructions the prefix uses; anything else fails the test.
Run interpret(const std::vector<sock_filter>& prog, const seccomp_data& d) {
    Run r;
    uint32_t a = 0, x = 0;
    const auto* bytes = reinterpret_cast<const unsigned char*>(&d);
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const sock_filter& f = prog[pc];
        ++r.executed;
        switch (f.code) {
            case BPF_LD | BPF_W | BPF_ABS: std::memcpy(&a, bytes + f.k, 4); break;
            case BPF_ALU | BPF_XOR | BPF_K: a ^= f.k; break;
            case BPF_ALU | BPF_OR | BPF_X: a |= x; break;
            case BPF_MISC | BPF_TAX: x = a; break;
            case BPF_JMP | BPF_JA: pc += f.k; break;
            case BPF_JMP | BPF_JEQ | BPF_K: pc += (a == f.k) ? f.jt : f.jf; break;
            case BPF_RET | BPF_K:
                r.allowed = f.k == SECCOMP_RET_ALLOW;
                return r;
            default: FAIL("unexpected BPF instruction ", f.code); return r;
        }
    }
    r.fell_through = true;
    return r;
}

seccomp_data call(int nr, const vigil::LaunchToken& t) {
    seccomp_data d{};
    d.nr = nr;
    d.arch = AUDIT_ARCH_X86_64;
    for (int i = 0; i < 3; ++i) d.args[3 + i] = t.word[i];
    return d;
}

}  // namespace

TEST_CASE("launch token: only the token's calls pass, every word compared") {
    vigil::LaunchToken t{{0x0123456789abcdefULL, 0xfedcba9876543210ULL, 0x0f1e2d3c4b5a6978ULL}};
    auto prog = vigil::launch_prefix(t);

    Run ok = interpret(prog, call(SYS_execve, t));
    CHECK(ok.allowed);
    Run other = interpret(prog, call(SYS_openat, t));
    CHECK(other.fell_through);

    // A wrong half anywhere: falls through to the profile, after the same number of
    // instructions as every other wrong guess and as the right one.
    for (int half = 0; half < 6; ++half) {
        vigil::LaunchToken guess = t;
        guess.word[half / 2] ^= (half % 2) ? 0x100000000ULL : 1ULL;
        Run r = interpret(prog, call(SYS_execve, guess));
        CAPTURE(half);
        CHECK(r.fell_through);
        CHECK_FALSE(r.allowed);
        CHECK(r.executed == ok.executed - 1);  // the right one runs its RET besides
    }
    // The arch check still comes first: another architecture never reaches the token.
    seccomp_data i386 = call(SYS_execve, t);
    i386.arch = AUDIT_ARCH_I386;
    CHECK(interpret(prog, i386).fell_through);
}
