// Storage for the command registry filled by KDX_REGISTER_COMMAND at static-init time.
#include "command.hpp"

namespace kdx::cli {
namespace {
std::vector<CommandFactory>& registry() {
  static std::vector<CommandFactory> r;
  return r;
}
}  // namespace
bool register_command(CommandFactory factory) {
  registry().push_back(factory);
  return true;
}
const std::vector<CommandFactory>& command_factories() { return registry(); }
}  // namespace kdx::cli
