// libseccomp context -> BPF program / pseudo-code, and a BPF interpreter that answers what
// the kernel would answer (used by evaluate and the tests).
#include <errno.h>
#include <linux/audit.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cstring>

#include "internal.hpp"
#include "vigil/error.hpp"

namespace vigil::filter_detail {

namespace {

struct Fd {
    int fd;
    ~Fd() {
        if (fd >= 0) close(fd);
    }
};

// libseccomp only writes to a file descriptor; a memfd holds any size without a reader.
std::string export_to_string(void* ctx, int (*exporter)(const scmp_filter_ctx, int), const char* what) {
    Fd mem{memfd_create("vigil-filter", MFD_CLOEXEC)};
    if (mem.fd < 0) throw_errno("memfd_create for the seccomp export");
    int rc = exporter(ctx, mem.fd);
    if (rc < 0) throw Error(std::string("libseccomp: ") + what + " failed: " + std::strerror(-rc));
    if (lseek(mem.fd, 0, SEEK_SET) < 0) throw_errno("lseek on the seccomp export");
    std::string out;
    char buf[8192];
    for (;;) {
        ssize_t n = read(mem.fd, buf, sizeof buf);
        if (n < 0 && errno == EINTR) continue;
        if (n < 0) throw_errno("reading the seccomp export");
        if (n == 0) break;
        out.append(buf, static_cast<size_t>(n));
    }
    return out;
}

sock_filter stmt(uint16_t code, uint32_t k) { return {code, 0, 0, k}; }
sock_filter jump(uint16_t code, uint32_t k, uint8_t jt, uint8_t jf) { return {code, jt, jf, k}; }

// Native numbers above the tables (syscalls newer than this build of vigil) answer ENOSYS,
// the kernel's own answer for a syscall it does not have: programs then use their fallback.
std::vector<sock_filter> enosys_prefix(uint32_t max_known) {
    return {
        stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, arch)),
        jump(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_X86_64, 0, 4),
        stmt(BPF_LD | BPF_W | BPF_ABS, offsetof(seccomp_data, nr)),
        jump(BPF_JMP | BPF_JGE | BPF_K, kX32Bit, 2, 0),
        jump(BPF_JMP | BPF_JGT | BPF_K, max_known, 0, 1),
        stmt(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
    };
}

std::string pfc_action(uint32_t value) {
    Action a = action_from_value(value);
    switch (a.kind) {
    case ActionKind::Allow: return "ALLOW";
    case ActionKind::Errno: return "ERRNO(" + std::to_string(a.errno_value) + ")";
    case ActionKind::KillProcess: return "KILL_PROCESS";
    case ActionKind::KillThread: return "KILL";
    case ActionKind::Trap: return "TRAP";
    case ActionKind::Log: return "LOG";
    case ActionKind::Notify: return "NOTIFY";
    }
    return "KILL_PROCESS";
}

}  // namespace

std::vector<sock_filter> export_program(void* ctx, uint32_t default_value, uint32_t max_known,
                                        const std::vector<sock_filter>& precedence) {
    std::string raw = export_to_string(ctx, seccomp_export_bpf, "seccomp_export_bpf");
    if (raw.size() % sizeof(sock_filter) != 0) throw Error("libseccomp exported a truncated BPF program");
    std::vector<sock_filter> prog = enosys_prefix(max_known);
    prog.insert(prog.end(), precedence.begin(), precedence.end());
    size_t prefix = prog.size();
    prog.resize(prefix + raw.size() / sizeof(sock_filter));
    std::memcpy(prog.data() + prefix, raw.data(), raw.size());
    for (size_t i = prefix; i < prog.size(); ++i)
        if (prog[i].code == (BPF_RET | BPF_K) && prog[i].k == kSentinel) prog[i].k = default_value;
    if (prog.size() > BPF_MAXINSNS)
        throw Error("the seccomp filter has " + std::to_string(prog.size()) + " instructions; the kernel accepts " +
                    std::to_string(BPF_MAXINSNS));
    return prog;
}

std::string export_pfc_text(void* ctx, uint32_t default_value, uint32_t max_known,
                            const std::string& precedence_text) {
    std::string text = export_to_string(ctx, seccomp_export_pfc, "seccomp_export_pfc");
    const std::string sentinel = "TRACE(" + std::to_string(kSentinel & SECCOMP_RET_DATA) + ")";
    const std::string replacement = pfc_action(default_value);
    for (size_t at = text.find(sentinel); at != std::string::npos; at = text.find(sentinel, at))
        text.replace(at, sentinel.size(), replacement), at += replacement.size();
    std::string prefix =
        "#\n# vigil prefix, evaluated before the code below:\n"
        "# if ($arch == 3221225534 && $syscall < 0x40000000 && $syscall > " + std::to_string(max_known) +
        ")\n#   action ERRNO(" + std::to_string(ENOSYS) + ");  # newer than vigil's syscall tables\n"
        "# The BPF below also sends x32 numbers ($syscall >= 0x40000000, except -1) to the\n"
        "# invalid-architecture action; libseccomp's pseudo-code leaves that check out.\n" +
        precedence_text;
    return prefix + text;
}

uint32_t run_bpf(const std::vector<sock_filter>& prog, const seccomp_data& data) {
    uint32_t a = 0, x = 0, mem[BPF_MEMWORDS] = {};
    auto load = [&](uint32_t off) {
        if (off % 4 != 0 || off + 4 > sizeof data) throw Error("BPF program reads outside seccomp_data");
        uint32_t w;
        std::memcpy(&w, reinterpret_cast<const char*>(&data) + off, 4);
        return w;
    };
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const sock_filter& in = prog[pc];
        uint32_t src = BPF_SRC(in.code) == BPF_X ? x : in.k;
        switch (BPF_CLASS(in.code)) {
        case BPF_LD:
            a = BPF_MODE(in.code) == BPF_ABS ? load(in.k)
                : BPF_MODE(in.code) == BPF_MEM ? mem[in.k % BPF_MEMWORDS]
                : BPF_MODE(in.code) == BPF_LEN ? static_cast<uint32_t>(sizeof data) : in.k;
            break;
        case BPF_LDX:
            x = BPF_MODE(in.code) == BPF_MEM ? mem[in.k % BPF_MEMWORDS]
                : BPF_MODE(in.code) == BPF_LEN ? static_cast<uint32_t>(sizeof data) : in.k;
            break;
        case BPF_ST: mem[in.k % BPF_MEMWORDS] = a; break;
        case BPF_STX: mem[in.k % BPF_MEMWORDS] = x; break;
        case BPF_ALU:
            switch (BPF_OP(in.code)) {
            case BPF_ADD: a += src; break;
            case BPF_SUB: a -= src; break;
            case BPF_MUL: a *= src; break;
            case BPF_DIV: if (src == 0) return SECCOMP_RET_KILL_THREAD; a /= src; break;
            case BPF_MOD: if (src == 0) return SECCOMP_RET_KILL_THREAD; a %= src; break;
            case BPF_AND: a &= src; break;
            case BPF_OR: a |= src; break;
            case BPF_XOR: a ^= src; break;
            case BPF_LSH: a = src < 32 ? a << src : 0; break;
            case BPF_RSH: a = src < 32 ? a >> src : 0; break;
            case BPF_NEG: a = -a; break;
            default: throw Error("BPF program uses an unknown ALU operation");
            }
            break;
        case BPF_JMP: {
            if (BPF_OP(in.code) == BPF_JA) { pc += in.k; break; }
            bool taken = BPF_OP(in.code) == BPF_JEQ ? a == src
                       : BPF_OP(in.code) == BPF_JGT ? a > src
                       : BPF_OP(in.code) == BPF_JGE ? a >= src
                       : BPF_OP(in.code) == BPF_JSET ? (a & src) != 0
                       : throw Error("BPF program uses an unknown jump");
            pc += taken ? in.jt : in.jf;
            break;
        }
        case BPF_RET: return BPF_RVAL(in.code) == BPF_A ? a : in.k;
        case BPF_MISC: if (BPF_MISCOP(in.code) == BPF_TAX) x = a; else a = x; break;
        }
    }
    throw Error("BPF program runs off its end");
}

}  // namespace vigil::filter_detail
