// VMCOREINFO-first and table-backed implementations of TypeLayout.
#include "kdx/kernel/type_layout.hpp"

namespace kdx::kernel {

Result<uint64_t> VmcoreinfoLayout::member_offset(std::string_view type, std::string_view member) {
  if (auto v = vmi_.offset(std::string(type) + "." + std::string(member))) return *v;
  if (fallback_) return fallback_->member_offset(type, member);
  return make_error(ErrorCode::NotPresent, "offset of {}.{} unknown (not in VMCOREINFO; no debug info)", type, member);
}

Result<uint64_t> VmcoreinfoLayout::type_size(std::string_view type) {
  if (auto v = vmi_.size(type)) return *v;
  if (fallback_) return fallback_->type_size(type);
  return make_error(ErrorCode::NotPresent, "size of {} unknown (not in VMCOREINFO; no debug info)", type);
}

Result<uint64_t> VmcoreinfoLayout::symbol_address(std::string_view name) {
  if (auto v = vmi_.symbol(name)) return *v;
  if (fallback_) return fallback_->symbol_address(name);
  return make_error(ErrorCode::NotPresent, "address of {} unknown (not in VMCOREINFO; no vmlinux)", name);
}

Result<uint64_t> TableLayout::member_offset(std::string_view type, std::string_view member) {
  auto it = offsets.find(std::string(type) + "." + std::string(member));
  if (it == offsets.end()) return make_error(ErrorCode::NotPresent, "offset of {}.{} unknown", type, member);
  return it->second;
}
Result<uint64_t> TableLayout::type_size(std::string_view type) {
  auto it = sizes.find(type);
  if (it == sizes.end()) return make_error(ErrorCode::NotPresent, "size of {} unknown", type);
  return it->second;
}
Result<uint64_t> TableLayout::symbol_address(std::string_view name) {
  auto it = symbols.find(name);
  if (it == symbols.end()) return make_error(ErrorCode::NotPresent, "address of {} unknown", name);
  return it->second;
}

}  // namespace kdx::kernel
