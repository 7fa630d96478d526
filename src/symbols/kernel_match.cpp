// Compares a vmlinux with what a dump says about its kernel (release, build-id, banner); one line on mismatch.
#include "kdx/symbols/kernel_match.hpp"

#include <algorithm>
#include <cctype>

namespace kdx::symbols {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::string rstrip(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  return s;
}

}  // namespace

Result<void> check_kernel_match(const KernelSymbols& vmlinux, const DumpKernelIdentity& dump) {
  auto mismatch = [&](std::string_view what, std::string_view v, std::string_view d) {
    return std::unexpected(Error{ErrorCode::Mismatch,
                                 fmt::format("vmlinux does not match the dump: {} {} (vmlinux) vs {} (dump)", what, v, d),
                                 vmlinux.path(), {}, {}});
  };
  if (dump.build_id && !dump.build_id->empty()) {
    std::string mine = lower(vmlinux.build_id_hex());
    std::string theirs = lower(*dump.build_id);
    if (!mine.empty()) {
      size_t n = std::min(mine.size(), theirs.size());
      if (mine.compare(0, n, theirs, 0, n) != 0) return mismatch("build-id", mine, theirs);
    }
  }
  if (dump.osrelease && !dump.osrelease->empty()) {
    if (auto rel = vmlinux.osrelease(); rel && *rel != *dump.osrelease) return mismatch("release", *rel, *dump.osrelease);
  }
  if (dump.banner && !dump.banner->empty()) {
    if (auto b = vmlinux.linux_banner(); b && rstrip(*b) != rstrip(*dump.banner))
      return mismatch("linux_banner", fmt::format("'{}'", rstrip(*b)), fmt::format("'{}'", rstrip(*dump.banner)));
  }
  return {};
}

}  // namespace kdx::symbols
