// FrameSymbolizer over the DWARF symbolizer: turns a log's "func+0x12/0x40 [mod]" into file:line with inline chain.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "kdx/analysis/oops_report.hpp"
#include "kdx/symbols/kernel_symbols.hpp"

namespace kdx::analysis {

// Works on link addresses: a log gives function+offset, which does not depend on KASLR or on
// where a module was loaded, so each module is placed at a private base of its own.
class KernelFrameSymbolizer : public FrameSymbolizer {
 public:
  KernelFrameSymbolizer(symbols::KernelSymbols& ks, std::vector<std::string> modules_dirs)
      : ks_(ks), dirs_(std::move(modules_dirs)) {}
  bool symbolize(OopsFrame& frame) override;
  // Modules named by frames whose .ko was not found (for a note to the user).
  const std::vector<std::string>& missing_modules() const { return missing_; }

 private:
  bool ensure_module(const std::string& name);
  symbols::KernelSymbols& ks_;
  std::vector<std::string> dirs_;
  std::map<std::string, bool> loaded_;
  std::vector<std::string> missing_;
  uint64_t next_base_ = 0xffffffffa0000000ull;
};

}  // namespace kdx::analysis
