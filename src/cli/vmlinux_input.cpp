// Minimal content-based choice of the vmlinux argument, until the session's file classification lands.
#include "vmlinux_input.hpp"

#include <cstdio>

#include <fmt/format.h>

#include "kdx/exit_codes.hpp"

namespace kdx::cli {

Result<std::unique_ptr<symbols::KernelSymbols>> open_vmlinux_from(const std::vector<std::string>& files) {
  if (files.empty()) return make_error(ErrorCode::Usage, "no vmlinux given");
  std::vector<std::string> why;
  for (const auto& f : files) {
    auto ks = symbols::KernelSymbols::open(f);
    if (ks) return ks;
    // A non-ELF or non-executable file may be the dump: try the next one, but keep the reason.
    if (ks.error().code == ErrorCode::Format && files.size() > 1) {
      why.push_back(ks.error().to_string());
      continue;
    }
    return std::unexpected(ks.error());
  }
  std::string all;
  for (auto& w : why) all += (all.empty() ? "" : "; ") + w;
  return make_error(ErrorCode::Usage, "none of the files is a vmlinux ({})", all);
}

int report_error(const Error& e) {
  fmt::print(stderr, "kdx: {}\n", e.to_string());
  switch (e.code) {
    case ErrorCode::Usage: return kExitUsage;
    case ErrorCode::NotPresent: return kExitPartial;
    default: return kExitUnreadable;
  }
}

}  // namespace kdx::cli
