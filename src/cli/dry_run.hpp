// Private to src/cli: `vigil run --dry-run`.
#pragma once

#include <string>

#include "vigil/launch.hpp"
#include "vigil/profile.hpp"

namespace vigil {

// Prints what PLAN would apply (user, capabilities, filter size, notified syscalls, Landlock
// rights, audit sink) without starting anything; returns 0. Throws vigil::Error where the run
// would fail before the app starts (an unknown user, a Landlock minimum the kernel lacks).
int print_dry_run(const LaunchPlan& plan, const Profile* profile, const std::string& profile_path);

}  // namespace vigil
