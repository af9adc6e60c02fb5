// Learning the [landlock] section: which directories the app reads, writes and executes from,
// and which TCP ports it binds and connects to.
//
// Opened paths are generalised when they are recorded, to directories a reviewer would accept
// (the table in area_of below):
//   - system software (/usr/lib, /lib, /lib64, /usr/lib64, /usr/local/lib, /opt/NAME): read and
//     execute, as a whole: the JVM and the shared libraries live there, and the kernel executes
//     the dynamic loader of every program;
//   - /usr/share, /etc: read; /proc and /sys: read, as a whole (per-pid paths change each run);
//   - /tmp and /dev/shm: as a whole, read or read-write as seen;
//   - a device under /dev: that file only;
//   - anything else: the directory the file is in (the app's config dir read-only, its data dir
//     read-write), or the directory itself when it was opened as one;
//   - never '/' for writing: a file written directly under '/' is granted alone.
// At writing time sibling directories are folded into their parent when there are at least
// WriteOptions::landlock_fold_siblings of them (tunable; 0 = never), and a directory already
// covered by an ancestor with the same or more rights is dropped.
// Relative paths are resolved against the caller's working directory at the time of the call
// (/proc/TID/cwd, read by the learn session); paths relative to another directory fd are not
// recorded.
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <cstdio>
#include <filesystem>
#include <map>
#include <sstream>

#include "learn_internal.hpp"
#include "vigil/text.hpp"
#include "vigil/landlock.hpp"
#include "vigil/learn.hpp"

namespace vigil::learn {

namespace {

namespace fs = std::filesystem;

constexpr const char* kRead = "landlock_read";
constexpr const char* kWrite = "landlock_write";
constexpr const char* kExec = "landlock_exec";     // read + execute
constexpr const char* kBind = "landlock_bind";     // TCP/UDP ports (bind does not say which)
constexpr const char* kConnect = "landlock_connect";
constexpr const char* kAbstract = "landlock_abstract";  // abstract unix names connected to

// Generalised areas are few; the cap only guards against an app opening files in endless
// distinct directories (then the set is marked overflowed and the writer says so).
constexpr size_t kMaxAreas = 256;

void add(SyscallStats& s, const char* kind, const std::string& value) {
    auto& set = s.args[kind];
    if (set.count(value)) return;
    if (set.size() >= kMaxAreas) {
        s.overflow.insert(kind);
        return;
    }
    set.insert(value);
}

bool under(const std::string& path, const std::string& root) {
    return path == root || (path.size() > root.size() && path.compare(0, root.size(), root) == 0 &&
                            path[root.size()] == '/');
}

struct Area {
    std::string path;
    const char* kind;
};

// See the file comment. PATH is absolute and normal; DIRECTORY: it was opened as a directory.
Area area_of(const std::string& path, bool write, bool directory) {
    for (const char* root : {"/usr/lib", "/usr/lib64", "/usr/local/lib", "/lib", "/lib64"})
        if (under(path, root)) return {root, kExec};
    if (under(path, "/opt")) {
        size_t next = path.find('/', 5);
        return {path.substr(0, next), kExec};
    }
    for (const char* root : {"/usr/share", "/etc", "/proc", "/sys"})
        if (under(path, root)) return {root, kRead};
    for (const char* root : {"/tmp", "/dev/shm", "/var/tmp"})
        if (under(path, root)) return {root, write ? kWrite : kRead};
    if (under(path, "/dev")) return {path, write ? kWrite : kRead};
    std::string dir = directory ? path : fs::path(path).parent_path().string();
    if (dir.empty() || dir == "/") dir = path;  // never the whole filesystem
    return {dir, write ? kWrite : kRead};
}

// CWD: the caller's working directory when the call was made (read by the learn session);
// without it vigil's own, which the app inherited.
std::optional<std::string> absolute_path(const std::string& raw, long dirfd,
                                         const std::optional<std::string>& cwd = std::nullopt) {
    if (raw.empty()) return std::nullopt;
    fs::path p(raw);
    if (p.is_relative()) {
        if (dirfd != AT_FDCWD) return std::nullopt;
        std::error_code ec;
        fs::path dir = cwd ? fs::path(*cwd) : fs::current_path(ec);
        if (ec) return std::nullopt;
        p = dir / p;
    }
    std::string norm = p.lexically_normal().string();
    while (norm.size() > 1 && norm.back() == '/') norm.pop_back();
    return norm;
}

std::optional<int> port_of(const std::string& dest) {
    if (dest.starts_with("unix:")) return std::nullopt;
    size_t colon = dest.rfind(':');
    if (colon == std::string::npos) return std::nullopt;
    auto n = parse_number(dest.substr(colon + 1));
    if (!n || *n == 0 || *n > 65535) return std::nullopt;
    return static_cast<int>(*n);
}

}  // namespace

std::set<int> bound_ports(const LearnedStats& stats) {
    std::set<int> out;
    auto it = stats.syscalls.find("bind");
    if (it == stats.syscalls.end()) return out;
    auto ports = it->second.args.find(kBind);
    if (ports == it->second.args.end()) return out;
    for (const auto& v : ports->second)
        if (auto n = parse_number(v)) out.insert(static_cast<int>(*n));
    return out;
}

std::pair<int, int> ephemeral_ports() {
    int lo = 32768, hi = 60999;
    if (FILE* f = std::fopen("/proc/sys/net/ipv4/ip_local_port_range", "re")) {
        if (std::fscanf(f, "%d %d", &lo, &hi) != 2) lo = 32768, hi = 60999;
        std::fclose(f);
    }
    return {lo, hi};
}

void record_landlock(SyscallStats& s, const CallInfo& c) {
    long dirfd = AT_FDCWD;
    uint64_t flags = 0;
    switch (c.nr) {
        case SYS_open: flags = c.args[1]; break;
        case SYS_creat: flags = O_WRONLY | O_CREAT; break;
        case SYS_openat: dirfd = static_cast<int>(c.args[0]); flags = c.args[2]; break;
        case SYS_openat2: dirfd = static_cast<int>(c.args[0]); break;  // flags are in memory: read
        case SYS_execve: break;
        case SYS_execveat: dirfd = static_cast<int>(c.args[0]); break;
        case SYS_bind:
        case SYS_connect:
            if (!c.dest) return;
            if (auto port = port_of(*c.dest)) add(s, c.nr == SYS_bind ? kBind : kConnect, std::to_string(*port));
            else if (c.nr == SYS_connect && c.dest->starts_with("unix:@")) add(s, kAbstract, c.dest->substr(5));
            return;
        default: return;
    }
    if (!c.path) return;
    auto path = absolute_path(*c.path, dirfd, c.cwd);
    if (!path) return;
    if (c.nr == SYS_execve || c.nr == SYS_execveat) {
        add(s, kExec, *path);
        return;
    }
    bool write = (flags & O_ACCMODE) != O_RDONLY || (flags & (O_CREAT | O_TRUNC));
    Area a = area_of(*path, write, flags & O_DIRECTORY);
    add(s, a.kind, a.path);
}

namespace {

// The executable vigil ran first (its execve is vigil's own and never notified): PATH lookup
// like the launch does.
std::optional<std::string> command_path(const std::string& command) {
    std::string name = command.substr(0, command.find(' '));
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos) return absolute_path(name, AT_FDCWD);
    const char* env = std::getenv("PATH");
    std::istringstream dirs(env && *env ? env : "/usr/local/bin:/usr/bin:/bin");
    for (std::string dir; std::getline(dirs, dir, ':');) {
        std::string candidate = (dir.empty() ? "." : dir) + "/" + name;
        if (access(candidate.c_str(), X_OK) == 0) return absolute_path(candidate, AT_FDCWD);
    }
    return std::nullopt;
}

enum Rights : unsigned { R = 1, W = 2, X = 4 };

struct Grant {
    unsigned rights = 0;
    std::string why;
};

void fold_siblings(std::map<std::string, Grant>& grants, size_t threshold) {
    if (threshold == 0) return;
    std::map<std::string, std::vector<std::string>> by_parent;
    for (const auto& [path, g] : grants) {
        std::string parent = fs::path(path).parent_path().string();
        if (parent.size() > 1 && parent.find('/', 1) != std::string::npos) by_parent[parent].push_back(path);
    }
    for (const auto& [parent, children] : by_parent) {
        if (children.size() < threshold) continue;
        Grant folded{0, std::to_string(children.size()) + " sibling directories folded"};
        for (const auto& c : children) {
            folded.rights |= grants[c].rights;
            grants.erase(c);
        }
        grants[parent].rights |= folded.rights;
        grants[parent].why = folded.why;
    }
}

// A grant inside an ancestor's with at least its rights adds nothing.
void drop_covered(std::map<std::string, Grant>& grants) {
    for (auto it = grants.begin(); it != grants.end();) {
        bool covered = false;
        for (fs::path p = fs::path(it->first).parent_path(); !p.empty() && p != p.parent_path(); p = p.parent_path()) {
            auto anc = grants.find(p.string());
            if (anc != grants.end() && (anc->second.rights & it->second.rights) == it->second.rights) covered = true;
        }
        it = covered ? grants.erase(it) : std::next(it);
    }
}

void write_list(std::ostringstream& out, const char* key, const std::map<std::string, Grant>& grants, unsigned pick) {
    out << key << " = [";
    bool any = false;
    for (const auto& [path, g] : grants) {
        if (pick == R ? g.rights != R : !(g.rights & pick)) continue;
        out << (any ? "" : "\n") << "    " << text::toml_string(path) << ",  # " << text::toml_comment(g.why) << "\n";
        any = true;
    }
    out << "]\n";
}

}  // namespace

std::string write_landlock_section(const LearnedStats& stats, const WriteOptions& options) {
    if (!options.landlock) return "";
    std::map<std::string, Grant> grants;
    std::set<int> bind, connect;
    std::set<std::string> overflowed;
    bool abstract = false;
    auto grant = [&](const std::string& path, unsigned rights, const std::string& why) {
        Grant& g = grants[path];
        if (g.why.empty() || (rights & ~g.rights)) g.why = why;  // the reason for the widest right
        g.rights |= rights;
    };
    for (const auto& [name, s] : stats.syscalls) {
        for (const auto& [kind, values] : s.args) {
            if (s.overflow.count(kind)) overflowed.insert(name);
            for (const auto& v : values) {
                if (kind == kRead) grant(v, R, "read by " + name);
                else if (kind == kWrite) grant(v, R | W, "written by " + name);
                else if (kind == kExec) grant(v, R | X, name == "execve" || name == "execveat" ? "executed" : "libraries, read by " + name);
                else if (kind == kBind) bind.insert(std::stoi(v));
                else if (kind == kConnect) connect.insert(std::stoi(v));
                else if (kind == kAbstract) abstract = true;
            }
        }
    }
    if (auto cmd = command_path(options.command)) grant(*cmd, R | X, "the command vigil starts");
    // The kernel also executes each program's dynamic loader or script interpreter.
    std::vector<std::string> executed;
    for (const auto& [path, g] : grants)
        if (g.rights & X) executed.push_back(path);
    for (const auto& path : executed)
        if (auto interp = exec_interpreter(path)) grant(*interp, R | X, "interpreter of " + path);
    for (const char* lib : {"/lib", "/lib64", "/usr/lib", "/usr/lib64"}) {
        struct stat st {};
        if (lstat(lib, &st) == 0 && S_ISDIR(st.st_mode)) grant(lib, R | X, "shared libraries");
    }
    fold_siblings(grants, options.landlock_fold_siblings);
    drop_covered(grants);

    std::ostringstream out;
    out << "\n# Objects the kernel (Landlock) confines the app to, generalised from what the run opened:\n"
           "# system software read+execute, /etc /usr/share /proc /sys read, /tmp as seen, the app's\n"
           "# own files by directory (read-only when only read, read-write when written). Review:\n"
           "# anything not listed is refused by the kernel, for every path the app could name.\n";
    if (!overflowed.empty())
        out << "# Too many distinct directories were seen to list them all: review before use.\n";
    out << "[landlock]\n";
    write_list(out, "read", grants, R);
    write_list(out, "write", grants, W);
    write_list(out, "execute", grants, X);
    // A grant with write and execute is listed in both (write implies read, execute too).
    auto ports = [&](const char* key, const std::set<int>& set, const char* what) {
        out << key << " = [";
        bool first = true;
        for (int p : set) out << (first ? "" : ", ") << p, first = false;
        out << "]  # " << what << "\n";
    };
    ports("bind_tcp", bind, "ports the run bound (TCP or UDP: bind does not say; only TCP is confined)");
    // A port the kernel assigned at run time (a peer bound port 0) differs on the next run, and
    // Landlock has no port ranges: confining connect would refuse it then.
    auto [eph_lo, eph_hi] = ephemeral_ports();
    std::set<int> ephemeral;
    for (int p : connect)
        if (p >= eph_lo && p <= eph_hi && !bind.count(p)) ephemeral.insert(p);
    out << "# TCP connects: the kernel refuses every port not listed, at any address; the address is\n"
           "# [notify.connect]'s to decide, so the residual race of that decision (an app thread changing\n"
           "# the address after vigil's check) is bounded to these ports.\n";
    if (ephemeral.empty()) {
        ports("connect_tcp", connect, "ports the run connected to");
    } else {
        out << "# Not confined: the run connected to port " << *ephemeral.begin() << " in the kernel's ephemeral range ("
            << eph_lo << "-" << eph_hi << "),\n# assigned at run time; Landlock has no port ranges. [notify.connect] alone decides.\n# ";
        ports("connect_tcp", connect, "ports the run connected to");
    }
    out << "# UDP has no Landlock rule: UDP sockets are allowed by the [[seccomp.rule]]s for socket, and\n"
           "# their destinations (connect, sendto, sendmsg) are decided by [notify.connect]; vigil sends\n"
           "# for the app on a copy of its socket, and denies when it cannot copy it (no CAP_SYS_PTRACE).\n";
    out << "scope = [\"signal\"" << (abstract ? "" : ", \"abstract_unix\"") << "]  # no signals out of the app"
        << (abstract ? " (abstract unix sockets were used: not scoped)" : "; no abstract unix sockets outside it") << "\n";
    return out.str();
}

}  // namespace vigil::learn
