// The 32-bit rewrite of imported argument tests: exactly the values the kernel would see.
#include <doctest/doctest.h>

#include <algorithm>

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

// The OCI export's carve-out: every low-32-bit value but the excluded ones, each matched by
// exactly one block (no overlap for libseccomp to resolve), whatever the upper half holds.
TEST_CASE("low32_complement covers every other value exactly once") {
    const std::vector<uint64_t> excluded = {0x5412, 0x541c, 0, 0xffffffff, 0x5412};
    auto blocks = low32_complement(1, excluded);
    CHECK(blocks.size() < 128);
    std::vector<uint64_t> samples(std::begin(kSamples), std::end(kSamples));
    for (uint64_t v : {0x5411ull, 0x5412ull, 0x5413ull, 0x541bull, 0x541cull, 0x541dull, 0x100005412ull})
        samples.push_back(v);
    for (uint64_t upper : {0ull, 1ull << 32, 0xdead00000000ull})
        for (uint64_t s : samples) {
            uint64_t a = (s & 0xffffffff) | upper;
            int hits = 0;
            for (const auto& b : blocks) {
                CHECK(b.index == 1);
                CHECK(b.op == CmpOp::MaskedEq);
                hits += holds(b, a);
            }
            bool out = std::count(excluded.begin(), excluded.end(), a & 0xffffffff) > 0;
            CAPTURE(a);
            CHECK(hits == (out ? 0 : 1));
        }
}
