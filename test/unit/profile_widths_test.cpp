// The 32-bit rewrite of imported argument tests: exactly the values the kernel would see.
#include <doctest/doctest.h>

#include "vigil/profile_parse.hpp"
#include "filter_support.hpp"

using namespace vigil;
using namespace vigil::test;

namespace {

bool holds(const ArgCondition& c, uint64_t a) {
    switch (c.op) {
    case CmpOp::Eq: return a == c.value;
    case CmpOp::Ne: return a != c.value;
    case CmpOp::Lt: return a < c.value;
    case CmpOp::Le: return a <= c.value;
    case CmpOp::Gt: return a > c.value;
    case CmpOp::Ge: return a >= c.value;
    case CmpOp::MaskedEq: return (a & c.mask) == c.value;
    }
    return false;
}

// Does any alternative hold for arg0 = A?
bool matches(const std::vector<std::vector<ArgCondition>>& alts, uint64_t a) {
    for (const auto& all : alts) {
        bool ok = true;
        for (const auto& c : all) ok = ok && holds(c, a);
        if (ok) return true;
    }
    return false;
}

const uint64_t kSamples[] = {0, 1, 2, 3, 17, 39, 40, 41, 42, 63, 64, 1000, 0x7fffffff, 0x80000000, 0xfffffffe,
                             0xffffffff, 1ull << 32, (1ull << 32) | 40, (1ull << 32) | 41, ~0ull, ~0ull - 39};

}  // namespace

TEST_CASE("allowing tests on a 32-bit argument demand a clear upper half") {
    for (CmpOp op : {CmpOp::Ne, CmpOp::Gt, CmpOp::Ge}) {
        auto alts = expand_for_width("socket", {cond(0, op, 40)}, true, false);
        for (uint64_t a : kSamples) {
            INFO("op=" << static_cast<int>(op) << " a=" << a);
            bool want = a <= 0xffffffff && holds(cond(0, op, 40), a);
            CHECK(matches(alts, a) == want);
        }
    }
}

TEST_CASE("denying tests under a permissive default look at the low half only") {
    for (CmpOp op : {CmpOp::Eq, CmpOp::Lt, CmpOp::Le}) {
        auto alts = expand_for_width("socket", {cond(0, op, 17)}, false, true);
        for (uint64_t a : kSamples) {
            INFO("op=" << static_cast<int>(op) << " a=" << a);
            CHECK(matches(alts, a) == holds(cond(0, op, 17), a & 0xffffffff));
        }
    }
}

TEST_CASE("safe tests and 64-bit arguments stay as written") {
    auto same = expand_for_width("socket", {cond(0, CmpOp::Eq, 2)}, true, false);
    REQUIRE(same.size() == 1);
    CHECK(same[0] == std::vector<ArgCondition>{cond(0, CmpOp::Eq, 2)});
    auto wide = expand_for_width("mmap", {cond(1, CmpOp::Gt, 4096)}, true, false);  // size_t length
    REQUIRE(wide.size() == 1);
    CHECK(wide[0] == std::vector<ArgCondition>{cond(1, CmpOp::Gt, 4096)});
}
