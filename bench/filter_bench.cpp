// Cost of vigil's seccomp filter: per-syscall overhead (a cached allowed syscall and an
// argument-checked one) with and without the filter, side by side in one run; and the time
// to compile and to load a profile's filter. Built and run by bench/filter_bench.sh.
#include <fcntl.h>
#include <time.h>
#include <linux/audit.h>
#include <linux/seccomp.h>
#include <seccomp.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#include "vigil/filter.hpp"
#include "vigil/profile.hpp"
#include "vigil/spawn.hpp"
#include "vigil/syscalls.hpp"

using namespace vigil;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t0) { return std::chrono::duration<double>(Clock::now() - t0).count(); }

// CPU time of this thread: what load and compile cost, without the time other work on a
// shared machine takes the CPU away (wall time then measures the neighbours).
double cpu_seconds() {
    timespec t{};
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return static_cast<double>(t.tv_sec) + static_cast<double>(t.tv_nsec) / 1e9;
}

SyscallRule rule(const std::string& name, Action a, std::vector<ArgCondition> when = {}) {
    SyscallRule r;
    r.syscall = name;
    r.action = a;
    r.conditions = std::move(when);
    return r;
}

ArgCondition eq(unsigned index, uint64_t value) {
    ArgCondition c;
    c.index = index;
    c.value = value;
    return c;
}

// 250 rules shaped like a server profile: ~230 syscalls allowed outright, the rest with
// argument conditions (fcntl commands, socket families, prctl options), default errno:EPERM.
Profile synthetic_profile() {
    Profile p;
    p.has_seccomp = true;
    p.default_action = {ActionKind::Errno, EPERM};
    const std::vector<std::string> conditional = {"fcntl", "socket", "prctl", "ioctl"};
    for (int nr = 0; nr < 450 && p.rules.size() < 230; ++nr) {
        char* name = seccomp_syscall_resolve_num_arch(SCMP_ARCH_X86_64, nr);
        if (!name) continue;
        std::string n = name;
        free(name);
        if (std::find(conditional.begin(), conditional.end(), n) == conditional.end() && n != "clone3")
            p.rules.push_back(rule(n, {ActionKind::Allow}));
    }
    for (uint64_t cmd : {F_DUPFD, F_GETFD, F_SETFD, F_GETFL, F_SETFL, F_DUPFD_CLOEXEC, F_SETLK, F_GETLK})
        p.rules.push_back(rule("fcntl", {ActionKind::Allow}, {eq(1, cmd)}));
    for (uint64_t family : {AF_UNIX, AF_INET, AF_INET6, AF_NETLINK})
        p.rules.push_back(rule("socket", {ActionKind::Allow}, {eq(0, family)}));
    for (uint64_t opt : {PR_SET_NAME, PR_GET_NAME, PR_GET_DUMPABLE, PR_SET_VMA})
        p.rules.push_back(rule("prctl", {ActionKind::Allow}, {eq(0, opt)}));
    for (uint64_t req : {0x5401 /*TCGETS*/, 0x541B /*FIONREAD*/, 0x5421 /*FIONBIO*/, 0x5413 /*TIOCGWINSZ*/})
        p.rules.push_back(rule("ioctl", {ActionKind::Allow}, {eq(1, req)}));
    return p;
}

double median(std::vector<double> v) {
    std::sort(v.begin(), v.end());
    return v[v.size() / 2];
}

// Runs MEASURE in a forked child (filters cannot be unloaded) and returns its number.
double in_child(const std::function<double()>& measure) {
    int p[2];
    if (pipe(p) != 0) return -1;
    pid_t pid = fork();
    if (pid == 0) {
        double v = measure();
        if (write(p[1], &v, sizeof v) != sizeof v) _exit(2);
        _exit(0);
    }
    close(p[1]);
    double v = -1;
    if (read(p[0], &v, sizeof v) != sizeof v) v = -1;
    close(p[0]);
    waitpid(pid, nullptr, 0);
    return v;
}

void load(const BpfProgram& prog) {
    sock_fprog f{static_cast<unsigned short>(prog.insns.size()), const_cast<sock_filter*>(prog.insns.data())};
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &f)) _exit(1);
}

// ns per call of BODY: the median over batches of 1000 calls (N calls in all) after loading
// PROG (null: no filter). Batches hit by preemption on a shared machine land in the tail and
// do not move the median.
double ns_per_call(const BpfProgram* prog, long n, const std::function<void()>& body) {
    return in_child([&] {
        if (prog) load(*prog);
        const long batch = 1000;
        for (long i = 0; i < batch * 10; ++i) body();  // warm-up
        std::vector<double> per_call;
        for (long done = 0; done < n; done += batch) {
            auto t0 = Clock::now();
            for (long i = 0; i < batch; ++i) body();
            per_call.push_back(seconds_since(t0) * 1e9 / static_cast<double>(batch));
        }
        return median(per_call);
    });
}

double load_ms(const BpfProgram& prog) {
    return in_child([&] {
        auto t0 = Clock::now();
        load(prog);
        return seconds_since(t0) * 1e3;
    });
}

// The best of three runs, alternating with and without the filter: other load on the machine
// only ever adds time.
std::pair<double, double> best_of_three(const BpfProgram& prog, long n, const std::function<void()>& body) {
    double base = 1e18, with = 1e18;
    for (int i = 0; i < 3; ++i) {
        base = std::min(base, ns_per_call(nullptr, n, body));
        with = std::min(with, ns_per_call(&prog, n, body));
    }
    return {base, with};
}

bool has_conditions(const Profile& p, const std::string& name) {
    return std::any_of(p.rules.begin(), p.rules.end(),
                       [&](const SyscallRule& r) { return r.syscall == name && !r.conditions.empty(); });
}

void report(const char* what, const Profile& profile, const BpfProgram& prog, long n) {
    auto [base1, with1] = best_of_three(prog, n, [] { syscall(SYS_getppid); });
    // socket(AF_INET, <invalid type>): passes an argument check, then fails fast in the kernel
    // (EINVAL) without creating a descriptor.
    auto [base2, with2] = best_of_three(prog, n, [] { syscall(SYS_socket, AF_INET, 0x7fff, 0); });
    std::printf("%-26s %4zu insns | getppid %6.0f -> %6.0f ns (x%.2f) | socket(AF_INET, bad) [%s] %6.0f -> %6.0f ns (x%.2f)\n",
                what, prog.insns.size(), base1, with1, with1 / base1,
                has_conditions(profile, "socket") ? "arg-checked" : "unconditional", base2, with2, with2 / base2);
}

// The kernel's seccomp action cache (kernel/seccomp.c, seccomp_is_const_allow): for each
// syscall number, the filter is emulated with only nr and arch known; if it reaches
// "return ALLOW" without loading an argument (or the instruction pointer), the number is
// marked always-allowed and the filter never runs for it again. Anything else (a load of an
// argument, any other return value) leaves the number uncached: the filter runs on every call.
enum class Cache { Allowed, ReadsArgs, OtherAction };
Cache kernel_cache(const std::vector<sock_filter>& prog, uint32_t nr) {
    uint32_t a = 0;
    for (size_t pc = 0; pc < prog.size(); ++pc) {
        const sock_filter& in = prog[pc];
        switch (in.code) {
        case BPF_LD | BPF_W | BPF_ABS:
            if (in.k == offsetof(seccomp_data, nr)) a = nr;
            else if (in.k == offsetof(seccomp_data, arch)) a = AUDIT_ARCH_X86_64;
            else return Cache::ReadsArgs;
            break;
        case BPF_RET | BPF_K: return in.k == SECCOMP_RET_ALLOW ? Cache::Allowed : Cache::OtherAction;
        case BPF_JMP | BPF_JA: pc += in.k; break;
        case BPF_JMP | BPF_JEQ | BPF_K: pc += a == in.k ? in.jt : in.jf; break;
        case BPF_JMP | BPF_JGE | BPF_K: pc += a >= in.k ? in.jt : in.jf; break;
        case BPF_JMP | BPF_JGT | BPF_K: pc += a > in.k ? in.jt : in.jf; break;
        case BPF_JMP | BPF_JSET | BPF_K: pc += (a & in.k) ? in.jt : in.jf; break;
        case BPF_ALU | BPF_AND | BPF_K: a &= in.k; break;
        default: return Cache::ReadsArgs;  // the kernel gives up on any other instruction
        }
    }
    return Cache::ReadsArgs;
}

// Syscalls a busy JVM (and the Node.js / Python runtimes) makes per request or per file:
// strace -f -c of Tomcat, the JDK HttpServer and the 20k-file-read job (bench/README.md).
const char* const kHot[] = {
    "futex", "read", "write", "readv", "writev", "pread64", "pwrite64", "lseek", "close",
    "openat", "newfstatat", "fstat", "statx", "getdents64", "readlink", "access", "faccessat2",
    "epoll_wait", "epoll_pwait", "epoll_ctl", "poll", "ppoll", "accept", "accept4", "recvfrom",
    "sendto", "recvmsg", "sendmsg", "shutdown", "getsockopt", "setsockopt", "getsockname",
    "getpeername", "fcntl", "ioctl", "sched_yield", "clock_gettime", "gettimeofday",
    "nanosleep", "clock_nanosleep", "madvise", "mprotect", "mmap", "munmap", "getpid", "gettid",
    "rt_sigprocmask", "rt_sigreturn", "getrusage", "sysinfo", "sched_getaffinity", "clone",
    "clone3", "exit", "set_robust_list", "rseq", "prctl", "socket", "connect",
};

void cache_report(const char* what, const Profile& profile, const BpfProgram& prog) {
    // As the app gets it: the launch prefix (spawn) in front of the profile's program.
    LaunchToken token{};
    std::vector<sock_filter> full = launch_prefix(token);
    full.insert(full.end(), prog.insns.begin(), prog.insns.end());
    int cached = 0, args = 0, other = 0;
    for (uint32_t nr = 0; nr < 463; ++nr) {
        switch (kernel_cache(full, nr)) {
        case Cache::Allowed: ++cached; break;
        case Cache::ReadsArgs: ++args; break;
        case Cache::OtherAction: ++other; break;
        }
    }
    std::printf("%-26s kernel action cache over x86_64 numbers 0-462: %d always-allowed (cached), "
                "%d read arguments, %d other action\n", what, cached, args, other);
    std::string reads, denied, reasons;
    for (const char* name : kHot) {
        auto nr = syscall_number(name);
        if (!nr) continue;
        Cache c = kernel_cache(full, static_cast<uint32_t>(*nr));
        if (c == Cache::Allowed) continue;
        bool in_profile = std::any_of(profile.rules.begin(), profile.rules.end(),
                                      [&](const SyscallRule& r) { return r.syscall == name && !r.conditions.empty(); });
        std::string why = c == Cache::OtherAction ? "not allowed outright"
                          : in_profile            ? "argument rule"
                                                  : "launch prefix";
        (c == Cache::ReadsArgs ? reads : denied) += std::string(" ") + name + "(" + why + ")";
    }
    std::printf("%-26s hot syscalls NOT cached: reads args:%s; other action:%s\n", what,
                reads.empty() ? " none" : reads.c_str(), denied.empty() ? " none" : denied.c_str());
}

}  // namespace

int main(int argc, char** argv) {
    long n = 2000000;
    std::vector<std::string> profiles;
    for (int i = 1; i < argc; ++i) {
        if (std::strcmp(argv[i], "-n") == 0 && i + 1 < argc) n = std::atol(argv[++i]);
        else profiles.push_back(argv[i]);
    }
    std::printf("%ld calls per measurement in a fresh child (median of 1000-call batches), best of 3 runs;\n"
                "ns/call without -> with the filter\n", n);
    Profile synth = synthetic_profile();
    if (n > 0) report("synthetic (250 rules)", synth, compile_filter(synth), n);
    for (const auto& path : profiles) {
        Profile p;
        std::vector<double> parse;
        for (int i = 0; i < 21; ++i) {
            double t0 = cpu_seconds();
            p = load_profile(path);
            parse.push_back((cpu_seconds() - t0) * 1e3);
        }
        std::vector<double> compile;
        BpfProgram prog;
        for (int i = 0; i < 21; ++i) {
            double t0 = cpu_seconds();
            prog = compile_filter(p);
            compile.push_back((cpu_seconds() - t0) * 1e3);
        }
        std::vector<double> loads;
        for (int i = 0; i < 20; ++i) loads.push_back(load_ms(prog));
        std::string label = path.substr(path.rfind('/') + 1) + " (" + std::to_string(p.rules.size()) + " rules)";
        cache_report(label.c_str(), p, prog);
        if (n > 0) report(label.c_str(), p, prog, n);
        std::printf("%-26s CPU time, median of 21: load_profile %.2f ms, compile_filter %.2f ms, together %.2f ms; "
                    "seccomp load (wall) median %.3f ms\n",
                    label.c_str(), median(parse), median(compile), median(parse) + median(compile), median(loads));
    }
    return 0;
}
