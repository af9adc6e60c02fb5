// Landlock ABI negotiation, ruleset construction (in vigil, before fork) and enforcement (in
// the child, one raw syscall).
//
// The constants below are the kernel's uapi (include/uapi/linux/landlock.h) up to ABI 7,
// defined here because Debian 12's headers stop at ABI 3. Rights and their first ABI:
//   1 (5.13)  filesystem: execute, write_file, read_file, read_dir, remove_dir, remove_file,
//             make_char, make_dir, make_reg, make_sock, make_fifo, make_block, make_sym
//   2 (5.19)  fs refer (link/rename across directories; always denied without it)
//   3 (6.2)   fs truncate
//   4 (6.7)   TCP bind and connect port rules (handled_access_net, LANDLOCK_RULE_NET_PORT)
//   5 (6.10)  fs ioctl_dev (ioctl on opened character/block devices)
//   6 (6.12)  scopes: abstract unix sockets, signals (landlock_ruleset_attr.scoped)
//   7 (6.15)  audit logging flags of landlock_restrict_self (no new right; vigil passes 0,
//             the kernel's default: denials are logged to the audit subsystem)
#include "vigil/landlock.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "vigil/log.hpp"

#include <cerrno>
#include <chrono>
#include <cstring>

#include "vigil/error.hpp"

#ifndef SYS_landlock_create_ruleset
#define SYS_landlock_create_ruleset 444
#endif
#ifndef SYS_landlock_add_rule
#define SYS_landlock_add_rule 445
#endif
#ifndef SYS_landlock_restrict_self
#define SYS_landlock_restrict_self 446
#endif

namespace vigil {

namespace {

namespace ll {
constexpr uint32_t kCreateRulesetVersion = 1u << 0;
constexpr int kRulePathBeneath = 1;
constexpr int kRuleNetPort = 2;

constexpr uint64_t kExecute = 1ull << 0, kWriteFile = 1ull << 1, kReadFile = 1ull << 2,
                   kReadDir = 1ull << 3, kRemoveDir = 1ull << 4, kRemoveFile = 1ull << 5,
                   kMakeChar = 1ull << 6, kMakeDir = 1ull << 7, kMakeReg = 1ull << 8,
                   kMakeSock = 1ull << 9, kMakeFifo = 1ull << 10, kMakeBlock = 1ull << 11,
                   kMakeSym = 1ull << 12, kRefer = 1ull << 13, kTruncate = 1ull << 14,
                   kIoctlDev = 1ull << 15;
constexpr uint64_t kBindTcp = 1ull << 0, kConnectTcp = 1ull << 1;
constexpr uint64_t kScopeAbstractUnix = 1ull << 0, kScopeSignal = 1ull << 1;

// The struct grows with the ABI; the kernel takes the size we pass, so an older kernel is
// handed only the fields it knows.
struct RulesetAttr {
    uint64_t handled_access_fs;
    uint64_t handled_access_net;  // ABI 4
    uint64_t scoped;              // ABI 6
};
struct __attribute__((packed)) PathBeneathAttr {
    uint64_t allowed_access;
    int32_t parent_fd;
};
struct NetPortAttr {
    uint64_t allowed_access;
    uint64_t port;
};
static_assert(sizeof(PathBeneathAttr) == 12 && sizeof(NetPortAttr) == 16);
}  // namespace ll

// Rights valid on a non-directory (the kernel refuses a rule on a file with any other).
constexpr uint64_t kFileRights = ll::kExecute | ll::kWriteFile | ll::kReadFile | ll::kTruncate |
                                 ll::kIoctlDev;

struct RightInfo {
    LandlockRight right;
    uint64_t bit;
    enum Family { Fs, Net, Scope } family;
};

const std::vector<RightInfo>& right_table() {
    static const std::vector<RightInfo> t = {
        {{"fs.execute", 1}, ll::kExecute, RightInfo::Fs},
        {{"fs.write_file", 1}, ll::kWriteFile, RightInfo::Fs},
        {{"fs.read_file", 1}, ll::kReadFile, RightInfo::Fs},
        {{"fs.read_dir", 1}, ll::kReadDir, RightInfo::Fs},
        {{"fs.remove_dir", 1}, ll::kRemoveDir, RightInfo::Fs},
        {{"fs.remove_file", 1}, ll::kRemoveFile, RightInfo::Fs},
        {{"fs.make_char", 1}, ll::kMakeChar, RightInfo::Fs},
        {{"fs.make_dir", 1}, ll::kMakeDir, RightInfo::Fs},
        {{"fs.make_reg", 1}, ll::kMakeReg, RightInfo::Fs},
        {{"fs.make_sock", 1}, ll::kMakeSock, RightInfo::Fs},
        {{"fs.make_fifo", 1}, ll::kMakeFifo, RightInfo::Fs},
        {{"fs.make_block", 1}, ll::kMakeBlock, RightInfo::Fs},
        {{"fs.make_sym", 1}, ll::kMakeSym, RightInfo::Fs},
        {{"fs.refer", 2}, ll::kRefer, RightInfo::Fs},
        {{"fs.truncate", 3}, ll::kTruncate, RightInfo::Fs},
        {{"net.bind_tcp", 4}, ll::kBindTcp, RightInfo::Net},
        {{"net.connect_tcp", 4}, ll::kConnectTcp, RightInfo::Net},
        {{"fs.ioctl_dev", 5}, ll::kIoctlDev, RightInfo::Fs},
        {{"scope.abstract_unix", 6}, ll::kScopeAbstractUnix, RightInfo::Scope},
        {{"scope.signal", 6}, ll::kScopeSignal, RightInfo::Scope},
    };
    return t;
}

uint64_t known_bits(RightInfo::Family family, int abi) {
    uint64_t bits = 0;
    for (const auto& r : right_table())
        if (r.family == family && r.right.abi <= abi) bits |= r.bit;
    return bits;
}

size_t attr_size(int abi) {
    if (abi >= 6) return sizeof(ll::RulesetAttr);
    if (abi >= 4) return offsetof(ll::RulesetAttr, scoped);
    return offsetof(ll::RulesetAttr, handled_access_net);
}

// What a grant means on a directory (the hierarchy beneath it) and on a single file. Write
// covers everything an app does in a data directory (create, rename, remove files, dirs,
// sockets, fifos, symlinks) but never creating device nodes. Execute implies read: running a
// program means reading it (scripts, the dynamic loader mapping libraries).
uint64_t dir_rights(unsigned access) {
    uint64_t r = 0;
    if (access & LandlockSettings::Read) r |= ll::kReadFile | ll::kReadDir;
    if (access & LandlockSettings::Write)
        r |= ll::kWriteFile | ll::kTruncate | ll::kIoctlDev | ll::kRemoveDir | ll::kRemoveFile |
             ll::kMakeDir | ll::kMakeReg | ll::kMakeSock | ll::kMakeFifo | ll::kMakeSym | ll::kRefer;
    if (access & LandlockSettings::Execute) r |= ll::kExecute;
    return r;
}

std::string names_of(RightInfo::Family family, uint64_t bits) {
    std::string out;
    for (const auto& r : right_table())
        if (r.family == family && (bits & r.bit)) out += (out.empty() ? "" : ",") + std::string(r.right.name);
    return out;
}

int popcount(uint64_t v) { return __builtin_popcountll(v); }

}  // namespace

const std::vector<LandlockRight>& landlock_rights() {
    static const std::vector<LandlockRight> rights = [] {
        std::vector<LandlockRight> out;
        for (const auto& r : right_table()) out.push_back(r.right);
        return out;
    }();
    return rights;
}

int landlock_abi(std::string* reason) {
    long abi = syscall(SYS_landlock_create_ruleset, nullptr, 0, ll::kCreateRulesetVersion);
    if (abi >= 1) return static_cast<int>(abi);
    if (reason) {
        switch (errno) {
            case ENOSYS: *reason = "the kernel has no Landlock (ENOSYS)"; break;
            case EOPNOTSUPP: *reason = "Landlock is disabled at boot (EOPNOTSUPP: add landlock to lsm=)"; break;
            case EPERM:
                *reason = "the Landlock syscalls are refused (EPERM: a container runtime's seccomp profile?)";
                break;
            default: *reason = std::string("landlock_create_ruleset: ") + std::strerror(errno);
        }
    }
    return 0;
}

PreparedLandlock::~PreparedLandlock() {
    if (fd_ >= 0) close(fd_);
}

PreparedLandlock::PreparedLandlock(PreparedLandlock&& o) noexcept { *this = std::move(o); }

PreparedLandlock& PreparedLandlock::operator=(PreparedLandlock&& o) noexcept {
    if (this != &o) {
        if (fd_ >= 0) close(fd_);
        fd_ = o.fd_;
        o.fd_ = -1;
        abi_ = o.abi_;
        handled_fs_ = o.handled_fs_;
        handled_net_ = o.handled_net_;
        scoped_ = o.scoped_;
        path_rules_ = o.path_rules_;
        port_rules_ = o.port_rules_;
        unenforced_ = std::move(o.unenforced_);
        skipped_ = std::move(o.skipped_);
        build_ms_ = o.build_ms_;
    }
    return *this;
}

std::string PreparedLandlock::summary() const {
    std::string s = "landlock: ABI " + std::to_string(abi_);
    if (fd_ < 0) {
        s += ", nothing confined";
    } else {
        s += ", confined:";
        if (handled_fs_)
            s += " filesystem (" + std::to_string(popcount(handled_fs_)) + " rights, " +
                 std::to_string(path_rules_) + " path rules)";
        if (handled_net_) s += " " + names_of(RightInfo::Net, handled_net_) + " (" + std::to_string(port_rules_) + " port rules)";
        if (scoped_) s += " " + names_of(RightInfo::Scope, scoped_);
    }
    if (unenforced_.empty()) return s + "; every requested right is enforced";
    s += "; NOT enforced by this kernel:";
    for (const auto& u : unenforced_) s += " " + u;
    return s;
}

std::string PreparedLandlock::audit_text() const {
    std::string s = "landlock abi=" + std::to_string(abi_) + " ruleset=" + (fd_ >= 0 ? "enforced" : "none");
    s += " fs=" + (handled_fs_ ? names_of(RightInfo::Fs, handled_fs_) : "-");
    s += " net=" + (handled_net_ ? names_of(RightInfo::Net, handled_net_) : "-");
    s += " scope=" + (scoped_ ? names_of(RightInfo::Scope, scoped_) : "-");
    s += " path_rules=" + std::to_string(path_rules_) + " port_rules=" + std::to_string(port_rules_);
    std::string un;
    for (const auto& u : unenforced_) un += (un.empty() ? "" : ",") + u;
    return s + " unenforced=" + (un.empty() ? "none" : un);
}

LandlockCoverage landlock_coverage(const LandlockSettings& settings,
                                   const std::vector<LandlockPathRule>& extra, int abi) {
    LandlockCoverage out;
    // What the profile asks to confine, with every right vigil knows for that family.
    uint64_t want_fs = settings.filesystem ? known_bits(RightInfo::Fs, kLandlockKnownAbi) : 0;
    // Extra rules name files: they need only file rights handled (an exec allow-list alone
    // confines executing, not reading).
    for (const auto& r : extra) want_fs |= dir_rights(r.access) & kFileRights;
    uint64_t want_net = (settings.bind_tcp ? ll::kBindTcp : 0) | (settings.connect_tcp ? ll::kConnectTcp : 0);
    uint64_t want_scope = (settings.scope_signal ? ll::kScopeSignal : 0) |
                          (settings.scope_abstract_unix ? ll::kScopeAbstractUnix : 0);
    out.fs = want_fs & known_bits(RightInfo::Fs, abi);
    out.net = want_net & known_bits(RightInfo::Net, abi);
    out.scope = want_scope & known_bits(RightInfo::Scope, abi);
    for (const auto& r : right_table()) {
        uint64_t want = r.family == RightInfo::Fs ? want_fs : r.family == RightInfo::Net ? want_net : want_scope;
        uint64_t have = r.family == RightInfo::Fs ? out.fs : r.family == RightInfo::Net ? out.net : out.scope;
        if ((want & r.bit) && !(have & r.bit)) out.unenforced.push_back(r.right.name);
    }
    out.wanted = want_fs || want_net || want_scope;
    return out;
}

PreparedLandlock prepare_landlock(const LandlockSettings& settings,
                                  const std::vector<LandlockPathRule>& extra) {
    PreparedLandlock out;
    if (!settings.present && extra.empty()) return out;
    auto started = std::chrono::steady_clock::now();
    std::string reason;
    int abi = landlock_abi(&reason);
    out.abi_ = abi;
    if (settings.require_abi > abi)
        throw Error(settings.require_at.str() + ": landlock.require_abi = " +
                        std::to_string(settings.require_abi) + ", but this kernel offers " +
                        (abi ? "Landlock ABI " + std::to_string(abi) : "no Landlock (" + reason + ")") +
                        "; refusing to start rather than run with weaker confinement",
                    kExitVigilError);

    LandlockCoverage cover = landlock_coverage(settings, extra, abi);
    out.handled_fs_ = cover.fs;
    out.handled_net_ = cover.net;
    out.scoped_ = cover.scope;
    out.unenforced_ = cover.unenforced;
    bool wanted = cover.wanted;
    if (abi == 0 && wanted)
        log::error("landlock: {}; the profile's [landlock] is NOT enforced (set landlock.require_abi "
                      "to refuse to start instead)", reason);
    if (abi > kLandlockKnownAbi)
        log::debug("landlock: kernel ABI {} is newer than vigil's {}: rights added since are not handled",
                      abi, kLandlockKnownAbi);
    if (!out.handled_fs_ && !out.handled_net_ && !out.scoped_) return out;

    ll::RulesetAttr attr{out.handled_fs_, out.handled_net_, out.scoped_};
    int fd = static_cast<int>(syscall(SYS_landlock_create_ruleset, &attr, attr_size(abi), 0));
    if (fd < 0) throw_errno("landlock_create_ruleset");
    out.fd_ = fd;
    // The kernel makes it close-on-exec already; the app must never hold it.
    if (fcntl(fd, F_SETFD, FD_CLOEXEC) < 0) throw_errno("fcntl(FD_CLOEXEC) on the Landlock ruleset");

    auto add_path = [&](const std::string& path, unsigned access, const std::string& where) {
        // O_PATH: no read permission needed, nothing on the file is triggered (a FIFO does not
        // block, a device is not opened). Symlinks are followed: the rule names the file they
        // lead to, which is what the kernel checks when the app opens the link.
        int pfd = open(path.c_str(), O_PATH | O_CLOEXEC);
        if (pfd < 0) {
            if (errno == ENOENT || errno == ENOTDIR) {
                log::warn("landlock: {}: {} does not exist; skipped (the kernel refuses it)", where, path);
                out.skipped_.push_back(path);
                return;
            }
            throw_errno(where + ": landlock path " + path);
        }
        struct stat st {};
        if (fstat(pfd, &st) < 0) {
            int e = errno;
            close(pfd);
            errno = e;
            throw_errno(where + ": fstat " + path);
        }
        uint64_t rights = dir_rights(access) & out.handled_fs_;
        if (!S_ISDIR(st.st_mode)) rights &= kFileRights;
        if (rights) {
            ll::PathBeneathAttr pb{rights, pfd};
            if (syscall(SYS_landlock_add_rule, out.fd_, ll::kRulePathBeneath, &pb, 0) < 0) {
                int e = errno;
                close(pfd);
                errno = e;
                throw_errno(where + ": landlock_add_rule for " + path);
            }
            ++out.path_rules_;
        }
        close(pfd);
    };
    if (out.handled_fs_) {
        for (const auto& [path, grant] : settings.paths) add_path(path, grant.access, grant.where.str());
        for (const auto& r : extra) add_path(r.path, r.access, r.why);
    }
    for (const auto& [port, grant] : settings.ports) {
        uint64_t rights = ((grant.bind ? ll::kBindTcp : 0) | (grant.connect ? ll::kConnectTcp : 0)) & out.handled_net_;
        if (!rights) continue;
        ll::NetPortAttr np{rights, static_cast<uint64_t>(port)};
        if (syscall(SYS_landlock_add_rule, out.fd_, ll::kRuleNetPort, &np, 0) < 0)
            throw_errno(grant.where.str() + ": landlock_add_rule for TCP port " + std::to_string(port));
        ++out.port_rules_;
    }
    out.build_ms_ = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count();
    return out;
}

int landlock_restrict(int ruleset_fd) {
    if (ruleset_fd < 0) return 0;
    if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) < 0) return errno;
    return 0;
}

}  // namespace vigil
