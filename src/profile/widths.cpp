// Tests on 32-bit syscall arguments, rewritten to decide on what the kernel reads.
#include "vigil/profile_parse.hpp"

#include <algorithm>

#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

constexpr uint64_t kLow32 = 0xffffffffull;

// [LO, HI) as aligned power-of-two blocks, each "argN & MASK == start" with MASK keeping only
// BASE's bits above the block: exact ranges from masked equality alone.
std::vector<ArgCondition> blocks(unsigned index, uint64_t lo, uint64_t hi, uint64_t base) {
    std::vector<ArgCondition> out;
    while (lo < hi) {
        uint64_t size = 1;
        while (lo % (size * 2) == 0 && lo + size * 2 <= hi) size *= 2;
        ArgCondition c;
        c.index = index;
        c.op = CmpOp::MaskedEq;
        c.mask = base & ~(size - 1);
        c.value = lo;
        c.text = condition_str(c);
        out.push_back(c);
        lo += size;
    }
    return out;
}

// seccomp compares 64 bits where the kernel reads 32 (see check_arg_widths in src/profile):
// an allowing '!=', '>' or '>=' passes when a caller sets the upper half, and a denying '==',
// '<' or '<=' is dodged the same way under a permissive default. runc loads such profiles as
// they are; vigil rewrites the test into alternatives (ORed) that decide on what the kernel
// reads: allowing tests demand a clear upper half, denying tests ignore it.
std::vector<ArgCondition> width_safe(const std::string& syscall, const ArgCondition& c, bool allows,
                                     bool default_allows) {
    if (c.op == CmpOp::MaskedEq || !arg_is_32bit(syscall, c.index)) return {c};
    const uint64_t top = kLow32 + 1, v = c.value;
    if (allows) {
        if (c.op != CmpOp::Ne && c.op != CmpOp::Gt && c.op != CmpOp::Ge) return {c};
        if (c.op == CmpOp::Ge) return blocks(c.index, std::min(v, top), top, ~0ull);
        auto out = v < top ? blocks(c.index, v + 1, top, ~0ull) : std::vector<ArgCondition>{};
        if (c.op == CmpOp::Ne) {
            ArgCondition below = c;
            below.op = CmpOp::Lt;
            below.text = condition_str(below);
            out.insert(out.begin(), below);
        }
        return out;
    }
    if (!default_allows || (c.op != CmpOp::Eq && c.op != CmpOp::Lt && c.op != CmpOp::Le)) return {c};
    if (c.op == CmpOp::Eq) {
        ArgCondition low = c;
        low.op = CmpOp::MaskedEq;
        low.mask = kLow32;
        low.value = v & kLow32;
        low.text = condition_str(low);
        return {low};
    }
    uint64_t hi = c.op == CmpOp::Lt ? std::min(v, top) : std::min(v, kLow32) + 1;
    return blocks(c.index, 0, hi, kLow32);
}

}  // namespace

std::vector<ArgCondition> low32_complement(unsigned index, std::vector<uint64_t> values) {
    std::sort(values.begin(), values.end());
    values.erase(std::unique(values.begin(), values.end()), values.end());
    std::vector<ArgCondition> out;
    uint64_t lo = 0;
    for (uint64_t v : values) {
        if (v > kLow32) continue;
        auto gap = blocks(index, lo, v, kLow32);
        out.insert(out.end(), gap.begin(), gap.end());
        lo = v + 1;
    }
    auto rest = blocks(index, lo, kLow32 + 1, kLow32);
    out.insert(out.end(), rest.begin(), rest.end());
    return out;
}

std::vector<std::vector<ArgCondition>> expand_for_width(const std::string& syscall,
                                                        const std::vector<ArgCondition>& when, bool allows,
                                                        bool default_allows) {
    std::vector<std::vector<ArgCondition>> out = {{}};
    for (const auto& c : when) {
        std::vector<std::vector<ArgCondition>> next;
        for (const auto& alt : width_safe(syscall, c, allows, default_allows))
            for (auto partial : out) {
                partial.push_back(alt);
                next.push_back(std::move(partial));
            }
        out = std::move(next);
    }
    return out;
}

}  // namespace vigil
