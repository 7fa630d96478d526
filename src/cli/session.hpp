// Inputs shared by the commands of one kdx invocation or one interactive shell.
#pragma once

#include <string>
#include <vector>

namespace kdx::cli {

// Holds the files named on the command line. Commands ask it for the opened dump, vmlinux
// and modules; it opens each lazily and keeps it for the next command in a shell.
class Session {
 public:
  // Adds files given to a command (duplicates ignored); classification is by content.
  void add_files(const std::vector<std::string>& more) {
    for (const auto& f : more) {
      bool seen = false;
      for (const auto& g : files)
        if (g == f) seen = true;
      if (!seen) files.push_back(f);
    }
  }
  std::vector<std::string> files;  // as given; classified by content, never by name
  bool json = false;
  bool force = false;
};

}  // namespace kdx::cli
