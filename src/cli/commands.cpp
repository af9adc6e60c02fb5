#include "vigil/cli.hpp"

#include <cerrno>
#include <cstring>

#include "vigil/error.hpp"

namespace vigil {

namespace {
std::vector<Command>& registry() {
    static std::vector<Command> all;  // function-local: safe from static initialisation order
    return all;
}
}  // namespace

RegisterCommand::RegisterCommand(const Command& c) { registry().push_back(c); }

const std::vector<Command>& commands() { return registry(); }

const Command* find_command(const std::string& name) {
    for (const auto& c : registry())
        if (name == c.name) return &c;
    return nullptr;
}

void throw_errno(const std::string& context) {
    throw Error(context + ": " + std::strerror(errno));
}

}  // namespace vigil
