// Symbolic names for argument conditions and errno actions, taken from the system headers
// at build time so that the values are the kernel ABI's, not copies typed by hand.
#include <fcntl.h>
#include <linux/futex.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <netinet/udp.h>
#include <sched.h>
#include <signal.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <termios.h>

#include <algorithm>
#include <cerrno>
#include <initializer_list>
#include <map>

#include "vigil/syscalls.hpp"
#include "vigil/text.hpp"

// glibc's <sched.h> predates these; the values are the kernel's (include/uapi/linux/sched.h).
#ifndef CLONE_NEWTIME
#define CLONE_NEWTIME 0x00000080
#endif
#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x00001000
#endif
#ifndef CLONE_CLEAR_SIGHAND
#define CLONE_CLEAR_SIGHAND 0x100000000ULL
#endif
#ifndef CLONE_INTO_CGROUP
#define CLONE_INTO_CGROUP 0x200000000ULL
#endif

namespace vigil {

namespace {

struct Named {
    const char* name;
    uint64_t value;
};

#define V(x) Named{#x, static_cast<uint64_t>(x)}

// Primary names first: errno_name() answers the first name listed for a value.
const Named kErrnos[] = {
    V(EPERM), V(ENOENT), V(ESRCH), V(EINTR), V(EIO), V(ENXIO), V(E2BIG), V(ENOEXEC), V(EBADF),
    V(ECHILD), V(EAGAIN), V(ENOMEM), V(EACCES), V(EFAULT), V(ENOTBLK), V(EBUSY), V(EEXIST),
    V(EXDEV), V(ENODEV), V(ENOTDIR), V(EISDIR), V(EINVAL), V(ENFILE), V(EMFILE), V(ENOTTY),
    V(ETXTBSY), V(EFBIG), V(ENOSPC), V(ESPIPE), V(EROFS), V(EMLINK), V(EPIPE), V(EDOM), V(ERANGE),
    V(EDEADLK), V(ENAMETOOLONG), V(ENOLCK), V(ENOSYS), V(ENOTEMPTY), V(ELOOP), V(ENOMSG), V(EIDRM),
    V(ECHRNG), V(EL2NSYNC), V(EL3HLT), V(EL3RST), V(ELNRNG), V(EUNATCH), V(ENOCSI), V(EL2HLT),
    V(EBADE), V(EBADR), V(EXFULL), V(ENOANO), V(EBADRQC), V(EBADSLT), V(EBFONT), V(ENOSTR),
    V(ENODATA), V(ETIME), V(ENOSR), V(ENONET), V(ENOPKG), V(EREMOTE), V(ENOLINK), V(EADV),
    V(ESRMNT), V(ECOMM), V(EPROTO), V(EMULTIHOP), V(EDOTDOT), V(EBADMSG), V(EOVERFLOW),
    V(ENOTUNIQ), V(EBADFD), V(EREMCHG), V(ELIBACC), V(ELIBBAD), V(ELIBSCN), V(ELIBMAX),
    V(ELIBEXEC), V(EILSEQ), V(ERESTART), V(ESTRPIPE), V(EUSERS), V(ENOTSOCK), V(EDESTADDRREQ),
    V(EMSGSIZE), V(EPROTOTYPE), V(ENOPROTOOPT), V(EPROTONOSUPPORT), V(ESOCKTNOSUPPORT),
    V(EOPNOTSUPP), V(EPFNOSUPPORT), V(EAFNOSUPPORT), V(EADDRINUSE), V(EADDRNOTAVAIL), V(ENETDOWN),
    V(ENETUNREACH), V(ENETRESET), V(ECONNABORTED), V(ECONNRESET), V(ENOBUFS), V(EISCONN),
    V(ENOTCONN), V(ESHUTDOWN), V(ETOOMANYREFS), V(ETIMEDOUT), V(ECONNREFUSED), V(EHOSTDOWN),
    V(EHOSTUNREACH), V(EALREADY), V(EINPROGRESS), V(ESTALE), V(EUCLEAN), V(ENOTNAM), V(ENAVAIL),
    V(EISNAM), V(EREMOTEIO), V(EDQUOT), V(ENOMEDIUM), V(EMEDIUMTYPE), V(ECANCELED), V(ENOKEY),
    V(EKEYEXPIRED), V(EKEYREVOKED), V(EKEYREJECTED), V(EOWNERDEAD), V(ENOTRECOVERABLE),
    V(ERFKILL), V(EHWPOISON),
    // aliases
    V(EWOULDBLOCK), V(EDEADLOCK), V(ENOTSUP),
};

const Named kConstants[] = {
    // socket(2) domains, types and flags; levels and options
    V(AF_UNSPEC), V(AF_UNIX), V(AF_LOCAL), V(AF_INET), V(AF_INET6), V(AF_NETLINK), V(AF_PACKET),
    V(AF_VSOCK), V(AF_ALG), V(AF_BLUETOOTH), V(AF_KEY), V(AF_APPLETALK), V(AF_AX25), V(AF_IPX),
    V(AF_X25), V(AF_CAN), V(AF_TIPC), V(AF_RDS), V(AF_XDP), V(AF_BRIDGE), V(AF_LLC), V(AF_IB),
    V(AF_MPLS), V(AF_NFC), V(AF_PPPOX), V(AF_SMC), V(AF_QIPCRTR), V(AF_KCM), V(AF_IUCV),
    V(AF_RXRPC), V(AF_ISDN), V(AF_PHONET), V(AF_IEEE802154), V(AF_CAIF), V(AF_ATMPVC),
    V(AF_ATMSVC), V(AF_DECnet), V(AF_ROSE), V(AF_NETROM), V(AF_ECONET), V(AF_SECURITY),
    V(AF_WANPIPE), V(AF_SNA), V(AF_IRDA), V(AF_LLC), V(AF_ROUTE),
    V(SOCK_STREAM), V(SOCK_DGRAM), V(SOCK_RAW), V(SOCK_RDM), V(SOCK_SEQPACKET), V(SOCK_DCCP),
    V(SOCK_PACKET), V(SOCK_NONBLOCK), V(SOCK_CLOEXEC),
    V(SOL_SOCKET), V(SOL_IP), V(SOL_IPV6), V(SOL_TCP), V(SOL_UDP), V(SOL_RAW), V(SOL_PACKET),
    V(SO_REUSEADDR), V(SO_REUSEPORT), V(SO_KEEPALIVE), V(SO_BROADCAST), V(SO_LINGER),
    V(SO_RCVBUF), V(SO_SNDBUF), V(SO_RCVTIMEO), V(SO_SNDTIMEO), V(SO_ERROR), V(SO_TYPE),
    V(SO_BINDTODEVICE), V(SO_PEERCRED), V(SO_PASSCRED), V(SO_ATTACH_FILTER), V(SO_DEBUG),
    V(SO_MARK), V(SO_PRIORITY),
    V(MSG_OOB), V(MSG_PEEK), V(MSG_DONTROUTE), V(MSG_DONTWAIT), V(MSG_NOSIGNAL), V(MSG_WAITALL),
    V(MSG_TRUNC), V(MSG_CTRUNC), V(MSG_EOR), V(MSG_MORE), V(MSG_CMSG_CLOEXEC),
    V(IPPROTO_IP), V(IPPROTO_ICMP), V(IPPROTO_TCP), V(IPPROTO_UDP), V(IPPROTO_IPV6),
    V(IPPROTO_ICMPV6), V(IPPROTO_RAW), V(IPPROTO_SCTP), V(IPPROTO_UDPLITE), V(IPPROTO_MPTCP),
    // clone(2) flags
    V(CSIGNAL), V(CLONE_VM), V(CLONE_FS), V(CLONE_FILES), V(CLONE_SIGHAND), V(CLONE_PIDFD),
    V(CLONE_PTRACE), V(CLONE_VFORK), V(CLONE_PARENT), V(CLONE_THREAD), V(CLONE_NEWNS),
    V(CLONE_SYSVSEM), V(CLONE_SETTLS), V(CLONE_PARENT_SETTID), V(CLONE_CHILD_CLEARTID),
    V(CLONE_DETACHED), V(CLONE_UNTRACED), V(CLONE_CHILD_SETTID), V(CLONE_NEWCGROUP),
    V(CLONE_NEWUTS), V(CLONE_NEWIPC), V(CLONE_NEWUSER), V(CLONE_NEWPID), V(CLONE_NEWNET),
    V(CLONE_IO), V(CLONE_NEWTIME), V(CLONE_CLEAR_SIGHAND), V(CLONE_INTO_CGROUP),
    // open(2), fcntl(2), *at(2)
    V(O_RDONLY), V(O_WRONLY), V(O_RDWR), V(O_ACCMODE), V(O_CREAT), V(O_EXCL), V(O_NOCTTY),
    V(O_TRUNC), V(O_APPEND), V(O_NONBLOCK), V(O_NDELAY), V(O_DSYNC), V(O_SYNC), V(O_RSYNC),
    V(O_ASYNC), V(O_DIRECT), V(O_LARGEFILE), V(O_DIRECTORY), V(O_NOFOLLOW), V(O_NOATIME),
    V(O_CLOEXEC), V(O_PATH), V(O_TMPFILE),
    V(F_DUPFD), V(F_GETFD), V(F_SETFD), V(F_GETFL), V(F_SETFL), V(F_GETLK), V(F_SETLK),
    V(F_SETLKW), V(F_SETOWN), V(F_GETOWN), V(F_SETSIG), V(F_GETSIG), V(F_SETOWN_EX),
    V(F_GETOWN_EX), V(F_OFD_GETLK), V(F_OFD_SETLK), V(F_OFD_SETLKW), V(F_SETLEASE),
    V(F_GETLEASE), V(F_NOTIFY), V(F_DUPFD_CLOEXEC), V(F_SETPIPE_SZ), V(F_GETPIPE_SZ),
    V(F_ADD_SEALS), V(F_GET_SEALS), V(FD_CLOEXEC),
    V(AT_SYMLINK_NOFOLLOW), V(AT_REMOVEDIR), V(AT_SYMLINK_FOLLOW), V(AT_NO_AUTOMOUNT),
    V(AT_EMPTY_PATH), V(AT_EACCESS),
    // ioctl(2) requests most often named in policies
    V(TIOCSTI), V(TIOCLINUX), V(TIOCSCTTY), V(TIOCNOTTY), V(TIOCGWINSZ), V(TIOCSWINSZ),
    V(TIOCGPGRP), V(TIOCSPGRP), V(TIOCGSID), V(TIOCOUTQ), V(TIOCINQ), V(TIOCEXCL), V(TIOCNXCL),
    V(TIOCCONS), V(TIOCGPTN), V(TIOCSPTLCK), V(TIOCGPTPEER), V(TIOCSETD), V(TIOCGETD),
    V(TIOCMGET), V(TIOCMSET), V(TCGETS), V(TCSETS), V(TCSETSW), V(TCSETSF), V(TCGETA),
    V(TCSETA), V(TCSBRK), V(TCXONC), V(TCFLSH), V(FIONREAD), V(FIONBIO), V(FIOCLEX), V(FIONCLEX),
    V(FIOASYNC), V(FIOQSIZE),
    // prctl(2) options
    V(PR_SET_PDEATHSIG), V(PR_GET_PDEATHSIG), V(PR_GET_DUMPABLE), V(PR_SET_DUMPABLE),
    V(PR_GET_KEEPCAPS), V(PR_SET_KEEPCAPS), V(PR_SET_NAME), V(PR_GET_NAME), V(PR_GET_SECCOMP),
    V(PR_SET_SECCOMP), V(PR_CAPBSET_READ), V(PR_CAPBSET_DROP), V(PR_GET_TIMERSLACK),
    V(PR_SET_TIMERSLACK), V(PR_SET_SECUREBITS), V(PR_GET_SECUREBITS), V(PR_SET_MM),
    V(PR_SET_CHILD_SUBREAPER), V(PR_GET_CHILD_SUBREAPER), V(PR_SET_NO_NEW_PRIVS),
    V(PR_GET_NO_NEW_PRIVS), V(PR_GET_TID_ADDRESS), V(PR_SET_THP_DISABLE), V(PR_GET_THP_DISABLE),
    V(PR_CAP_AMBIENT), V(PR_SET_VMA), V(PR_SET_PTRACER), V(PR_SET_TIMING), V(PR_GET_TIMING),
    V(PR_MCE_KILL), V(PR_MCE_KILL_GET), V(PR_SET_IO_FLUSHER), V(PR_GET_IO_FLUSHER),
    V(PR_SET_SPECULATION_CTRL), V(PR_GET_SPECULATION_CTRL), V(PR_SET_SYSCALL_USER_DISPATCH),
    V(PR_SET_TAGGED_ADDR_CTRL), V(PR_GET_TAGGED_ADDR_CTRL), V(PR_SCHED_CORE),
    V(PR_SET_FP_MODE), V(PR_GET_FP_MODE), V(PR_TASK_PERF_EVENTS_DISABLE),
    V(PR_TASK_PERF_EVENTS_ENABLE),
    // mmap(2), mprotect(2), madvise(2)
    V(PROT_NONE), V(PROT_READ), V(PROT_WRITE), V(PROT_EXEC), V(PROT_GROWSDOWN), V(PROT_GROWSUP),
    V(MAP_SHARED), V(MAP_PRIVATE), V(MAP_SHARED_VALIDATE), V(MAP_FIXED), V(MAP_ANONYMOUS),
    V(MAP_ANON), V(MAP_32BIT), V(MAP_GROWSDOWN), V(MAP_DENYWRITE), V(MAP_EXECUTABLE),
    V(MAP_LOCKED), V(MAP_NORESERVE), V(MAP_POPULATE), V(MAP_NONBLOCK), V(MAP_STACK),
    V(MAP_HUGETLB), V(MAP_SYNC), V(MAP_FIXED_NOREPLACE),
    V(MADV_NORMAL), V(MADV_RANDOM), V(MADV_SEQUENTIAL), V(MADV_WILLNEED), V(MADV_DONTNEED),
    V(MADV_FREE), V(MADV_REMOVE), V(MADV_DONTFORK), V(MADV_DOFORK), V(MADV_MERGEABLE),
    V(MADV_UNMERGEABLE), V(MADV_HUGEPAGE), V(MADV_NOHUGEPAGE), V(MADV_DONTDUMP), V(MADV_DODUMP),
    V(MADV_WIPEONFORK), V(MADV_KEEPONFORK), V(MADV_COLD), V(MADV_PAGEOUT), V(MADV_HWPOISON),
    // personality(2)
    V(PER_LINUX), V(PER_LINUX_32BIT), V(PER_LINUX32), V(PER_LINUX32_3GB), V(PER_SVR4),
    V(PER_BSD), V(UNAME26), V(ADDR_NO_RANDOMIZE), V(FDPIC_FUNCPTRS), V(MMAP_PAGE_ZERO),
    V(ADDR_COMPAT_LAYOUT), V(READ_IMPLIES_EXEC), V(ADDR_LIMIT_32BIT), V(SHORT_INODE),
    V(WHOLE_SECONDS), V(STICKY_TIMEOUTS), V(ADDR_LIMIT_3GB),
    // signals (kill(2), rt_sigaction(2), clone(2)'s exit signal)
    V(SIGHUP), V(SIGINT), V(SIGQUIT), V(SIGILL), V(SIGTRAP), V(SIGABRT), V(SIGBUS), V(SIGFPE),
    V(SIGKILL), V(SIGUSR1), V(SIGSEGV), V(SIGUSR2), V(SIGPIPE), V(SIGALRM), V(SIGTERM),
    V(SIGSTKFLT), V(SIGCHLD), V(SIGCONT), V(SIGSTOP), V(SIGTSTP), V(SIGTTIN), V(SIGTTOU),
    V(SIGURG), V(SIGXCPU), V(SIGXFSZ), V(SIGVTALRM), V(SIGPROF), V(SIGWINCH), V(SIGIO),
    V(SIGPWR), V(SIGSYS),
    // futex(2) operations
    V(FUTEX_WAIT), V(FUTEX_WAKE), V(FUTEX_FD), V(FUTEX_REQUEUE), V(FUTEX_CMP_REQUEUE),
    V(FUTEX_WAKE_OP), V(FUTEX_LOCK_PI), V(FUTEX_UNLOCK_PI), V(FUTEX_TRYLOCK_PI),
    V(FUTEX_WAIT_BITSET), V(FUTEX_WAKE_BITSET), V(FUTEX_WAIT_REQUEUE_PI),
    V(FUTEX_CMP_REQUEUE_PI), V(FUTEX_PRIVATE_FLAG), V(FUTEX_CLOCK_REALTIME),
    // wait4(2), waitid(2)
    V(WNOHANG), V(WUNTRACED), V(WSTOPPED), V(WEXITED), V(WCONTINUED), V(WNOWAIT), V(__WALL),
    V(__WCLONE), V(__WNOTHREAD),
};

#undef V

template <size_t N>
std::vector<std::string> names_of(const Named (&table)[N]) {
    std::vector<std::string> names;
    for (const auto& n : table) names.emplace_back(n.name);
    std::sort(names.begin(), names.end());
    names.erase(std::unique(names.begin(), names.end()), names.end());
    return names;
}

template <size_t N>
std::optional<uint64_t> lookup(const Named (&table)[N], std::string_view name) {
    for (const auto& n : table)
        if (name == n.name) return n.value;
    return std::nullopt;
}

}  // namespace

std::optional<int> errno_number(std::string_view name) {
    auto v = lookup(kErrnos, name);
    if (!v) return std::nullopt;
    return static_cast<int>(*v);
}

std::optional<std::string> errno_name(int value) {
    for (const auto& n : kErrnos)
        if (n.value == static_cast<uint64_t>(value)) return std::string(n.name);
    return std::nullopt;
}

const std::vector<std::string>& all_errno_names() {
    static const std::vector<std::string> names = names_of(kErrnos);
    return names;
}

std::optional<uint64_t> constant(std::string_view name) { return lookup(kConstants, name); }

namespace {

// The first name of the table with one of PREFIXES for exactly VALUE (primary names are
// listed before their aliases), skipping names that are not a value of their own kind.
std::optional<std::string> name_for(uint64_t value, std::initializer_list<std::string_view> prefixes,
                                    std::initializer_list<std::string_view> skip = {}) {
    for (const auto& n : kConstants) {
        std::string_view name = n.name;
        if (n.value != value) continue;
        bool prefixed = false;
        for (auto p : prefixes) prefixed = prefixed || name.starts_with(p);
        bool skipped = false;
        for (auto s : skip) skipped = skipped || name == s;
        if (prefixed && !skipped) return std::string(name);
    }
    return std::nullopt;
}

// VALUE as single-bit names of PREFIX joined with '|', when every set bit has one.
std::optional<std::string> bit_names(uint64_t value, std::string_view prefix,
                                     std::initializer_list<std::string_view> skip = {}) {
    if (value == 0) return std::nullopt;
    std::string out;
    for (unsigned bit = 0; bit < 64; ++bit) {
        uint64_t b = uint64_t{1} << bit;
        if (!(value & b)) continue;
        auto n = name_for(b, {prefix}, skip);
        if (!n) return std::nullopt;
        out += (out.empty() ? "" : "|") + *n;
    }
    return out;
}

}  // namespace

std::string symbolic_value(std::string_view syscall, unsigned index, uint64_t value) {
    auto nr = syscall_number(syscall);
    ArgRole role = nr && index < 6 ? arg_roles(*nr)[index] : ArgRole::None;
    std::optional<std::string> name;
    switch (role) {
        case ArgRole::SocketFamily: name = name_for(value, {"AF_"}); break;
        case ArgRole::SocketType: {
            uint64_t flags = value & (SOCK_NONBLOCK | SOCK_CLOEXEC), type = value & ~flags;
            if (auto t = name_for(type, {"SOCK_"}, {"SOCK_NONBLOCK", "SOCK_CLOEXEC"})) {
                name = *t;
                if (flags & SOCK_NONBLOCK) *name += "|SOCK_NONBLOCK";
                if (flags & SOCK_CLOEXEC) *name += "|SOCK_CLOEXEC";
            }
            break;
        }
        // CSIGNAL is a mask, not a flag; CLONE_DETACHED is ignored by the kernel.
        case ArgRole::CloneFlags: name = bit_names(value, "CLONE_", {"CLONE_DETACHED"}); break;
        case ArgRole::IoctlRequest: name = name_for(value, {"TIOC", "TC", "FIO"}); break;
        case ArgRole::PrctlOption: name = name_for(value, {"PR_"}); break;
        case ArgRole::Personality: name = name_for(value, {"PER_"}); break;
        case ArgRole::Signal: name = name_for(value, {"SIG"}); break;
        default: break;
    }
    return name ? *name : text::hex(value);
}

const std::vector<std::string>& all_constant_names() {
    static const std::vector<std::string> names = names_of(kConstants);
    return names;
}

}  // namespace vigil
