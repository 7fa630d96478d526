// The CLI's command interface and registry: each command file registers one Command.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

namespace kdx::cli {

class Session;

// One subcommand. configure() adds its options to a fresh CLI11 sub-app; run() executes it
// after parsing and returns a process exit code (kdx/exit_codes.hpp). The same objects serve
// the one-shot CLI and the interactive shell, where session already holds the open inputs.
class Command {
 public:
  virtual ~Command() = default;
  virtual const char* name() const = 0;
  virtual const char* help() const = 0;
  virtual void configure(CLI::App& sub) = 0;
  virtual int run(Session& session) = 0;
};

using CommandFactory = std::unique_ptr<Command> (*)();
bool register_command(CommandFactory factory);
const std::vector<CommandFactory>& command_factories();

}  // namespace kdx::cli

#define KDX_REGISTER_COMMAND(Type)                                                    \
  namespace {                                                                          \
  [[maybe_unused]] const bool kdx_registered_##Type = ::kdx::cli::register_command(   \
      []() -> std::unique_ptr<::kdx::cli::Command> { return std::make_unique<Type>(); }); \
  }
