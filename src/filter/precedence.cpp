// Overlapping rules and their precedence: deny wins.
//
// Several rules for one syscall are alternatives; when one call matches two of them with
// different actions, the stricter action applies, in the kernel's own order for stacked
// filters (kill-process, kill-thread, trap, errno, notify, log, allow). libseccomp does not
// decide that way: it walks arguments in index order and an unconditional rule replaces every
// conditional one, so "allow ioctl" silently swallowed "errno:EPERM for ioctl(TIOCSTI)". vigil
// therefore puts, before libseccomp's code, a small block that tests the stricter rules of each
// syscall with overlaps first, strictest first, and returns the first that matches; the calls
// that match none of them reach libseccomp's code, where only rules of a single action (the
// loosest) can still match them, so its order no longer matters.
#include <algorithm>
#include <cstddef>
#include <map>

#include "internal.hpp"
#include "vigil/error.hpp"

namespace vigil {

namespace {

constexpr uint64_t kAll = ~uint64_t{0};

// The values of one argument that one condition admits, in one of three shapes.
struct ValueSet {
    enum Kind { Range, AllBut, Masked } kind = Range;
    uint64_t lo = 0, hi = kAll;  // Range: [lo, hi]
    uint64_t value = 0;          // AllBut: everything except VALUE; Masked: (x & mask) == value
    uint64_t mask = 0;
    bool empty = false;
};

ValueSet values_of(const ArgCondition& c) {
    ValueSet s;
    switch (c.op) {
    case CmpOp::Eq: s.lo = s.hi = c.value; break;
    case CmpOp::Ne: s.kind = ValueSet::AllBut, s.value = c.value; break;
    case CmpOp::Lt: s.empty = c.value == 0, s.hi = c.value - 1; break;
    case CmpOp::Le: s.hi = c.value; break;
    case CmpOp::Gt: s.empty = c.value == kAll, s.lo = c.value + 1; break;
    case CmpOp::Ge: s.lo = c.value; break;
    case CmpOp::MaskedEq:
        s.kind = ValueSet::Masked, s.mask = c.mask, s.value = c.value;
        s.empty = (c.value & ~c.mask) != 0;  // bits the mask clears can never equal 1
        break;
    }
    return s;
}

// The smallest x >= LO with (x & MASK) == VALUE (VALUE within MASK), if there is one.
std::optional<uint64_t> smallest_masked_from(uint64_t lo, uint64_t mask, uint64_t value) {
    if (lo <= value) return value;
    // x = value + f with f a subset of the free bits; the smallest such f >= t = lo - value.
    uint64_t free = ~mask, t = lo - value;
    if ((t & ~free) == 0) return value + t;
    int p = 63 - __builtin_clzll(t & ~free);  // highest bit of t that f cannot have
    // f must exceed t at a free bit above p where t has 0; the lowest such bit gives the
    // smallest f: t's bits above it, that bit, nothing below.
    for (int q = p + 1; q < 64; ++q) {
        uint64_t bit = uint64_t{1} << q;
        if ((free & bit) && !(t & bit)) {
            uint64_t above = q == 63 ? 0 : t & ~((bit << 1) - 1);
            return value + (above | bit);
        }
    }
    return std::nullopt;
}

bool range_meets_masked(const ValueSet& r, const ValueSet& m) {
    auto x = smallest_masked_from(r.lo, m.mask, m.value);
    return x && *x <= r.hi;
}

// Whether one value satisfies both A and B.
bool meet(const ValueSet& a, const ValueSet& b) {
    if (a.empty || b.empty) return false;
    if (a.kind == ValueSet::Range && a.lo > a.hi) return false;
    if (b.kind == ValueSet::Range && b.lo > b.hi) return false;
    if (a.kind > b.kind) return meet(b, a);  // Range < AllBut < Masked
    switch (a.kind) {
    case ValueSet::Range:
        if (b.kind == ValueSet::Range) return std::max(a.lo, b.lo) <= std::min(a.hi, b.hi);
        if (b.kind == ValueSet::AllBut) return !(a.lo == a.hi && a.lo == b.value);
        return range_meets_masked(a, b);
    case ValueSet::AllBut:
        if (b.kind == ValueSet::AllBut) return true;
        return !(b.mask == kAll && b.value == a.value);  // a masked set of one value
    case ValueSet::Masked:
        return ((a.value ^ b.value) & a.mask & b.mask) == 0;
    }
    return true;
}

ValueSet anything() { return ValueSet{}; }

// Strictness of a compiled action: lower is stricter. This is the kernel's order (it compares
// the action bits as a signed number, kill-process being the most negative); between two errno
// values the smaller number is taken, so that the choice is fixed.
int64_t strictness(uint32_t value) { return static_cast<int32_t>(value); }

}  // namespace

bool can_both_match(const SyscallRule& a, const SyscallRule& b) {
    if (a.syscall != b.syscall) return false;
    ValueSet from_a[6], from_b[6];
    for (int i = 0; i < 6; ++i) from_a[i] = from_b[i] = anything();
    // libseccomp allows one comparison per argument and rule (the filter refuses more), so
    // each rule contributes at most one set per argument.
    for (const auto& c : a.conditions)
        if (c.index < 6) from_a[c.index] = values_of(c);
    for (const auto& c : b.conditions)
        if (c.index < 6) from_b[c.index] = values_of(c);
    for (int i = 0; i < 6; ++i)
        if (!meet(from_a[i], from_b[i])) return false;
    return true;
}

std::vector<RuleOverlap> overlapping_rules(const Profile& profile) {
    std::vector<RuleOverlap> out;
    const auto& rules = profile.rules;
    for (size_t i = 0; i < rules.size(); ++i)
        for (size_t j = i + 1; j < rules.size(); ++j) {
            const SyscallRule& a = rules[i];
            const SyscallRule& b = rules[j];
            if (a.action == b.action || !can_both_match(a, b)) continue;
            out.push_back(is_stricter(b.action, a.action) ? RuleOverlap{&b, &a} : RuleOverlap{&a, &b});
        }
    return out;
}

namespace filter_detail {

namespace {

// A tiny assembler: conditional jumps only go one or two instructions ahead (to an
// unconditional jump), so labels may be any distance away despite BPF's 8-bit offsets.
class Assembler {
public:
    int label() {
        at_.push_back(-1);
        return static_cast<int>(at_.size()) - 1;
    }
    void bind(int l) { at_[l] = static_cast<int>(code_.size()); }
    void load(uint32_t offset) { code_.push_back({BPF_LD | BPF_W | BPF_ABS, 0, 0, offset}); }
    void and_k(uint32_t k) { code_.push_back({BPF_ALU | BPF_AND | BPF_K, 0, 0, k}); }
    void ret(uint32_t k) { code_.push_back({BPF_RET | BPF_K, 0, 0, k}); }
    void go(int l) {
        fixups_.push_back({code_.size(), l});
        code_.push_back({BPF_JMP | BPF_JA, 0, 0, 0});
    }
    // if (A OP k) goto T else goto F, for OP in JEQ, JGT, JGE.
    void branch(uint16_t op, uint32_t k, int t, int f) {
        code_.push_back({static_cast<uint16_t>(BPF_JMP | op | BPF_K), 0, 1, k});
        go(t);
        go(f);
    }
    std::vector<sock_filter> finish() {
        for (auto [pc, l] : fixups_) {
            if (at_[l] < 0) throw Error("internal: unbound label in the precedence block");
            code_[pc].k = static_cast<uint32_t>(at_[l] - static_cast<int>(pc) - 1);
        }
        return std::move(code_);
    }

private:
    std::vector<sock_filter> code_;
    std::vector<int> at_;
    std::vector<std::pair<size_t, int>> fixups_;
};

uint32_t lo32(uint64_t v) { return static_cast<uint32_t>(v); }
uint32_t hi32(uint64_t v) { return static_cast<uint32_t>(v >> 32); }

// Jumps to T when C holds for the call, else to F. Arguments are 64-bit, as libseccomp
// compares them on x86_64: the high word first, then the low word.
void test(Assembler& as, const ArgCondition& c, int t, int f) {
    uint32_t lo_off = static_cast<uint32_t>(offsetof(seccomp_data, args) + 8 * c.index);
    uint32_t hi_off = lo_off + 4;
    switch (c.op) {
    case CmpOp::Eq:
    case CmpOp::MaskedEq: {
        bool masked = c.op == CmpOp::MaskedEq;
        int low = as.label();
        as.load(hi_off);
        if (masked) as.and_k(hi32(c.mask));
        as.branch(BPF_JEQ, hi32(c.value), low, f);
        as.bind(low);
        as.load(lo_off);
        if (masked) as.and_k(lo32(c.mask));
        as.branch(BPF_JEQ, lo32(c.value), t, f);
        return;
    }
    case CmpOp::Ne: {
        ArgCondition eq = c;
        eq.op = CmpOp::Eq;
        return test(as, eq, f, t);
    }
    case CmpOp::Gt:
    case CmpOp::Ge: {
        int equal_high = as.label(), low = as.label();
        as.load(hi_off);
        as.branch(BPF_JGT, hi32(c.value), t, equal_high);
        as.bind(equal_high);
        as.branch(BPF_JEQ, hi32(c.value), low, f);
        as.bind(low);
        as.load(lo_off);
        as.branch(c.op == CmpOp::Gt ? BPF_JGT : BPF_JGE, lo32(c.value), t, f);
        return;
    }
    case CmpOp::Lt:
    case CmpOp::Le: {
        ArgCondition opposite = c;
        opposite.op = c.op == CmpOp::Lt ? CmpOp::Ge : CmpOp::Gt;
        return test(as, opposite, f, t);
    }
    }
}

}  // namespace

std::vector<sock_filter> precedence_block(const Profile& profile, const FilterOptions& options,
                                          int only_nr) {
    // Per syscall: its rules with their compiled actions.
    std::map<int, std::vector<std::pair<const SyscallRule*, uint32_t>>> by_nr;
    for (const auto& rule : profile.rules) {
        int nr = syscall_nr(rule.syscall);
        if (nr < 0 || (only_nr >= 0 && nr != only_nr)) continue;
        by_nr[nr].push_back(
            {&rule, action_value(effective_action(rule.action, rule.syscall, profile, options))});
    }
    Assembler as;
    int done = as.label();
    bool any = false;
    for (auto& [nr, rules] : by_nr) {
        bool overlap = false;
        for (size_t i = 0; i < rules.size() && !overlap; ++i)
            for (size_t j = i + 1; j < rules.size() && !overlap; ++j)
                overlap = rules[i].second != rules[j].second &&
                          can_both_match(*rules[i].first, *rules[j].first);
        if (!overlap) continue;
        if (!any) {
            // Only native calls: libseccomp's code answers other architectures and x32.
            as.load(offsetof(seccomp_data, arch));
            int native = as.label(), x86_64 = as.label();
            as.branch(BPF_JEQ, AUDIT_ARCH_X86_64, x86_64, done);
            as.bind(x86_64);
            as.load(offsetof(seccomp_data, nr));
            as.branch(BPF_JGE, kX32Bit, done, native);
            as.bind(native);
            any = true;
        }
        uint32_t loosest = rules.front().second;
        for (const auto& r : rules)
            if (strictness(r.second) > strictness(loosest)) loosest = r.second;
        std::stable_sort(rules.begin(), rules.end(), [](const auto& a, const auto& b) {
            return strictness(a.second) < strictness(b.second);
        });
        int this_one = as.label(), next_syscall = as.label();
        as.load(offsetof(seccomp_data, nr));
        as.branch(BPF_JEQ, static_cast<uint32_t>(nr), this_one, next_syscall);
        as.bind(this_one);
        for (const auto& [rule, value] : rules) {
            if (value == loosest) break;  // sorted: the rest are the loosest
            int miss = as.label();
            for (const auto& c : rule->conditions) {
                int next = as.label();
                test(as, c, next, miss);
                as.bind(next);
            }
            as.ret(value);
            as.bind(miss);
        }
        as.go(done);  // none of the stricter rules matched: libseccomp's code decides
        as.bind(next_syscall);
    }
    if (!any) return {};
    as.bind(done);
    return as.finish();
}

std::string precedence_pfc(const Profile& profile, const FilterOptions& options) {
    std::string out;
    std::map<std::string, std::vector<const SyscallRule*>> shown;
    for (const auto& o : overlapping_rules(profile)) {
        auto& list = shown[o.stricter->syscall];
        if (std::find(list.begin(), list.end(), o.stricter) == list.end()) list.push_back(o.stricter);
    }
    if (shown.empty()) return out;
    out += "# then, deny wins where rules overlap (tested strictest first, before the code below):\n";
    for (auto& [syscall, rules] : shown) {
        std::stable_sort(rules.begin(), rules.end(), [](const SyscallRule* a, const SyscallRule* b) {
            return is_stricter(a->action, b->action);
        });
        for (const SyscallRule* r : rules) {
            std::string conds;
            for (const auto& c : r->conditions) conds += (conds.empty() ? "" : " && ") + c.text;
            Action a = effective_action(r->action, r->syscall, profile, options);
            out += "#   if ($syscall == " + syscall + (conds.empty() ? "" : " && " + conds) +
                   ") action " + a.str() + ";  # " + r->where.str() + "\n";
        }
    }
    return out;
}

}  // namespace filter_detail

}  // namespace vigil
