// Named groups of x86_64 syscalls, in the spirit of systemd's SystemCallFilter= sets, written
// as data so a reviewer can read what "@file-system" means. A member is a syscall name or
// another @group. Where a group differs from systemd's on purpose, the purpose line says so.
#include <algorithm>
#include <set>
#include <sstream>

#include "vigil/error.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

struct GroupText {
    const char* name;
    const char* purpose;
    const char* members;  // whitespace separated
};

const GroupText kGroups[] = {
    {"@default", "always needed by any dynamically linked program: exit, memory, ids, time",
     "arch_prctl brk clock_getres clock_gettime clock_nanosleep execve exit exit_group futex "
     "futex_waitv futex_wait futex_wake futex_requeue get_robust_list get_thread_area getegid "
     "geteuid getgid getgroups getpgid getpgrp getpid getppid getrandom getresgid getresuid "
     "getrlimit getsid gettid gettimeofday getuid map_shadow_stack membarrier mmap mprotect munmap nanosleep "
     "pause prlimit64 restart_syscall rseq rt_sigreturn sched_getaffinity sched_yield "
     "set_robust_list set_thread_area set_tid_address time uname"},
    {"@aio", "asynchronous I/O: POSIX AIO and io_uring",
     "io_cancel io_destroy io_getevents io_pgetevents io_setup io_submit io_uring_enter "
     "io_uring_register io_uring_setup"},
    {"@basic-io", "read, write, seek and close already open file descriptors",
     "close close_range dup dup2 dup3 lseek pread64 preadv preadv2 pwrite64 pwritev pwritev2 "
     "read readv write writev"},
    {"@chown", "change file ownership", "chown fchown fchownat lchown"},
    {"@clock", "set the system clock", "adjtimex clock_adjtime settimeofday clock_settime"},
    {"@cpu-emulation", "run code in emulated CPU modes (x86_64: local descriptor tables)",
     "modify_ldt"},
    {"@debug", "inspect or change other processes: tracing, profiling, reading their memory",
     "lookup_dcookie perf_event_open pidfd_getfd ptrace process_vm_readv process_vm_writev "
     "uretprobe uprobe"},
    {"@file-system", "open, create, inspect, rename and delete files and directories",
     "access chdir chmod close creat faccessat faccessat2 fallocate fchdir fchmod fchmodat "
     "fchmodat2 fcntl fgetxattr flistxattr fremovexattr fsetxattr fstat fstatfs ftruncate "
     "futimesat getcwd getdents getdents64 getxattr inotify_add_watch inotify_init inotify_init1 "
     "inotify_rm_watch lgetxattr link linkat listxattr llistxattr lremovexattr lsetxattr lstat "
     "mkdir mkdirat mknod mknodat mmap munmap newfstatat open openat openat2 readlink readlinkat "
     "removexattr rename renameat renameat2 rmdir setxattr stat statfs statx symlink symlinkat "
     "truncate unlink unlinkat utime utimensat utimes getxattrat listxattrat removexattrat "
     "setxattrat file_getattr file_setattr"},
    {"@io-event", "wait for events on file descriptors: epoll, poll, select, eventfd",
     "epoll_create epoll_create1 epoll_ctl epoll_pwait epoll_pwait2 epoll_wait eventfd eventfd2 "
     "poll ppoll pselect6 select"},
    {"@ipc", "local inter-process communication: pipes, SysV and POSIX IPC, memfd "
     "(unlike systemd's, without process_vm_*: those are @debug)",
     "memfd_create mq_getsetattr mq_notify mq_open mq_timedreceive mq_timedsend mq_unlink "
     "msgctl msgget msgrcv msgsnd pipe pipe2 semctl semget semop semtimedop shmat shmctl shmdt "
     "shmget"},
    {"@keyring", "the kernel key retention service (not namespaced)", "add_key keyctl request_key"},
    {"@memory-special", "rarely needed memory facilities that mostly help exploits: page faults "
     "handled in user space, secret memory", "memfd_secret userfaultfd"},
    {"@memlock", "lock memory into RAM", "mlock mlock2 mlockall munlock munlockall"},
    {"@module", "load and unload kernel modules", "delete_module finit_module init_module"},
    {"@mount", "mount and unmount file systems, change the root",
     "chroot fsconfig fsmount fsopen fspick mount mount_setattr move_mount open_tree pivot_root "
     "umount2 listmount statmount open_tree_attr"},
    {"@namespaces", "create or enter namespaces (clone with CLONE_NEW* flags is filtered by "
     "argument rules, not by this group)",
     "setns unshare"},
    {"@network-io", "sockets: create, connect, listen, send and receive",
     "accept accept4 bind connect getpeername getsockname getsockopt listen recvfrom recvmmsg "
     "recvmsg sendmmsg sendmsg sendto setsockopt shutdown socket socketpair"},
    {"@obsolete", "syscalls no current program needs: removed or never implemented",
     "_sysctl afs_syscall create_module epoll_ctl_old epoll_wait_old get_kernel_syms getpmsg "
     "nfsservctl putpmsg query_module remap_file_pages security sysfs tuxcall uselib ustat "
     "vserver"},
    {"@pkey", "memory protection keys", "pkey_alloc pkey_free pkey_mprotect"},
    {"@privileged", "need capabilities beyond a container's defaults, or change identity",
     "@chown @clock @module @raw-io @reboot @swap @setuid _sysctl acct bpf capset chroot "
     "fanotify_init fanotify_mark nfsservctl open_by_handle_at pivot_root quotactl quotactl_fd "
     "setdomainname sethostname syslog vhangup lsm_get_self_attr lsm_list_modules "
     "lsm_set_self_attr"},
    {"@process", "create, wait for and signal processes and threads (unlike systemd's, "
     "without setns/unshare: those are @namespaces)",
     "capget clone clone3 execveat fork getrusage kill pidfd_open pidfd_send_signal "
     "process_madvise process_mrelease prctl rt_sigqueueinfo rt_tgsigqueueinfo tgkill times tkill "
     "vfork wait4 waitid kcmp lsm_get_self_attr lsm_list_modules lsm_set_self_attr"},
    {"@raw-io", "direct access to I/O ports", "ioperm iopl"},
    {"@reboot", "reboot or replace the running kernel", "kexec_file_load kexec_load reboot"},
    {"@resources", "change scheduling, priorities, CPU and NUMA placement, resource limits",
     "ioprio_set mbind migrate_pages move_pages sched_setaffinity sched_setattr "
     "sched_setparam sched_setscheduler set_mempolicy set_mempolicy_home_node setpriority "
     "setrlimit"},
    {"@sandbox", "restrict oneself further: seccomp and Landlock",
     "landlock_add_rule landlock_create_ruleset landlock_restrict_self seccomp"},
    {"@setuid", "change user and group ids",
     "setfsgid setfsuid setgid setgroups setregid setresgid setresuid setreuid setuid"},
    {"@signal", "handle and wait for signals (sending them is @process)",
     "rt_sigaction rt_sigpending rt_sigprocmask rt_sigsuspend rt_sigtimedwait sigaltstack "
     "signalfd signalfd4"},
    {"@swap", "enable and disable swap", "swapoff swapon"},
    {"@sync", "flush file data to storage", "fdatasync fsync msync sync sync_file_range syncfs"},
    {"@timer", "interval timers and timerfds",
     "alarm getitimer setitimer timer_create timer_delete timer_getoverrun timer_gettime "
     "timer_settime timerfd_create timerfd_gettime timerfd_settime"},
    {"@system-service", "what a typical unprivileged service needs (unlike systemd's, without "
     "userfaultfd)",
     "@aio @basic-io @chown @default @file-system @io-event @ipc @keyring @memlock @network-io "
     "@process @resources @setuid @signal @sync @timer cachestat capset copy_file_range fadvise64 flock "
     "get_mempolicy getcpu getpriority ioctl ioprio_get madvise mincore mremap mseal "
     "name_to_handle_at personality readahead sched_get_priority_max sched_get_priority_min "
     "sched_getattr sched_getparam sched_getscheduler sched_rr_get_interval sendfile setpgid "
     "setsid splice sysinfo tee umask vmsplice"},
    {"@jvm", "what a HotSpot JVM (17) and its class libraries call while running a server: "
     "threads, GC, JIT, NIO, files and sockets (measured with strace on java 17)",
     "@default @basic-io @file-system @io-event @network-io @signal @sync @timer clone clone3 "
     "fork vfork wait4 waitid execve kill tgkill tkill getrusage prctl capget madvise mremap "
     "mincore sched_getparam sched_getscheduler sched_setaffinity sched_getattr "
     "sched_get_priority_max sched_get_priority_min setpriority getpriority sysinfo ioctl "
     "flock umask sendfile copy_file_range fadvise64 pipe pipe2 memfd_create getcpu setsid "
     "setpgid socketpair shmget shmat shmdt shmctl"},
    {"@jvm-hot", "calls a running JVM makes many times a second that are harmless on their own "
     "(locks, parking, I/O on open descriptors, polling, time, memory it already owns): learn "
     "mode allows these in the filter instead of notifying, to keep its overhead low",
     "futex read write readv writev pread64 pwrite64 lseek close epoll_wait epoll_pwait "
     "epoll_pwait2 epoll_ctl poll ppoll sched_yield sched_getaffinity clock_gettime "
     "clock_getres clock_nanosleep gettimeofday nanosleep madvise mprotect mmap munmap "
     "recvfrom sendto recvmsg sendmsg getpid gettid restart_syscall rt_sigreturn "
     "rt_sigprocmask getrusage fstat newfstatat"},
};

std::vector<std::string> split_words(const char* text) {
    std::vector<std::string> words;
    std::istringstream in(text);
    for (std::string w; in >> w;) words.push_back(w);
    return words;
}

std::vector<SyscallGroup> build_groups() {
    std::vector<SyscallGroup> groups;
    for (const auto& g : kGroups) {
        // Every member is in vigil's own table (table.cpp, up to Linux 6.18), whatever the
        // libseccomp vigil is built with knows; a name that is not is a mistake in this table.
        std::vector<std::string> members;
        for (auto& m : split_words(g.members)) {
            if (!m.starts_with('@') && !syscall_number(m))
                throw Error("syscall group " + std::string(g.name) + ": '" + m + "' is not an x86_64 system call");
            members.push_back(std::move(m));
        }
        groups.push_back({g.name, g.purpose, std::move(members)});
    }
    return groups;
}

void expand_into(std::string_view name, std::set<std::string>& out,
                 std::vector<std::string_view>& stack) {
    const SyscallGroup* g = find_group(name);
    if (!g) throw Error("unknown syscall group '" + std::string(name) + "'" +
                        did_you_mean(name, all_group_names()));
    if (std::find(stack.begin(), stack.end(), name) != stack.end())
        throw Error("syscall group '" + std::string(name) + "' includes itself");
    stack.push_back(name);
    for (const auto& m : g->members) {
        if (m.starts_with('@'))
            expand_into(m, out, stack);
        else
            out.insert(m);
    }
    stack.pop_back();
}

}  // namespace

const std::vector<SyscallGroup>& all_groups() {
    static const std::vector<SyscallGroup> groups = build_groups();
    return groups;
}

const SyscallGroup* find_group(std::string_view name) {
    for (const auto& g : all_groups())
        if (g.name == name) return &g;
    return nullptr;
}

std::vector<std::string> all_group_names() {
    std::vector<std::string> names;
    for (const auto& g : all_groups()) names.push_back(g.name);
    return names;
}

std::vector<std::string> expand_group(std::string_view name) {
    std::set<std::string> members;
    std::vector<std::string_view> stack;
    expand_into(name, members, stack);
    return {members.begin(), members.end()};
}

std::vector<std::string> groups_of(std::string_view syscall) {
    // Expanded once: reports ask for every syscall they saw.
    static const std::vector<std::pair<std::string, std::vector<std::string>>> expanded = [] {
        std::vector<std::pair<std::string, std::vector<std::string>>> out;
        for (const auto& g : all_groups()) out.emplace_back(g.name, expand_group(g.name));
        return out;
    }();
    std::vector<std::string> names;
    for (const auto& [name, members] : expanded)
        if (std::binary_search(members.begin(), members.end(), syscall)) names.push_back(name);
    return names;
}

}  // namespace vigil
