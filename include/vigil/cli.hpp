// Sub-command registry. Each module registers its own command from a static initialiser:
//   static const vigil::RegisterCommand reg{{"check", "validate a profile", usage, &check_main}};
// so a reader finds a command's code next to the module it belongs to.
#pragma once

#include <string>
#include <vector>

namespace vigil {

struct Command {
    const char* name;
    const char* summary;  // one line for `vigil --help`
    const char* usage;    // full text for `vigil NAME --help`
    int (*main)(const std::vector<std::string>& args);  // args after the command name
};

struct RegisterCommand {
    explicit RegisterCommand(const Command& c);
};

const std::vector<Command>& commands();
const Command* find_command(const std::string& name);

}  // namespace vigil
