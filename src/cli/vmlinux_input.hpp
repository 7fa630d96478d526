// Picks the vmlinux among the files on the command line (by content) and opens it for the symbol commands.
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "kdx/error.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::cli {

// Returns the first file that is an ELF executable/PIE (after .xz/.zst decompression) opened as
// KernelSymbols. Other files (dumps) are skipped; the dump reader's session classification
// will replace this. Fails with Usage when no file is a vmlinux (naming what each one was),
// or with the open error of the vmlinux.
Result<std::unique_ptr<symbols::KernelSymbols>> open_vmlinux_from(const std::vector<std::string>& files);

// Prints "kdx: <error>" to stderr and maps the error to an exit code (kdx/exit_codes.hpp).
int report_error(const Error& e);

}  // namespace kdx::cli
