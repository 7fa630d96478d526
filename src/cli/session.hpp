// Inputs shared by the commands of one kdx invocation or one interactive shell.
#pragma once

#include <string>
#include <vector>

namespace kdx::cli {

// Holds the files named on the command line. Commands ask it for the opened dump, vmlinux
// and modules; it opens each lazily and keeps it for the next command in a shell.
class Session {
 public:
  std::vector<std::string> files;  // as given; classified by content, never by name
  bool json = false;
  bool force = false;
};

}  // namespace kdx::cli
