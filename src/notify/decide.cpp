// decide(): the notify decision as a pure function of the policy and the gathered facts.
//
// Safe by construction: a Continue lets the kernel run the call with whatever the app's memory
// and fd table hold *then*, so it may only rest on what the app cannot change after the check:
// the registers, the phase, the policy. Continue is built only by RegisterDecider, and none of
// its functions receives app facts; the functions that read app facts return PeerDecision or
// std::optional<Deny>, which cannot hold a Continue. On app facts vigil either denies or
// performs the call itself on its copies (Emulate).
#include <sys/socket.h>

#include <netinet/in.h>

#include <type_traits>

#include <fmt/format.h>

#include "vigil/notify.hpp"
#include "vigil/syscalls.hpp"

namespace vigil {

namespace {

bool permissive(const Action& a) { return a.kind == ActionKind::Allow || a.kind == ActionKind::Log; }

using PeerDecision = std::variant<Deny, Emulate>;
static_assert(!std::is_constructible_v<PeerDecision, Continue>,
              "a decision on app facts must never be able to continue the call");
static_assert(!std::is_constructible_v<std::optional<Deny>, Continue>);

Deny deny(const NotifyPolicy& p, std::string reason) { return Deny{p.otherwise, std::move(reason)}; }
Deny deny_errno(int e, std::string reason) { return Deny{Action{ActionKind::Errno, e}, std::move(reason)}; }

std::string list_name(const NotifyPolicy& p) {
    return p.derived_from.empty() ? "notify." + p.syscall + ".allow"
                                  : p.derived_from + ".allow (applied to " + p.syscall + ")";
}

// Path allow-lists only ever object.
std::optional<Deny> check_path(const NotifyPolicy& p, const AppFacts& f) {
    if (!f.path_read) return deny(p, "cannot read the path from the caller's memory");
    if (self_referring_path(f.path))
        return deny(p, "the path names the caller's own process (/proc/self, /proc/thread-self, "
                       "/dev/fd): refused by every path allow-list");
    if (!match_path(p.allow, f.path)) return deny(p, "path matches no entry of " + list_name(p));
    return std::nullopt;
}

// Whether the socket ignores a destination given with the message: a connected TCP stream
// without MSG_FASTOPEN (a connected unix stream answers EISCONN to one, which the kernel says
// on vigil's copy just as well).
bool ignores_destination(const SocketFacts& s, int flags) {
    return s.copy == SocketFacts::Copy::Copied && s.type == SOCK_STREAM && s.connected &&
           (s.family == AF_INET || s.family == AF_INET6) && s.protocol == IPPROTO_TCP &&
           !(flags & MSG_FASTOPEN);
}

std::optional<Deny> socket_problem(const NotifyPolicy& p, const SocketFacts& s) {
    switch (s.copy) {
        case SocketFacts::Copy::Copied: return std::nullopt;
        case SocketFacts::Copy::NoSuchFd:
            return deny_errno(s.error, "no such socket in the caller");
        case SocketFacts::Copy::Refused: {
            std::string which = s.custody_miss ? "the socket is not one vigil made for the app (accepted, "
                                                 "inherited, or let go of once connected or idle), and "
                                               : "";
            Deny d = deny(p, "allowed, but " + which + "vigil cannot copy the app's socket to perform the "
                             "call itself (pidfd_getfd: " + std::string(strerrorname_np(s.error) ?: "?") +
                             "), and it never lets the call through on a racy read");
            d.copy_refused = true;
            return d;
        }
        case SocketFacts::Copy::NotTried: break;
    }
    return deny(p, "the app's socket was not examined");
}

PeerDecision decide_connect(const NotifyPolicy& p, const RegisterFacts& r, const AppFacts& f) {
    if (f.address_too_long) return deny_errno(EINVAL, "address longer than sockaddr_storage");
    if (!f.address_read) return deny(p, "cannot read the address from the caller's memory");
    const AllowEntry* m = match_address(p.allow, f.address);
    if (!m)
        return deny(p, "destination " + format_sockaddr(f.address.sa(), f.address.len) +
                           " matches no entry of " + list_name(p));
    if (auto problem = socket_problem(p, f.socket)) return *problem;
    Emulate e;
    e.op = r.syscall == "bind" ? Emulate::Op::Bind : Emulate::Op::Connect;
    e.address = f.address;
    e.reason = "matches " + m->text + " (" + m->where.str() + ")";
    return e;
}

PeerDecision decide_send(const NotifyPolicy& p, const RegisterFacts& r, const AppFacts& f) {
    auto flags_at = arg_index(r.nr, ArgRole::MsgFlags);
    int flags = flags_at ? static_cast<int>(r.args[*flags_at]) : 0;
    bool stream = f.socket.type == SOCK_STREAM;
    bool ignore_dest = ignores_destination(f.socket, flags);
    Emulate e;
    e.op = Emulate::Op::Send;
    e.multi = arg_index(r.nr, ArgRole::Mmsghdr).has_value();
    e.flags = flags;
    std::string matched;
    for (size_t i = 0; i < f.messages.size(); ++i) {
        const CopiedMessage& m = f.messages[i];
        std::optional<Deny> problem;
        if (!m.readable) problem = deny_errno(EFAULT, "cannot read the message from the caller's memory");
        else if (m.has_control)
            problem = deny_errno(EOPNOTSUPP, "control messages (msg_control) are never sent on the "
                                             "app's behalf");
        else if (m.dest_too_long) problem = deny_errno(EINVAL, "address longer than sockaddr_storage");
        else if (m.truncated && (!stream || i > 0))
            problem = deny_errno(EMSGSIZE, fmt::format("payload above the {} bytes vigil sends "
                                                       "for the app", kMaxEmulatedPayload));
        CopiedMessage copy = m;
        if (!problem && m.dest && ignore_dest) {
            copy.dest.reset();  // the kernel ignores it on this socket; never pass it on
        } else if (!problem && m.dest) {
            const AllowEntry* hit = match_address(p.allow, *m.dest);
            if (!hit)
                problem = deny(p, "destination " + format_sockaddr(m.dest->sa(), m.dest->len) +
                                      " matches no entry of " + list_name(p));
            else if (matched.empty())
                matched = hit->text + " (" + hit->where.str() + ")";
        }
        if (problem) {
            if (i == 0) return *problem;
            break;  // send what came before; the app's next call meets the problem
        }
        e.messages.push_back(std::move(copy));
    }
    if (e.messages.empty()) return deny_errno(EINVAL, "no message to send");
    if (auto problem = socket_problem(p, f.socket)) return *problem;
    e.reason = matched.empty() ? "no destination given: sent to the socket's connected peer"
                               : "matches " + matched;
    return e;
}

}  // namespace

// The only maker of Continue. Every function here sees the registers and the policy, never
// anything read from the app.
class RegisterDecider {
public:
    static std::optional<Decision> decide(const NotifyPolicy& p, const RegisterFacts& r) {
        const char* phase = phase_name(r.phase);
        auto by_phase = p.by_phase.find(phase);
        if (by_phase != p.by_phase.end() && !permissive(by_phase->second))
            return Deny{by_phase->second, "notify." + p.syscall + "." + phase};
        if (p.allow.empty()) {
            // A notified syscall nothing allows in this phase is denied, never silently allowed.
            if (by_phase == p.by_phase.end())
                return deny(p, std::string("no entry for phase ") + phase + " and no allow-list: otherwise");
            return Continue(std::string("allowed in phase ") + phase);
        }
        switch (allow_list_kind(p.syscall)) {
            case AllowListKind::Path: return std::nullopt;  // deny on a mismatch first
            case AllowListKind::Address: {
                auto dest = arg_index(r.nr, ArgRole::Sockaddr);
                bool send_call = arg_index(r.nr, ArgRole::Buffer).has_value();
                if (send_call && dest && r.args[*dest] == 0)
                    return Continue("no destination address: the socket's connected peer");
                return std::nullopt;
            }
            case AllowListKind::None: break;
        }
        return deny(p, "an allow-list applies only to exec, open, connect, bind and the send calls");
    }

    // A path allow-list found nothing to object to. The kernel must still decide the object:
    // only a [landlock] ruleset covering the same paths lets vigil continue.
    static Decision path_without_objection(const NotifyPolicy& p) {
        if (p.kernel_enforced)
            return Continue("path allowed by " + list_name(p) + "; the kernel ([landlock]) decides the object");
        return deny(p, "path matches " + list_name(p) + ", but vigil never opens or execs for the "
                       "app and a path it read can change before the kernel resolves it: allow it "
                       "with a [landlock] section covering the same paths");
    }
};

std::optional<Decision> decide_on_registers(const NotifyPolicy& policy, const RegisterFacts& regs) {
    return RegisterDecider::decide(policy, regs);
}

Decision decide(const NotifyPolicy& p, const CallFacts& facts) {
    if (auto d = RegisterDecider::decide(p, facts.regs)) return *d;
    auto as_decision = [](PeerDecision d) -> Decision {
        return std::visit([](auto&& v) -> Decision { return std::move(v); }, std::move(d));
    };
    switch (allow_list_kind(p.syscall)) {
        case AllowListKind::Path:
            if (auto objection = check_path(p, facts.app)) return *objection;
            return RegisterDecider::path_without_objection(p);
        case AllowListKind::Address:
            if (arg_index(facts.regs.nr, ArgRole::SockaddrLen) && !arg_index(facts.regs.nr, ArgRole::Buffer))
                return as_decision(decide_connect(p, facts.regs, facts.app));
            return as_decision(decide_send(p, facts.regs, facts.app));
        case AllowListKind::None: break;
    }
    return deny(p, "an allow-list applies only to exec, open, connect, bind and the send calls");
}

}  // namespace vigil
