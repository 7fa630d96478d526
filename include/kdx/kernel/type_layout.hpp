// Where kernel readers get struct layouts and symbol addresses: VMCOREINFO first, debug info second.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <string_view>

#include "kdx/error.hpp"
#include "kdx/dump/vmcoreinfo.hpp"

namespace kdx::kernel {

// Answers layout questions. Implementations: VMCOREINFO (always exact for what it exports),
// DWARF from vmlinux (the symbols layer), or a chain of both.
class TypeLayout {
 public:
  virtual ~TypeLayout() = default;
  // Byte offset of a member path ("tasks", "thread.sp", "se.on_rq") in struct `type`;
  // NotPresent when unknown.
  virtual Result<uint64_t> member_offset(std::string_view type, std::string_view member) = 0;
  // sizeof(struct type); NotPresent when unknown.
  virtual Result<uint64_t> type_size(std::string_view type) = 0;
  // Run-time (KASLR-adjusted) address of a global symbol; NotPresent when unknown.
  virtual Result<uint64_t> symbol_address(std::string_view name) = 0;
};

// VMCOREINFO's OFFSET()/SIZE()/SYMBOL() entries, then `fallback` (may be null) for the rest.
// VMCOREINFO symbols are already relocated by the running kernel, so they need no KASLR shift.
class VmcoreinfoLayout : public TypeLayout {
 public:
  VmcoreinfoLayout(const dump::Vmcoreinfo& vmi, TypeLayout* fallback) : vmi_(vmi), fallback_(fallback) {}
  Result<uint64_t> member_offset(std::string_view type, std::string_view member) override;
  Result<uint64_t> type_size(std::string_view type) override;
  Result<uint64_t> symbol_address(std::string_view name) override;

 private:
  const dump::Vmcoreinfo& vmi_;
  TypeLayout* fallback_;
};

// A fixed table, for tests and for layouts read from elsewhere.
class TableLayout : public TypeLayout {
 public:
  std::map<std::string, uint64_t, std::less<>> offsets;  // "task_struct.pid"
  std::map<std::string, uint64_t, std::less<>> sizes;    // "task_struct"
  std::map<std::string, uint64_t, std::less<>> symbols;  // "init_task"
  Result<uint64_t> member_offset(std::string_view type, std::string_view member) override;
  Result<uint64_t> type_size(std::string_view type) override;
  Result<uint64_t> symbol_address(std::string_view name) override;
};

}  // namespace kdx::kernel
