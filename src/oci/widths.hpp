// Private to src/oci: OCI argument tests made safe for arguments the kernel reads as 32 bits.
#pragma once

#include <string>
#include <vector>

#include "vigil/profile.hpp"

namespace vigil {

// WHEN (ANDed conditions of one rule for SYSCALL) as alternative condition lists (ORed) that
// decide on the low 32 bits wherever the kernel reads only those. ALLOWS: the rule's action is
// allow/log; DEFAULT_ALLOWS: so is the profile's default. Unaffected rules come back as is.
std::vector<std::vector<ArgCondition>> expand_for_width(const std::string& syscall,
                                                        const std::vector<ArgCondition>& when, bool allows,
                                                        bool default_allows);

}  // namespace vigil
