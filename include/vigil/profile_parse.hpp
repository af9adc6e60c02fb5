// Pieces of the profile language other modules reuse: actions and argument conditions as
// written in TOML (import-oci, explain, learn produce or read the same strings).
// Implemented in src/profile/syntax.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil {

// "allow", "errno:EPERM", "kill-process", "kill" (= kill-process), "kill-thread", "trap",
// "log", "notify". On failure returns nullopt and sets ERROR (with a suggestion).
std::optional<Action> parse_action(std::string_view text, std::string& error);

// "argN OP VALUE" or "argN & MASK == VALUE"; values are numbers or constants joined by '|'.
std::optional<ArgCondition> parse_condition(std::string_view text, std::string& error);

// A number (decimal, 0x hex, 0 octal) or symbolic constants joined with '|'.
std::optional<uint64_t> parse_value(std::string_view text, std::string& error);

// A capability as profiles and the command line write it: "NET_BIND_SERVICE",
// "CAP_NET_BIND_SERVICE" or lower case -> "NET_BIND_SERVICE"; nullopt for a name libcap-ng does
// not know. The one parser of capability names (profile loader, import-oci --caps).
std::optional<std::string> capability_name(std::string_view written);
// Every capability the kernel headers know, "CHOWN" form, in number order.
const std::vector<std::string>& capability_names();

// The condition written back in the profile language, e.g. "arg0 & 0x7e020000 == 0".
std::string condition_str(const ArgCondition& c);
// The same with the symbolic constants of SYSCALL's argument roles (symbolic_value), as written
// profiles spell it: "arg0 == AF_INET", "arg0 & CLONE_NEWNS|CLONE_NEWUSER == 0".
std::string condition_text(std::string_view syscall, const ArgCondition& c);

// WHEN (ANDed conditions of one rule for SYSCALL) as alternative condition lists (ORed) that
// decide on the low 32 bits wherever the kernel reads only those. ALLOWS: the rule's action is
// allow/log; DEFAULT_ALLOWS: so is the profile's default. Unaffected rules come back as is.
// Used by the profile loader and by import-oci. Implemented in src/profile/widths.cpp.
std::vector<std::vector<ArgCondition>> expand_for_width(const std::string& syscall,
                                                        const std::vector<ArgCondition>& when, bool allows,
                                                        bool default_allows);

// Every low-32-bit value of argument INDEX except VALUES, as masked-equality tests ("argN &
// MASK == V", ORed) that ignore the upper half: a rule set with no overlap for runtimes that
// do not apply deny wins (import/export of OCI profiles).
std::vector<ArgCondition> low32_complement(unsigned index, std::vector<uint64_t> values);

// ---- writing profiles: the one writer of `vigil learn` and `vigil import-oci` ----------------
//
// A draft says what the profile holds; write_profile_text lays it out (header comments,
// include, [seccomp] allow/notify lists, [seccomp.deny], [[seccomp.rule]]s, [notify.X] tables,
// then TAIL as given) with every value quoted and every comment made safe for TOML, whatever
// bytes it came from (app thread names and paths, an OCI file's names).
struct ProfileDraft {
    struct Named {
        std::string name;
        std::string comment;  // "" for none
    };
    struct Denied {
        std::string syscall, action, comment;
    };
    struct Rule {
        std::string syscall, action;
        std::vector<ArgCondition> when;  // written with condition_text
        std::string comment;
    };
    struct Policy {  // one [notify.SYSCALL] table
        std::string syscall, comment;
        std::vector<std::pair<std::string, std::string>> actions;  // "startup" -> "allow", ...
        std::vector<Named> allow;                                  // allow-list entries
        std::vector<std::string> notes;                            // comment lines above `allow`
    };
    std::vector<std::string> header;  // comment lines at the top (without "# ")
    std::vector<std::string> include;
    std::string default_action;
    std::vector<Named> allow, notify;
    std::string notify_note;  // a comment line above `notify = [...]`
    std::vector<Denied> deny;
    std::vector<Rule> rules;
    std::vector<Policy> policies;
    std::string tail;  // TOML text appended as is (sections the caller lays out itself)
};
std::string write_profile_text(const ProfileDraft& draft);

}  // namespace vigil
