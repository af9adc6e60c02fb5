// The shipped profiles: they load, default.toml blocks what Docker's documentation says its
// default profile blocks, and jvm.toml allows nothing default.toml does not.
#include <doctest/doctest.h>
#include <sched.h>
#include <sys/personality.h>
#include <sys/socket.h>

#include <set>

#include "vigil/profile.hpp"
#include "vigil/profile_parse.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;

namespace {

const std::string kProfiles = std::string(VIGIL_SOURCE_DIR) + "/profiles/";

// "syscall" for an unconditional allow, "syscall if c1 && c2" for a conditional one.
std::set<std::string> allowed(const Profile& p) {
    std::set<std::string> out;
    for (const auto& r : p.rules) {
        if (r.action.kind != ActionKind::Allow) continue;
        std::string key = r.syscall;
        for (size_t i = 0; i < r.conditions.size(); ++i)
            key += (i == 0 ? " if " : " && ") + condition_str(r.conditions[i]);
        out.insert(key);
    }
    return out;
}

std::vector<const SyscallRule*> rules_for(const Profile& p, const std::string& syscall) {
    std::vector<const SyscallRule*> out;
    for (const auto& r : p.rules)
        if (r.syscall == syscall) out.push_back(&r);
    return out;
}

// Docker's documented "significant syscalls blocked by the default profile" that exist on
// x86_64 (stime, umount, vm86 and vm86old do not); clone and personality are checked apart,
// restart_syscall is allowed as today's Docker does.
const char* const kDockerBlocked[] = {
    "acct", "add_key", "adjtimex", "bpf", "clock_adjtime", "clock_settime", "create_module",
    "delete_module", "finit_module", "get_kernel_syms", "get_mempolicy", "init_module", "ioperm",
    "iopl", "kcmp", "kexec_file_load", "kexec_load", "keyctl", "lookup_dcookie", "mbind",
    "modify_ldt", "mount", "move_pages", "name_to_handle_at", "nfsservctl", "open_by_handle_at",
    "perf_event_open", "pivot_root", "process_vm_readv", "process_vm_writev", "ptrace",
    "query_module", "quotactl", "reboot", "request_key", "set_mempolicy", "setns", "settimeofday",
    "swapon", "swapoff", "sysfs", "_sysctl", "umount2", "unshare", "uselib", "ustat"};

}  // namespace

TEST_CASE("default.toml blocks every syscall Docker's documentation lists as blocked") {
    Profile p = load_profile(kProfiles + "default.toml");
    CHECK((p.default_action == Action{ActionKind::Errno, EPERM}));
    auto allow = allowed(p);
    for (const char* s : kDockerBlocked) {
        CAPTURE(s);
        CHECK(syscall_number(s).has_value());
        for (const auto& a : allow) CHECK_FALSE((a == s || a.starts_with(std::string(s) + " ")));
    }
    CHECK(allow.count("read"));
    CHECK(allow.count("restart_syscall"));
}

TEST_CASE("default.toml: clone without namespace flags, clone3 ENOSYS, narrow socket and personality") {
    Profile p = load_profile(kProfiles + "default.toml");
    auto clone = rules_for(p, "clone");
    REQUIRE(clone.size() == 1);
    REQUIRE(clone[0]->conditions.size() == 1);
    const ArgCondition& c = clone[0]->conditions[0];
    CHECK(c.op == CmpOp::MaskedEq);
    CHECK(c.value == 0);
    CHECK(c.mask == (CLONE_NEWNS | CLONE_NEWUTS | CLONE_NEWIPC | CLONE_NEWUSER | CLONE_NEWPID |
                     CLONE_NEWNET | CLONE_NEWCGROUP));
    auto clone3 = rules_for(p, "clone3");
    REQUIRE(clone3.size() == 1);
    CHECK((clone3[0]->action == Action{ActionKind::Errno, ENOSYS}));
    std::set<uint64_t> families;
    for (auto* r : rules_for(p, "socket")) {
        REQUIRE(r->conditions.size() == 1);
        CHECK(r->conditions[0].op == CmpOp::Eq);
        families.insert(r->conditions[0].value);
    }
    CHECK(families == std::set<uint64_t>{AF_UNIX, AF_INET, AF_INET6, AF_NETLINK});
    std::set<uint64_t> personalities;
    for (auto* r : rules_for(p, "personality")) personalities.insert(r->conditions.at(0).value);
    CHECK(personalities == std::set<uint64_t>{PER_LINUX, PER_LINUX32, UNAME26,
                                              UNAME26 | PER_LINUX32, 0xffffffff});
}

TEST_CASE("jvm.toml allows a subset of default.toml and kills on debugging calls") {
    Profile jvm = load_profile(kProfiles + "jvm.toml");
    Profile base = load_profile(kProfiles + "default.toml");
    auto base_allow = allowed(base);
    for (const auto& a : allowed(jvm)) {
        std::string syscall = a.substr(0, a.find(' '));
        CHECK_MESSAGE((base_allow.count(a) || base_allow.count(syscall)), a);
    }
    for (const char* s : {"ptrace", "process_vm_readv", "bpf", "mount", "unshare", "setns"}) {
        auto rules = rules_for(jvm, s);
        REQUIRE_MESSAGE(rules.size() == 1, s);
        CHECK_MESSAGE((rules[0]->action == Action{ActionKind::KillProcess, 0}), s);
    }
    CHECK((rules_for(jvm, "clone3").at(0)->action == Action{ActionKind::Errno, ENOSYS}));
    // What HotSpot was seen to call (strace of java -version and a threaded server program).
    auto allow = allowed(jvm);
    for (const char* s : {"futex", "mmap", "mprotect", "madvise", "openat", "newfstatat", "statx",
                          "read", "write", "pread64", "epoll_wait", "epoll_ctl", "accept",
                          "bind", "listen", "connect", "getsockname", "setsockopt", "sysinfo",
                          "sched_getaffinity", "prctl", "getrusage", "flock", "ftruncate", "mkdir",
                          "unlink", "rseq", "set_robust_list", "clock_nanosleep", "execve"})
        CHECK_MESSAGE(allow.count(s), s);
}
