// Run-time decisions for the syscalls a profile marks `notify`: per-phase actions, egress
// allow-lists for connect/bind/sendto/sendmsg/sendmmsg (allowed calls are performed by vigil on
// copies), path allow-lists for exec/open (deny only; the kernel decides what matches), complain
// mode, and the audit trail. Implemented in src/notify. The run command builds a NotifySession and hands
// it to supervise() as its SessionHooks.
#pragma once

#include <sys/socket.h>

#include <atomic>
#include <cstdint>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "vigil/audit.hpp"
#include "vigil/filter.hpp"
#include "vigil/phases.hpp"
#include "vigil/profile.hpp"
#include "vigil/seccomp_notify.hpp"
#include "vigil/supervise.hpp"

namespace vigil {

// --- the decision engine (src/notify/decide.cpp): pure, no syscalls ---

// A socket address copied out of the app's memory.
struct SockAddr {
    sockaddr_storage ss{};
    socklen_t len = 0;
    const sockaddr* sa() const { return reinterpret_cast<const sockaddr*>(&ss); }
};

// The entry of RULES that admits ADDR, or nullptr. Abstract unix names are compared on their
// full length (the bytes after the leading NUL up to LEN); unix paths must be absolute and
// normalised (no "//", "/./", "/../") to match a glob.
const AllowEntry* match_address(const std::vector<AllowEntry>& rules, const SockAddr& addr);
// The entry of GLOBS that matches PATH (absolute, normalised paths only), or nullptr.
const AllowEntry* match_path(const std::vector<AllowEntry>& globs, const std::string& path);
// /proc/self, /proc/thread-self, /dev/fd and what is under them: names that mean "the caller's
// own process", refused by every path allow-list whoever would resolve them.
bool self_referring_path(const std::string& path);
// "127.0.0.1:8080", "[::1]:5432", "unix:/run/x.sock", "unix:@abstract", "family 17".
std::string format_sockaddr(const sockaddr* addr, socklen_t len);

// Payload vigil copies and sends for the app at most (per call, all messages together).
inline constexpr size_t kMaxEmulatedPayload = 64 * 1024;
// sendmmsg entries vigil copies at most per call (the rest is left to the app's next call).
inline constexpr size_t kMaxEmulatedMessages = 64;

// One message copied for sending on the app's behalf (sendto, sendmsg, an entry of sendmmsg).
struct CopiedMessage {
    bool readable = false;          // the msghdr, name and payload could all be read
    std::optional<SockAddr> dest;   // msg_name / sendto's destination; nothing: none given
    bool dest_too_long = false;     // longer than sockaddr_storage (the kernel says EINVAL)
    std::vector<char> payload;      // the iovecs, concatenated
    bool truncated = false;         // the app's payload is longer than what was copied
    bool has_control = false;       // msg_control given (SCM_RIGHTS ...): never sent for the app
    uint64_t len_addr = 0;          // sendmmsg: where the kernel would store msg_len
};

// State of the app's socket, through vigil's copy (pidfd_getfd).
struct SocketFacts {
    enum class Copy { NotTried, Copied, Refused, NoSuchFd };
    Copy copy = Copy::NotTried;
    int error = 0;           // errno of a failed copy
    int family = 0;          // SO_DOMAIN
    int type = 0;            // SO_TYPE
    int protocol = 0;        // SO_PROTOCOL
    bool connected = false;  // getpeername succeeded
    // Socket custody (no CAP_SYS_PTRACE): the copy is the socket vigil made for the app;
    // custody_miss: the fd is a socket vigil did not make (accepted, inherited) or let go of.
    bool custody_miss = false;
    uint64_t inode = 0;
};

// What the kernel holds for the call: the registers, and vigil's own state. Only these can
// justify a Continue.
struct RegisterFacts {
    std::string syscall;
    int nr = -1;
    Phase phase = Phase::Startup;
    uint64_t args[6] = {};
};

// What vigil read from the app after the notification: its memory and its fd table. Another
// thread of the app can change all of it right after the read, so these facts may only make
// vigil deny, or perform the call itself on the copies (emulation).
struct AppFacts {
    bool path_read = false;
    std::string path;
    bool address_read = false;     // connect/bind's sockaddr
    bool address_too_long = false;
    SockAddr address;
    std::vector<CopiedMessage> messages;  // sendto (with a destination), sendmsg, sendmmsg
    bool more_messages = false;           // sendmmsg: entries beyond what was copied
    SocketFacts socket;
};

struct CallFacts {
    RegisterFacts regs;
    AppFacts app;
};

class RegisterDecider;

// Let the call run in the kernel. Only RegisterDecider makes one, and none of its functions
// takes app facts: a Continue can never rest on what the app can change after the check.
class Continue {
public:
    const std::string& reason() const { return reason_; }

private:
    explicit Continue(std::string reason) : reason_(std::move(reason)) {}
    friend class RegisterDecider;
    std::string reason_;
};

struct Deny {
    Action action;
    std::string reason;
    bool copy_refused = false;  // denied because vigil could not copy the app's socket
};

// vigil performs the call itself, on copied arguments, with its copy of the app's socket;
// Socket (socket custody): vigil makes the socket the registers ask for and installs it.
struct Emulate {
    enum class Op { Connect, Bind, Send, Socket };
    Op op = Op::Connect;
    SockAddr address;                     // Connect, Bind
    std::vector<CopiedMessage> messages;  // Send: one (sendto, sendmsg) or several (sendmmsg)
    bool multi = false;                   // sendmmsg: answer the count, store each msg_len
    int flags = 0;                        // MSG_* from the registers
    int domain = 0, type = 0, protocol = 0;  // Socket, from the registers
    std::string reason;
};

using Decision = std::variant<Continue, Deny, Emulate>;

// The decision on registers and phase alone, when they suffice (a phase action, no allow-list,
// sendto without a destination, a path allow-list with the kernel enforcing paths...);
// nothing when app facts are needed.
std::optional<Decision> decide_on_registers(const NotifyPolicy& policy, const RegisterFacts& regs);
// The whole decision. Pure: the caller gathered the facts (memory, socket state) first.
Decision decide(const NotifyPolicy& policy, const CallFacts& facts);

// The profile's static decision for a call (the filter module's evaluate()); used in complain
// mode to say which rule would have denied a call.
using EvaluateFn = std::function<Verdict(int nr, const uint64_t args[6])>;

struct NotifyConfig {
    bool complain = false;
    std::string audit_sink = "stderr";  // profile [audit] or --audit
    std::string audit_format = "json";
    EvaluateFn evaluate;                // required when complain is set
    std::string service;                // `vigil up`: the service's name, on every audit line
};

class NotifySession : public SessionHooks {
public:
    // Opens the audit sink (before vigil gives up root). Throws vigil::Error on an unusable sink.
    NotifySession(const Profile& profile, NotifyConfig config);
    ~NotifySession() override;

    void started(EventLoop& loop, const SpawnResult& spawned) override;
    void phase_changed(Phase phase, const std::string& reason) override;
    void app_exited(int wait_status) override;
    void restarting() override;
    void finished() override;
    AuditSink* audit_sink() override;

    Phase phase() const;
    AuditSink& audit() { return *audit_; }

    struct Impl;  // the decision engine (src/notify/notify_session.cpp)

private:
    std::unique_ptr<Impl> impl_;
    std::unique_ptr<AuditSink> audit_;
};

// The session a profile needs for run-time decisions (notify rules, or complain mode), or null
// when its filter decides alone. Empty audit_sink/audit_format keep the profile's. The audit
// sink is opened here, before the app exists to put anything in its path.
std::unique_ptr<NotifySession> notify_session_for(const Profile& profile, bool complain,
                                                  const std::string& audit_sink = "",
                                                  const std::string& audit_format = "",
                                                  const std::string& service = "");

}  // namespace vigil
