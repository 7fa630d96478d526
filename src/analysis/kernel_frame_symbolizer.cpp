// Symbolizes log frames (function+offset [module]) to file:line through KernelSymbols, like decode_stacktrace.sh.
#include "kdx/analysis/kernel_frame_symbolizer.hpp"

#include <fmt/format.h>

namespace kdx::analysis {

bool KernelFrameSymbolizer::ensure_module(const std::string& name) {
  if (auto it = loaded_.find(name); it != loaded_.end()) return it->second;
  bool ok = false;
  if (auto path = ks_.find_module_file(name, dirs_)) {
    // One private 16 MiB window per module; the symbolizer lays out the other sections.
    symbols::SectionAddresses secs{{".text", next_base_}};
    next_base_ += 16u << 20;
    ok = ks_.add_module(name, *path, secs).has_value();
  }
  if (!ok) missing_.push_back(name);
  loaded_[name] = ok;
  return ok;
}

bool KernelFrameSymbolizer::symbolize(OopsFrame& f) {
  if (f.function.empty()) return false;
  if (!f.module.empty() && !ensure_module(f.module)) return false;
  auto hit = ks_.lookup_symbol(f.function);
  if (!hit) return false;
  if (!f.module.empty() && hit->module.value_or("") != f.module) return false;
  // Call-trace entries are return addresses: the call is the instruction before them.
  uint64_t addr = hit->address + f.offset;
  if (f.source != "ip" && f.offset > 0) addr -= 1;
  auto info = ks_.address_info(addr);
  if (!info || !info->source) return false;
  f.location = fmt::format("{}:{}", info->source->file, info->source->line);
  f.inlined.clear();
  for (size_t i = 0; i + 1 < info->source->inlined.size(); i++) {  // outermost is the frame itself
    const auto& in = info->source->inlined[i];
    f.inlined.push_back(fmt::format("{} at {}:{}", in.function, in.file, in.line));
  }
  return true;
}

}  // namespace kdx::analysis
