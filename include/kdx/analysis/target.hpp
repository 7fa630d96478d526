// The crashed system under analysis: a dump, its vmlinux (optional), memory, layouts, and cached kernel readers.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "kdx/arch/arch_backend.hpp"
#include "kdx/dump/dump.hpp"
#include "kdx/error.hpp"
#include "kdx/kernel/modules.hpp"
#include "kdx/kernel/printk.hpp"
#include "kdx/kernel/tasks.hpp"
#include "kdx/kernel/type_layout.hpp"
#include "kdx/memory/kernel_address_space.hpp"
#include "kdx/symbols/kallsyms.hpp"
#include "kdx/symbols/kernel_symbols.hpp"
#include "kdx/unwind/frame.hpp"
#include "kdx/unwind/orc_table.hpp"

namespace kdx::analysis {

struct TargetOptions {
  bool force = false;                     // open even when vmlinux does not match the dump
  std::vector<std::string> modules_dirs;  // where to look for .ko debug info
};

// A symbolized address, ready for a report line.
struct SymbolizedAddress {
  std::string function;
  uint64_t offset = 0, size = 0, start = 0;
  std::string module;       // "" for vmlinux
  std::string file;
  int line = 0;
  std::vector<std::string> inlined;  // "func at file:line", innermost first (excluding function)
  std::string source;       // "dwarf", "symtab", "kallsyms", "module kallsyms"
};

// Not thread-safe; each lazily built part is cached and its failure is remembered.
class Target {
 public:
  // Takes the dump and (optionally) the vmlinux. Applies KASLR to the symbols (VMCOREINFO
  // KERNELOFFSET, else derived from a VMCOREINFO SYMBOL() and says so) and checks that the
  // vmlinux belongs to the dump; fails with Mismatch (one line, both values) unless force.
  static Result<std::unique_ptr<Target>> open(std::unique_ptr<dump::Dump> dump,
                                              std::unique_ptr<symbols::KernelSymbols> syms, TargetOptions opts = {});

  dump::Dump& dump() { return *dump_; }
  symbols::KernelSymbols* symbols() { return syms_.get(); }
  const ArchBackend* arch() const { return arch_; }
  std::string arch_name() const;
  const dump::Vmcoreinfo& vmcoreinfo() const { return *vmi_; }
  std::optional<uint64_t> kaslr_offset() const { return kaslr_; }
  const std::string& kaslr_source() const { return kaslr_source_; }
  // Layouts: VMCOREINFO first, DWARF second.
  kernel::TypeLayout& layout() { return *layout_; }

  // Kernel virtual memory. Fails when the arch is unknown or VMCOREINFO lacks what the page
  // tables need (the error names the key).
  Result<KernelAddressSpace*> memory();
  Result<const kernel::KernelLog*> log();
  Result<const std::vector<kernel::TaskInfo>*> tasks();
  Result<const std::vector<kernel::ModuleInfo>*> modules();
  // The CPU that crashed: the dump's own answer, else the kernel's panic_cpu variable
  // (set by panic() before it stops the others); nullopt when neither tells.
  std::optional<int> crashed_cpu();
  // The task on `cpu` (rq->curr), from the task list.
  std::optional<kernel::TaskInfo> active_task(int cpu);
  // THREAD_SIZE: sizeof(union thread_union) from DWARF, else 16 KiB.
  uint64_t thread_size();

  // Without a vmlinux: the kernel's own kallsyms table decoded from the dump (VMCOREINFO
  // SYMBOL(kallsyms_*), 6.0+), KASLR already applied. nullptr with a vmlinux, or when it cannot
  // be read (a note says why). The first call reports the degradation through on_degraded.
  const symbols::KallsymsTable* kallsyms();
  // Called once with one line when kdx runs on kallsyms alone (types and lines unavailable).
  std::function<void(const std::string&)> on_degraded;

  // Best description of addr: vmlinux/module DWARF, else symbol tables, else the kernel's
  // kallsyms (no vmlinux), else module kallsyms.
  std::optional<SymbolizedAddress> symbolize(uint64_t addr);
  bool is_kernel_text(uint64_t addr);
  // A symbol's run-time address and size: vmlinux, module debug info, then module kallsyms.
  std::optional<std::pair<uint64_t, uint64_t>> lookup_symbol(std::string_view name);

  // The registers of `cpu` from its PRSTATUS note, in the unwinder's numbering.
  Result<unwind::RegisterSet> cpu_registers(int cpu);
  // Walks the stack of `cpu` from its PRSTATUS registers.
  Result<unwind::WalkResult> backtrace_cpu(int cpu);
  // Walks a task that is not running, from its saved context.
  Result<unwind::WalkResult> backtrace_task(const kernel::TaskInfo& task);
  // Register names, in the unwinder's numbering, for printing.
  std::string register_name(unsigned reg) const;
  unsigned register_count() const;

  // Things the user should know that did not stop anything (degradations, guesses).
  std::vector<std::string> notes;

 private:
  Target() = default;
  Result<unwind::WalkResult> walk(const unwind::RegisterSet& regs, bool pc_is_return, std::optional<uint64_t> stack_base);
  void load_module_debug_info();
  const unwind::OrcTableSet* orc();

  std::unique_ptr<dump::Dump> dump_;
  std::unique_ptr<symbols::KernelSymbols> syms_;
  const ArchBackend* arch_ = nullptr;
  const dump::Vmcoreinfo* vmi_ = nullptr;
  dump::Vmcoreinfo empty_vmi_;
  std::optional<uint64_t> kaslr_;
  std::string kaslr_source_;
  TargetOptions opts_;
  std::unique_ptr<kernel::TypeLayout> dwarf_layout_;
  std::unique_ptr<kernel::TypeLayout> layout_;
  std::unique_ptr<KernelAddressSpace> mem_;
  std::optional<Error> mem_error_;
  std::optional<Result<kernel::KernelLog>> log_;
  std::optional<Result<std::vector<kernel::TaskInfo>>> tasks_;
  std::optional<Result<std::vector<kernel::ModuleInfo>>> modules_;
  bool module_debug_loaded_ = false;
  std::optional<unwind::OrcTableSet> orc_;
  std::optional<Result<symbols::KallsymsTable>> kallsyms_;
  bool orc_tried_ = false;
};

}  // namespace kdx::analysis
