// The start-up report of what Landlock enforces, for the operator and the audit trail.
#include "vigil/log.hpp"

#include "vigil/audit.hpp"
#include "vigil/error.hpp"
#include "vigil/landlock.hpp"

namespace vigil {

void report_landlock(const PreparedLandlock& prepared, const std::string& sink,
                     const std::string& format) {
    if (prepared.unenforced().empty())
        log::info("{} (ruleset built in {:.2f} ms)", prepared.summary(), prepared.build_ms());
    else
        log::warn("{}", prepared.summary());
    AuditSink audit(sink, format);
    AuditEvent ev;
    ev.kind = AuditKind::Notice;
    ev.outcome = AuditOutcome::Info;
    ev.rule = "[landlock]";
    ev.decision = prepared.fd() >= 0 ? "enforced" : "not-enforced";
    ev.reason = prepared.audit_text();
    audit.write(ev);
}

}  // namespace vigil
