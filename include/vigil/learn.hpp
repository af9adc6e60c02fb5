// Learn mode: record the syscalls an app makes (through seccomp user notification), then write
// a profile that enforces what was seen, and a human report. Implemented in src/learn.
//
//   Recorder       one entry per notified call: count, times, phase, thread, arguments of interest
//   LearnedStats   the statistics, kept in the written profile's [learned] table so runs merge
//   write_profile  LearnedStats -> TOML text (deterministic: sorted, no timestamps)
//   write_report   SVG chart + HTML page + attack-surface summary
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil::learn {

// The phase a call was made in: before or after the app's ready condition held.
inline constexpr const char* kStartup = "startup";
inline constexpr const char* kReady = "ready";

// Arguments kept per syscall, by kind (a key of SyscallStats::args).
inline constexpr const char* kArgFamily = "family";    // socket/socketpair arg0
inline constexpr const char* kArgType = "type";        // socket arg1 without NONBLOCK/CLOEXEC
inline constexpr const char* kArgSocket = "socket";    // "family/type" pairs (for the rules)
inline constexpr const char* kArgFlags = "flags";      // clone/clone3/unshare namespace-relevant flags
inline constexpr const char* kArgRequest = "request";  // ioctl arg1
inline constexpr const char* kArgOption = "option";    // prctl arg0
inline constexpr const char* kArgPath = "path";        // exec paths, opened paths outside usual places
inline constexpr const char* kArgDest = "dest";        // connect destinations

// Distinct values kept per argument kind; beyond this the set is marked as overflowed
// (and no argument condition is written for it).
inline constexpr size_t kMaxArgValues = 32;

struct SyscallStats {
    uint64_t count = 0;
    double first_ms = 0;  // since the app started (this run only; not written to the profile)
    double last_ms = 0;
    std::set<std::string> phases;
    std::set<std::string> threads;
    std::map<std::string, std::set<std::string>> args;  // kind -> values (numbers as 0x.. hex)
    std::set<std::string> overflow;                     // kinds that hit kMaxArgValues
};

struct LearnedStats {
    std::string mode = "fast";             // "fast" or "exact" (merged: "exact" only if all were)
    uint64_t runs = 0;                     // learning runs merged into these statistics
    bool reached_ready = false;            // some run saw the ready condition hold
    std::vector<std::string> assumed;      // baseline syscalls allowed without being watched (sorted)
    std::map<std::string, SyscallStats> syscalls;
};

// One notified call, decoded from the seccomp notification (registers) plus, for a few
// syscalls, values read from the caller's memory (only recorded, never used to decide).
struct CallInfo {
    int nr = -1;
    uint64_t args[6] = {};
    std::string thread;                  // comm of the calling thread
    std::optional<std::string> path;     // execve/execveat/open*/... path read from memory
    std::optional<std::string> dest;     // connect destination, e.g. "inet:127.0.0.1:8080"
    std::optional<std::string> cwd;      // the caller's working directory, for a relative path
    std::optional<uint64_t> clone3_flags;  // clone_args.flags read from memory
};

// Which memory a call needs read for recording (so the notify loop reads only what matters).
enum class MemoryNeed { None, PathArg0, PathArg1, SockaddrArg1, Clone3Flags };
MemoryNeed memory_need(int nr);

class Recorder {
public:
    explicit Recorder(LearnedStats& stats) : stats_(stats) {}
    void set_phase(const char* phase) { phase_ = phase; }
    const char* phase() const { return phase_; }
    void record(const CallInfo& call, double at_ms);

private:
    LearnedStats& stats_;
    const char* phase_ = kStartup;
};

// Baseline for fast learning: syscalls a busy JVM server makes per request that are harmless
// on their own (measured with `strace -f -c` on a JDK HttpServer under wrk; see bench/README.md).
const std::vector<std::string>& jvm_hot_baseline();

// Fast learning's baseline per runtime: the JVM's, or Node.js's / CPython's (the JVM's plus
// what each calls per request or per file; bench/README.md). `vigil learn` picks it from the
// command's executable (runtime_of_executable: node, nodejs -> Node; python* -> Python;
// anything else, java and the scripts that start it included -> JVM); --baseline overrides.
enum class Runtime { Jvm, Node, Python };
const std::vector<std::string>& hot_baseline(Runtime runtime);
const char* runtime_name(Runtime runtime);  // "jvm", "node", "python"
std::optional<Runtime> runtime_from_name(const std::string& name);
Runtime runtime_of_executable(const std::string& path);

// Counts added, sets unioned; `into` keeps its assumed list merged with `from`'s.
void merge(LearnedStats& into, const LearnedStats& from);

struct WriteOptions {
    std::string unseen = "errno:EPERM";     // default action for syscalls never seen
    std::optional<ReadyCondition> ready;    // written as [phases.ready]; enables startup-only rules
    size_t max_condition_values = 8;        // more distinct values than this: no argument condition
    std::vector<std::string> include;       // written as include = [...]
    std::string copied_tables;              // TOML text of BASE's [process]/[supervise]/[audit]
    std::string command;                    // the learned command line, for the header comment
    bool landlock = true;                   // write a [landlock] section (src/learn/landlock_learn.cpp)
    size_t landlock_fold_siblings = 4;      // this many sibling dirs become their parent (0: never)
};

// The profile as TOML text: valid for `vigil run`/`vigil check`, deterministic for equal stats.
std::string write_profile(const LearnedStats& stats, const WriteOptions& options);

// Reads the [learned] table of a profile written by write_profile (toml11, not load_profile:
// the profile parser treats [learned] as opaque). Returns nullopt when the file has none.
// Throws vigil::Error on a malformed table.
std::optional<LearnedStats> read_learned(const std::string& path);

// Attack-surface numbers for the report.
struct Surface {
    size_t allowed = 0;         // syscalls the written profile allows in some phase
    size_t startup_only = 0;    // of these, allowed only during startup
    size_t kernel_total = 0;    // x86_64 syscalls libseccomp knows
    size_t docker_default = 0;  // syscalls Docker's default profile allows (x86_64, no caps)
};
Surface attack_surface(const LearnedStats& stats, const WriteOptions& options);

// A directory learn writes its results into. Opened before the app starts, and every file
// is written relative to it, so that nothing the app does to the path later (a symlink in
// place of the directory, of the file or of its temporary) can steer where vigil writes.
class OutputDir {
public:
    // Opens DIR (O_NOFOLLOW: its last component must not be a symlink); create: makes it
    // first (0755) when missing. Checks that vigil may create files in it. Throws vigil::Error.
    static OutputDir open(const std::string& dir, bool create);
    OutputDir(OutputDir&& other) noexcept;
    OutputDir& operator=(OutputDir&& other) noexcept;
    ~OutputDir();
    // Replaces DIR/NAME with text: a new file with a random name (O_CREAT | O_EXCL |
    // O_NOFOLLOW), written and synced, then renamed over NAME (which replaces a symlink there
    // rather than following it). Throws vigil::Error naming the file.
    void write_file(const std::string& name, const std::string& text) const;
    const std::string& path() const { return path_; }

private:
    OutputDir(int fd, std::string path) : fd_(fd), path_(std::move(path)) {}
    int fd_ = -1;
    std::string path_;
};

// Writes DIR/syscalls.svg, DIR/report.html and DIR/learned.json (with first/last times).
void write_report(const OutputDir& dir, const LearnedStats& stats, const WriteOptions& options);
std::string render_svg(const LearnedStats& stats);

}  // namespace vigil::learn
