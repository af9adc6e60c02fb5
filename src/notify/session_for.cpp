// Which profiles need a notify session, shared by `vigil run` and `vigil up`.
#include "vigil/filter.hpp"
#include "vigil/notify.hpp"

namespace vigil {

std::unique_ptr<NotifySession> notify_session_for(const Profile& profile, bool complain,
                                                  const std::string& audit_sink,
                                                  const std::string& audit_format,
                                                  const std::string& service) {
    if (!profile.has_seccomp) return nullptr;
    NotifyConfig cfg;
    cfg.complain = complain || profile.complain;
    if (profile.notify.empty() && !cfg.complain) return nullptr;
    cfg.audit_sink = audit_sink.empty() ? profile.audit.sink : audit_sink;
    cfg.audit_format = audit_format.empty() ? profile.audit.format : audit_format;
    cfg.service = service;
    const Profile* p = &profile;
    cfg.evaluate = [p](int nr, const uint64_t args[6]) { return evaluate(*p, nr, args); };
    return std::make_unique<NotifySession>(profile, std::move(cfg));
}

}  // namespace vigil
