// Pieces of the profile language other modules reuse: actions and argument conditions as
// written in TOML (import-oci, explain, learn produce or read the same strings).
// Implemented in src/profile/syntax.cpp.
#pragma once

#include <optional>
#include <string>
#include <string_view>
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

}  // namespace vigil
