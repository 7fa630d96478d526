// `kdx shell FILES...`: an interactive prompt (libedit) running kdx commands on inputs opened once.
#include <editline/readline.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include <fmt/format.h>

#include "command.hpp"
#include "dispatch.hpp"
#include "kdx/exit_codes.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

// Runs `words` with stdout sent into `pipeline` (crash's `cmd | grep x`).
int run_piped(const std::vector<std::string>& words, const std::string& pipeline, Session& session) {
  fflush(stdout);
  FILE* p = popen(pipeline.c_str(), "w");
  if (!p) {
    fmt::print(stderr, "kdx: cannot run '{}'\n", pipeline);
    return kExitUsage;
  }
  int saved = dup(STDOUT_FILENO);
  dup2(fileno(p), STDOUT_FILENO);
  int rc = dispatch(words, session, false);
  fflush(stdout);
  dup2(saved, STDOUT_FILENO);
  close(saved);
  pclose(p);
  return rc;
}

class ShellCommand : public Command {
 public:
  const char* name() const override { return "shell"; }
  const char* help() const override { return "Interactive prompt: run kdx commands (bt, log, rd, vtop, ...) on the given files"; }
  void configure(CLI::App& sub) override {
    sub.add_option("files", files_, "dump(s), vmlinux, modules, in any order");
    sub.add_option("-c,--command", script_, "run these ;-separated commands, then exit");
  }
  int run(Session& session) override {
    session.add_files(files_);
    if (!script_.empty()) {
      int rc = kExitOk;
      size_t pos = 0;
      while (pos <= script_.size()) {
        size_t semi = script_.find(';', pos);
        std::string line = script_.substr(pos, semi == std::string::npos ? std::string::npos : semi - pos);
        rc = run_line(line, session);
        if (semi == std::string::npos) break;
        pos = semi + 1;
      }
      return rc;
    }
    bool tty = isatty(STDIN_FILENO);
    int rc = kExitOk;
    for (;;) {
      char* raw = tty ? readline("kdx> ") : nullptr;
      std::string line;
      if (tty) {
        if (!raw) break;
        line = raw;
        free(raw);
        if (!line.empty()) add_history(line.c_str());
      } else {
        char buf[4096];
        if (!fgets(buf, sizeof buf, stdin)) break;
        line = buf;
        while (!line.empty() && (line.back() == '\n' || line.back() == '\r')) line.pop_back();
      }
      if (line == "q" || line == "quit" || line == "exit") break;
      rc = run_line(line, session);
    }
    return rc;
  }

 private:
  int run_line(const std::string& line, Session& session) {
    std::string cmd = line, pipeline;
    if (size_t bar = line.find(" | "); bar != std::string::npos) {
      cmd = line.substr(0, bar);
      pipeline = line.substr(bar + 3);
    }
    auto words = split_words(cmd);
    if (words.empty()) return kExitOk;
    if (words[0] == "shell") {
      fmt::print(stderr, "kdx: already in the shell\n");
      return kExitUsage;
    }
    if (words[0] == "help") words[0] = "--help";
    return pipeline.empty() ? dispatch(words, session, false) : run_piped(words, pipeline, session);
  }
  std::vector<std::string> files_;
  std::string script_;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::ShellCommand;
KDX_REGISTER_COMMAND(ShellCommand)
