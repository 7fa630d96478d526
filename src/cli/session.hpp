// Inputs shared by the commands of one kdx invocation or one interactive shell.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kdx/dump/dump.hpp"
#include "kdx/dump/file_kind.hpp"
#include "kdx/error.hpp"

namespace kdx::cli {

struct InputFile {
  std::string path;
  dump::FileClass cls;
};

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

  // Adds files (e.g. a command's positionals) and forgets earlier classification.
  void add_files(const std::vector<std::string>& more);
  // Classifies every file by content, in any order. Fails with Io for an unreadable file;
  // a file that is none of the known kinds is kept as FileKind::Unknown.
  Result<const std::vector<InputFile>*> inputs();
  // Paths of the given kind, in command-line order (empty on classification failure).
  std::vector<std::string> paths_of(dump::FileKind kind);
  // The dump (all dump files together: a split dump is several). Opened on first call and
  // kept. Fails with the reader's error (for an unrecognised file: why it is not a dump),
  // or with Usage when only other kinds of input were given.
  Result<dump::Dump*> dump();

 private:
  std::optional<std::vector<InputFile>> inputs_;
  std::unique_ptr<dump::Dump> dump_;
};

}  // namespace kdx::cli
