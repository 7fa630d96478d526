// Inputs shared by the commands of one kdx invocation or one interactive shell.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kdx/analysis/target.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/dump/file_kind.hpp"
#include "kdx/error.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::cli {

struct InputFile {
  std::string path;
  dump::FileClass cls;
};

// Holds the files named on the command line. Commands ask it for the opened dump, vmlinux
// or the whole Target; each is opened on first use and kept for the next command in a shell.
class Session {
 public:
  std::vector<std::string> files;  // as given; classified by content, never by name
  bool json = false;
  bool force = false;
  std::vector<std::string> modules_dirs;

  // Adds files (a command's positionals). Files already known are ignored; a new file
  // makes the session forget what it had opened.
  void add_files(const std::vector<std::string>& more);
  // Classifies every file by content, in any order. Fails with Io for an unreadable file;
  // a file that is none of the known kinds is kept as FileKind::Unknown.
  Result<const std::vector<InputFile>*> inputs();
  // Paths of the given kind, in command-line order (empty on classification failure).
  std::vector<std::string> paths_of(dump::FileKind kind);
  // The dump (all dump files together: a split dump is several). Fails with the reader's
  // error (for an unrecognised file: why it is not a dump), or Usage when none was given.
  Result<dump::Dump*> dump();
  // The vmlinux. Fails with Usage when none was given, or the symbolizer's open error.
  Result<symbols::KernelSymbols*> vmlinux();
  bool has_vmlinux() { return !paths_of(dump::FileKind::Vmlinux).empty(); }
  // The dump with the vmlinux when one was given (KASLR applied, match checked).
  Result<analysis::Target*> target();

 private:
  void reset();
  std::optional<std::vector<InputFile>> inputs_;
  std::unique_ptr<dump::Dump> dump_;
  std::unique_ptr<symbols::KernelSymbols> syms_;
  std::unique_ptr<analysis::Target> target_;
};

// A count or offset argument: decimal, or hex with a 0x prefix (crash's convention).
std::optional<uint64_t> parse_number(const std::string& s);

// Prints "kdx: <error>" on stderr and maps the error to an exit code (defined in vmlinux_input.cpp).
int report_error(const Error& e);

}  // namespace kdx::cli
