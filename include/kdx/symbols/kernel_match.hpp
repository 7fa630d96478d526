// Does a vmlinux belong to a dump? Compares OSRELEASE, build-id and linux_banner and says so in one line.
#pragma once

#include <optional>
#include <string>

#include "kdx/error.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::symbols {

// What the dump says about its kernel; every field is optional (older kernels lack BUILD-ID).
struct DumpKernelIdentity {
  std::optional<std::string> osrelease;  // VMCOREINFO OSRELEASE
  std::optional<std::string> build_id;   // VMCOREINFO BUILD-ID, hex
  std::optional<std::string> banner;     // linux_banner read from the dump's memory
};

// Succeeds when every value present on both sides agrees. Otherwise fails with Mismatch and
// a single line naming both values, e.g.
//   "vmlinux does not match the dump: build-id 01d2... (vmlinux) vs 7c3a... (dump)".
// Build-ids compare as prefixes (VMCOREINFO may carry a truncated id).
Result<void> check_kernel_match(const KernelSymbols& vmlinux, const DumpKernelIdentity& dump);

}  // namespace kdx::symbols
