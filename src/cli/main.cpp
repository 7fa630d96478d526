// kdx entry point: builds the CLI11 app from the command registry and runs one command.
#include <cstdio>
#include <memory>
#include <vector>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

int main(int argc, char** argv) {
  CLI::App app{"kdx: offline post-mortem analyzer for Linux kernel crash dumps", "kdx"};
  app.set_version_flag("--version", std::string("kdx ") + KDX_VERSION);
  app.require_subcommand(1);
  kdx::cli::Session session;
  std::vector<std::unique_ptr<kdx::cli::Command>> commands;
  std::vector<std::pair<CLI::App*, kdx::cli::Command*>> subs;
  for (auto factory : kdx::cli::command_factories()) {
    commands.push_back(factory());
    auto* sub = app.add_subcommand(commands.back()->name(), commands.back()->help());
    commands.back()->configure(*sub);
    subs.emplace_back(sub, commands.back().get());
  }
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kdx::kExitOk : kdx::kExitUsage;
  }
  for (auto& [sub, cmd] : subs) {
    if (sub->parsed()) return cmd->run(session);
  }
  return kdx::kExitUsage;
}
