// Builds the CLI11 app from the command registry; shared by main() and the interactive shell.
#include "dispatch.hpp"

#include <memory>

#include <CLI/CLI.hpp>

#include "command.hpp"
#include "kdx/exit_codes.hpp"

namespace kdx::cli {

int dispatch(const std::vector<std::string>& args, Session& session, bool top_level) {
  CLI::App app{"kdx: offline post-mortem analyzer for Linux kernel crash dumps", "kdx"};
  if (top_level) app.set_version_flag("--version", std::string("kdx ") + KDX_VERSION);
  app.require_subcommand(1);
  std::vector<std::unique_ptr<Command>> commands;
  std::vector<std::pair<CLI::App*, Command*>> subs;
  for (auto factory : command_factories()) {
    commands.push_back(factory());
    auto* sub = app.add_subcommand(commands.back()->name(), commands.back()->help());
    commands.back()->configure(*sub);
    subs.emplace_back(sub, commands.back().get());
  }
  // CLI11 parses a reversed vector (last argument first).
  std::vector<std::string> rev(args.rbegin(), args.rend());
  try {
    app.parse(rev);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? kExitOk : kExitUsage;
  }
  for (auto& [sub, cmd] : subs)
    if (sub->parsed()) return cmd->run(session);
  return kExitUsage;
}

std::vector<std::string> split_words(const std::string& line) {
  std::vector<std::string> out;
  std::string cur;
  bool in_word = false;
  char quote = 0;
  for (size_t i = 0; i < line.size(); i++) {
    char c = line[i];
    if (quote) {
      if (c == quote) quote = 0;
      else cur += c;
    } else if (c == '\'' || c == '"') {
      quote = c;
      in_word = true;
    } else if (c == '\\' && i + 1 < line.size()) {
      cur += line[++i];
      in_word = true;
    } else if (c == ' ' || c == '\t') {
      if (in_word) out.push_back(cur);
      cur.clear();
      in_word = false;
    } else {
      cur += c;
      in_word = true;
    }
  }
  if (in_word) out.push_back(cur);
  return out;
}

}  // namespace kdx::cli
