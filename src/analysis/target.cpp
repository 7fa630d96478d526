// Target: ties the dump, vmlinux, page tables, layouts and kernel readers of one crashed system together.
#include "kdx/analysis/target.hpp"

#include <algorithm>
#include <cstring>

#include <fmt/format.h>

#include "kdx/symbols/kaslr.hpp"
#include "kdx/symbols/kernel_match.hpp"
#include "kdx/unwind/arm64_unwinder.hpp"
#include "kdx/unwind/x86_64_unwinder.hpp"

namespace kdx::analysis {
namespace {

// TypeLayout answered from the vmlinux's DWARF and symbol table.
class DwarfLayout : public kernel::TypeLayout {
 public:
  explicit DwarfLayout(symbols::KernelSymbols& s) : s_(s) {}
  Result<uint64_t> member_offset(std::string_view type, std::string_view member) override {
    return s_.member_offset(type, member);
  }
  Result<uint64_t> type_size(std::string_view type) override { return s_.type_size(type); }
  Result<uint64_t> symbol_address(std::string_view name) override { return s_.symbol_address(name); }

 private:
  symbols::KernelSymbols& s_;
};

// TypeLayout for a dump without vmlinux: symbol addresses from the kernel's kallsyms.
class KallsymsLayout : public kernel::TypeLayout {
 public:
  explicit KallsymsLayout(Target& t) : t_(t) {}
  Result<uint64_t> member_offset(std::string_view type, std::string_view member) override {
    return make_error(ErrorCode::NotPresent, "offset of {}.{} unknown: no vmlinux, types are unavailable (kallsyms only)",
                      type, member);
  }
  Result<uint64_t> type_size(std::string_view type) override {
    return make_error(ErrorCode::NotPresent, "size of {} unknown: no vmlinux, types are unavailable (kallsyms only)", type);
  }
  Result<uint64_t> symbol_address(std::string_view name) override {
    const auto* k = t_.kallsyms();
    if (!k) return make_error(ErrorCode::NotPresent, "no symbol {}: no vmlinux and no kallsyms", name);
    auto h = k->lookup(name);
    if (!h) return std::unexpected(h.error());
    return h->address;
  }

 private:
  Target& t_;
};

std::vector<uint8_t> words_to_bytes(const std::vector<uint64_t>& words) {
  std::vector<uint8_t> b(words.size() * 8);
  std::memcpy(b.data(), words.data(), b.size());
  return b;
}

}  // namespace

Result<std::unique_ptr<Target>> Target::open(std::unique_ptr<dump::Dump> dump,
                                             std::unique_ptr<symbols::KernelSymbols> syms, TargetOptions opts) {
  std::unique_ptr<Target> t(new Target());
  t->opts_ = std::move(opts);
  t->dump_ = std::move(dump);
  t->syms_ = std::move(syms);
  t->arch_ = find_arch(dump::arch_name(t->dump_->arch()));
  if (!t->arch_ && t->syms_) t->arch_ = find_arch(t->syms_->machine());
  t->vmi_ = t->dump_->vmcoreinfo() ? t->dump_->vmcoreinfo() : &t->empty_vmi_;
  if (!t->dump_->vmcoreinfo()) t->notes.push_back("the dump has no VMCOREINFO: kernel structures need a vmlinux");
  if (t->syms_) {
    // Identity first: a vmlinux of another kernel would otherwise fail later with a
    // confusing KASLR disagreement.
    const ArchBackend* vm_arch = find_arch(t->syms_->machine());
    const ArchBackend* dump_arch = find_arch(dump::arch_name(t->dump_->arch()));
    if (vm_arch && dump_arch && vm_arch != dump_arch) {
      Error e{ErrorCode::Mismatch,
              fmt::format("vmlinux does not match the dump: architecture {} (vmlinux) vs {} (dump)", vm_arch->name, dump_arch->name),
              t->syms_->path(), {}, {}};
      if (!t->opts_.force) return std::unexpected(e);
      t->notes.push_back(e.message + " (--force: continuing)");
    }
    symbols::DumpKernelIdentity id;
    id.osrelease = t->vmi_->osrelease();
    if (!id.osrelease && !t->dump_->release().empty()) id.osrelease = t->dump_->release();
    id.build_id = t->vmi_->build_id();
    if (auto m = symbols::check_kernel_match(*t->syms_, id); !m) {
      if (!t->opts_.force) return std::unexpected(m.error());
      t->notes.push_back(m.error().message + " (--force: continuing)");
    }
    // VMCOREINFO's KERNELOFFSET, cross-checked against (or else derived from) its SYMBOL()s.
    // Only SYMBOL()s that are addresses inside the kernel image: some are not (mem_section
    // is the value of the pointer with SPARSEMEM_EXTREME, prb's target is data).
    std::map<std::string, uint64_t> syms;
    for (const char* name : {"_stext", "init_uts_ns", "swapper_pg_dir", "init_top_pgt", "node_online_map"})
      if (auto a = t->vmi_->symbol(name)) syms[name] = *a;
    auto k = symbols::find_kaslr_offset(*t->syms_, t->vmi_->kernel_offset(), syms);
    if (k) {
      t->kaslr_ = k->offset;
      t->kaslr_source_ = k->how;
    } else if (k.error().code == ErrorCode::Mismatch && !t->opts_.force) {
      return std::unexpected(k.error());
    } else {
      t->notes.push_back("KASLR offset: " + k.error().message);
    }
  } else if (auto off = t->vmi_->kernel_offset()) {
    t->kaslr_ = *off;
    t->kaslr_source_ = "KERNELOFFSET from VMCOREINFO";
  }
  if (t->syms_) {
    if (t->kaslr_) t->syms_->set_kaslr_offset(*t->kaslr_);
    t->dwarf_layout_ = std::make_unique<DwarfLayout>(*t->syms_);
  } else {
    t->dwarf_layout_ = std::make_unique<KallsymsLayout>(*t);
  }
  t->layout_ = std::make_unique<kernel::VmcoreinfoLayout>(*t->vmi_, t->dwarf_layout_.get());
  return t;
}

const symbols::KallsymsTable* Target::kallsyms() {
  if (syms_) return nullptr;
  if (!kallsyms_) {
    kallsyms_ = [&]() -> Result<symbols::KallsymsTable> {
      auto at = symbols::kallsyms_location(*vmi_);
      if (!at) return std::unexpected(at.error());
      auto m = memory();
      if (!m) return std::unexpected(m.error());
      // x86_64 SMP kernels store per-CPU symbols as absolute offsets (KALLSYMS_ABSOLUTE_PERCPU);
      // VMCOREINFO's _stext decides when the hint is wrong.
      return symbols::KallsymsTable::read(**m, *at, vmi_->symbol("_stext"), arch_name() == "x86_64");
    }();
    std::string line;
    if (*kallsyms_)
      line = fmt::format("no vmlinux: symbols come from the kernel's kallsyms in the dump ({}); types and source lines "
                         "are unavailable (kallsyms only)",
                         (*kallsyms_)->describe());
    else
      line = "no vmlinux, and the dump's kallsyms cannot be read (" + kallsyms_->error().to_string() +
             "): only module symbols are named; types and source lines are unavailable";
    notes.push_back(line);
    if (on_degraded) on_degraded(line);
  }
  return *kallsyms_ ? &**kallsyms_ : nullptr;
}

std::string Target::arch_name() const { return arch_ ? std::string(arch_->name) : std::string("unknown"); }

Result<KernelAddressSpace*> Target::memory() {
  if (mem_) return mem_.get();
  if (mem_error_) return std::unexpected(*mem_error_);
  auto fail = [&](Error e) -> Result<KernelAddressSpace*> {
    mem_error_ = e;
    return std::unexpected(e);
  };
  if (!arch_) return fail(Error{ErrorCode::Unsupported, "unknown architecture: cannot translate virtual addresses", {}, {}, {}});
  SymbolLookup lookup;
  if (syms_)
    lookup = [this](std::string_view name) -> std::optional<uint64_t> {
      auto r = syms_->symbol_address(name);
      return r ? std::optional<uint64_t>(*r) : std::nullopt;
    };
  auto cfg = arch_->config_from_vmcoreinfo(*vmi_, dump_.get(), lookup);
  if (!cfg) return fail(cfg.error());
  mem_ = std::make_unique<KernelAddressSpace>(*arch_, *dump_, std::move(*cfg));
  return mem_.get();
}

Result<const kernel::KernelLog*> Target::log() {
  if (!log_) {
    auto m = memory();
    if (!m) return std::unexpected(m.error());
    // Layout from VMCOREINFO first, DWARF second (layout_ chains them).
    log_ = kernel::read_kernel_log(**m, *layout_);
  }
  if (!*log_) return std::unexpected(log_->error());
  return &**log_;
}

Result<const std::vector<kernel::TaskInfo>*> Target::tasks() {
  if (!tasks_) {
    auto m = memory();
    if (!m) return std::unexpected(m.error());
    kernel::TaskReader r(**m, *layout_);
    std::vector<std::string> n;
    tasks_ = r.list_tasks(int(dump_->cpus().size() ? dump_->cpus().size() : 1), n);
    for (auto& s : n) notes.push_back("tasks: " + s);
  }
  if (!*tasks_) return std::unexpected(tasks_->error());
  return &**tasks_;
}

Result<const std::vector<kernel::ModuleInfo>*> Target::modules() {
  if (!modules_) {
    auto m = memory();
    if (!m) return std::unexpected(m.error());
    std::vector<std::string> n;
    modules_ = kernel::list_modules(**m, *layout_, n);
    for (auto& s : n) notes.push_back("modules: " + s);
  }
  if (!*modules_) return std::unexpected(modules_->error());
  return &**modules_;
}

void Target::load_module_debug_info() {
  if (module_debug_loaded_ || !syms_) return;
  module_debug_loaded_ = true;
  auto mods = modules();
  if (!mods) return;
  for (const auto& m : **mods) {
    auto path = syms_->find_module_file(m.name, opts_.modules_dirs);
    if (!path) continue;
    symbols::SectionAddresses secs(m.sections.begin(), m.sections.end());
    if (secs.empty() && m.base) secs[".text"] = m.base;
    if (auto r = syms_->add_module(m.name, *path, secs); !r)
      notes.push_back(fmt::format("module {}: debug info not used: {}", m.name, r.error().to_string()));
  }
}

std::optional<int> Target::crashed_cpu() {
  if (auto c = dump_->crashed_cpu()) return c->cpu;
  auto m = memory();
  if (!m) return std::nullopt;
  auto sym = layout_->symbol_address("panic_cpu");
  if (!sym) return std::nullopt;
  auto v = (*m)->read<int32_t>(*sym);  // atomic_t; PANIC_CPU_INVALID (-1) until panic()
  if (!v || *v < 0 || *v >= int(std::max<size_t>(dump_->cpus().size(), 1))) return std::nullopt;
  dump_->set_crashed_cpu({*v, "panic_cpu in the dump's memory"});
  return *v;
}

std::optional<kernel::TaskInfo> Target::active_task(int cpu) {
  auto ts = tasks();
  if (!ts) return std::nullopt;
  for (const auto& t : **ts)
    if (t.active && t.active_cpu == cpu) return t;
  return std::nullopt;
}

uint64_t Target::thread_size() {
  if (syms_)
    if (auto s = syms_->type_size("thread_union"); s && *s >= 4096 && *s <= (1u << 20)) return *s;
  return 16384;
}

std::optional<SymbolizedAddress> Target::symbolize(uint64_t addr) {
  if (syms_) {
    load_module_debug_info();
    if (auto ai = syms_->address_info(addr)) {
      SymbolizedAddress s;
      s.function = ai->symbol.name;
      s.start = ai->symbol.address;
      s.offset = ai->symbol.offset;
      s.size = ai->symbol.size;
      s.module = ai->symbol.module.value_or("");
      s.source = "symtab";
      if (ai->source) {
        s.file = ai->source->file;
        s.line = ai->source->line;
        s.source = "dwarf";
        for (size_t i = 0; i + 1 < ai->source->inlined.size(); i++) {
          const auto& f = ai->source->inlined[i];
          s.inlined.push_back(fmt::format("{} at {}:{}", f.function, f.file, f.line));
        }
      }
      return s;
    }
  }
  if (const auto* k = kallsyms())
    if (auto h = k->symbolize(addr)) {
      SymbolizedAddress s;
      s.function = h->name;
      s.start = h->address;
      s.offset = h->offset;
      s.size = h->size;
      s.source = "kallsyms";
      return s;
    }
  if (auto mods = modules()) {
    if (const auto* m = kernel::module_for_address(**mods, addr)) {
      SymbolizedAddress s;
      s.module = m->name;
      s.source = "module kallsyms";
      if (const auto* ms = kernel::module_symbol_for_address(*m, addr)) {
        s.function = ms->name;
        s.start = ms->value;
        s.offset = addr - ms->value;
        s.size = ms->size;
      }
      return s;
    }
  }
  return std::nullopt;
}

std::optional<std::pair<uint64_t, uint64_t>> Target::lookup_symbol(std::string_view name) {
  if (syms_) {
    load_module_debug_info();
    if (auto h = syms_->lookup_symbol(name)) return std::make_pair(h->address, h->size);
  }
  if (const auto* k = kallsyms())
    if (auto h = k->lookup(name)) return std::make_pair(h->address, h->size);
  if (auto mods = modules())
    for (const auto& m : **mods)
      for (const auto& s : m.symbols)
        if (s.name == name) return std::make_pair(s.value, s.size);
  return std::nullopt;
}

bool Target::is_kernel_text(uint64_t addr) {
  if (syms_) {
    if (auto h = syms_->symbolize(addr)) {
      char c = h->type_char;
      if (c == 'T' || c == 't' || c == 'W' || c == 'w') return true;
      if (h->module) return true;
    }
  }
  if (const auto* k = kallsyms()) {
    if (k->is_text(addr)) return true;
    // No vmlinux, so no struct module layout and no module list: code outside the image is
    // recognised by its mapping, a present kernel page that is executable (module text,
    // which the unwinders must be able to cross).
    if (addr >> 63 && !k->symbolize(addr)) {
      auto m = memory();
      if (m) {
        auto tr = (*m)->explain(addr);
        if (tr.paddr) {
          bool exec = true, user = false;
          for (const auto& f : tr.flags) {
            if (f == "NX" || f == "PXN") exec = false;
            if (f == "USER" || f == "EL0") user = true;
          }
          if (exec && !user && tr.region != "direct map") return true;
        }
      }
    }
  }
  if (auto mods = modules())
    if (const auto* m = kernel::module_for_address(**mods, addr)) {
      if (m->init_size && addr >= m->init_base && addr < m->init_base + m->init_size) return true;
      return addr < m->base + (m->text_size ? m->text_size : m->size);
    }
  return false;
}

unsigned Target::register_count() const {
  return arch_name() == "arm64" ? unsigned(unwind::kArm64PtRegsCount) : unsigned(unwind::kX86PtRegsCount);
}

std::string Target::register_name(unsigned reg) const {
  return arch_name() == "arm64" ? unwind::arm64_reg_name(reg) : unwind::x86_reg_name(reg);
}

Result<unwind::RegisterSet> Target::cpu_registers(int cpu) {
  for (const auto& p : dump_->cpus()) {
    if (p.cpu != cpu) continue;
    auto bytes = words_to_bytes(p.regs);
    if (arch_name() == "arm64") return unwind::arm64_registers_from_pt_regs(bytes);
    if (arch_name() == "x86_64") return unwind::x86_64_registers_from_pt_regs(bytes);
    return make_error(ErrorCode::Unsupported, "no register layout for architecture {}", arch_name());
  }
  return make_error(ErrorCode::NotPresent, "the dump has no PRSTATUS note for CPU {}", cpu);
}

const unwind::OrcTableSet* Target::orc() {
  if (orc_tried_) return orc_ ? &*orc_ : nullptr;
  orc_tried_ = true;
  if (arch_name() != "x86_64") return nullptr;
  auto fmt_r = unwind::orc_format_for_release(vmi_->osrelease().value_or(dump_->release()));
  auto format = fmt_r ? *fmt_r : unwind::OrcFormat::V1;
  unwind::OrcTableSet set;
  if (syms_) {
    auto vm = unwind::OrcTable::from_elf(syms_->debug_path(), kaslr_.value_or(0), format);
    if (!vm && syms_->debug_path() != syms_->path()) vm = unwind::OrcTable::from_elf(syms_->path(), kaslr_.value_or(0), format);
    if (vm) set.add(std::move(*vm));
    else notes.push_back("unwind: no ORC tables in vmlinux (" + vm.error().message + "); using frame pointers and stack scanning");
  } else if (const auto* k = kallsyms()) {
    // No vmlinux: the kernel keeps its own ORC tables in memory for its unwinder; kallsyms
    // names their bounds.
    auto ip = k->lookup("__start_orc_unwind_ip"), ip_end = k->lookup("__stop_orc_unwind_ip");
    auto orcs = k->lookup("__start_orc_unwind");
    Result<unwind::OrcTable> vm = make_error(ErrorCode::NotPresent, "kallsyms has no __start_orc_unwind_ip/__stop_orc_unwind_ip/__start_orc_unwind");
    auto m = memory();
    if (ip && ip_end && orcs && m && ip_end->address > ip->address)
      vm = unwind::OrcTable::from_memory(**m, ip->address, orcs->address, (ip_end->address - ip->address) / 4, format);
    if (vm) {
      set.add(std::move(*vm));
      notes.push_back("unwind: vmlinux ORC tables read from the dump's memory (bounds from kallsyms)");
    } else {
      notes.push_back("unwind: no ORC tables (" + vm.error().message + "); using frame pointers and stack scanning");
    }
  }
  // Each module carries its own ORC tables in struct mod_arch_specific.
  if (auto mods = modules(); mods && mem_) {
    auto ip = layout_->member_offset("module", "arch.orc_unwind_ip");
    auto orcs = layout_->member_offset("module", "arch.orc_unwind");
    auto num = layout_->member_offset("module", "arch.num_orcs");
    for (const auto& m : **mods) {
      if (!ip || !orcs || !num) break;
      auto ipa = mem_->read_u64(m.addr + *ip);
      auto oa = mem_->read_u64(m.addr + *orcs);
      auto n = mem_->read<uint32_t>(m.addr + *num);
      if (!ipa || !oa || !n || !*n) continue;
      if (auto tb = unwind::OrcTable::from_memory(*mem_, *ipa, *oa, *n, format))
        set.add(std::move(*tb), m.base, m.base + m.size);
    }
  }
  if (set.empty()) return nullptr;
  orc_ = std::move(set);
  return &*orc_;
}

Result<unwind::WalkResult> Target::walk(const unwind::RegisterSet& regs, bool pc_is_return, std::optional<uint64_t> stack_base) {
  auto m = memory();
  if (!m) return std::unexpected(m.error());
  unwind::WalkOptions o;
  o.context_pc_is_return_address = pc_is_return;
  o.is_kernel_text = [this](uint64_t a) { return is_kernel_text(a); };
  const bool arm = arch_name() == "arm64";
  auto sp = regs.get(arm ? unsigned(unwind::kArm64Sp) : unsigned(unwind::kX86Rsp));
  if (stack_base) o.stacks.push_back({*stack_base, *stack_base + thread_size(), "task"});
  // Per-CPU IRQ stacks, so a walk that starts in an interrupt can cross to the task stack.
  kernel::TaskReader tr(**m, *layout_);
  for (int cpu = 0; cpu < int(dump_->cpus().size()); cpu++) {
    if (arm) {
      if (auto p = tr.per_cpu_address("irq_stack_ptr", cpu))
        if (auto base = (*m)->read_u64(*p); base && *base) o.stacks.push_back({*base, *base + thread_size(), "irq"});
    } else if (auto p = tr.per_cpu_address("hardirq_stack_ptr", cpu)) {
      // 6.1: hardirq_stack_ptr = stack + IRQ_STACK_SIZE - 8 (arch/x86/kernel/irq_64.c).
      if (auto top = (*m)->read_u64(*p); top && *top) o.stacks.push_back({*top + 8 - 16384, *top + 8, "irq"});
    }
  }
  bool on_known = false;
  for (const auto& s : o.stacks)
    if (sp && s.contains(*sp)) on_known = true;
  // Unknown stack, or the task's stack unknown (no vmlinux: finding the active task needs
  // task_struct's layout) so the walk could not cross from an IRQ stack to it: only
  // "sp must grow" applies.
  if (!on_known || !stack_base) o.stacks.clear();
  if (arm) {
    unwind::Arm64UnwindConfig c;
    c.kernel_pac_mask = vmi_->number_u64("KERNELPACMASK").value_or(0);
    c.va_bits = unsigned(vmi_->number("VA_BITS").value_or(48));
    if (auto off = layout_->member_offset("pt_regs", "stackframe")) c.pt_regs_stackframe_offset = *off;
    // Return addresses inside the exception entry code ([__entry_text_start, __entry_text_end))
    // mean the caller's state is a pt_regs on the stack.
    std::optional<uint64_t> es, ee;
    if (auto v = layout_->symbol_address("__entry_text_start")) es = *v;
    if (auto v = layout_->symbol_address("__entry_text_end")) ee = *v;
    if (es && ee) c.is_exception_entry = [lo = *es, hi = *ee](uint64_t a) { return a >= lo && a < hi; };
    return unwind::unwind_arm64(**m, regs, c, o);
  }
  return unwind::unwind_x86_64(**m, regs, orc(), o);
}

Result<unwind::WalkResult> Target::backtrace_cpu(int cpu) {
  auto regs = cpu_registers(cpu);
  if (!regs) return std::unexpected(regs.error());
  std::optional<uint64_t> base;
  if (auto t = active_task(cpu)) base = t->stack;
  return walk(*regs, false, base);
}

Result<unwind::WalkResult> Target::backtrace_task(const kernel::TaskInfo& task) {
  auto m = memory();
  if (!m) return std::unexpected(m.error());
  if (arch_name() == "arm64") {
    auto off = layout_->member_offset("task_struct", "thread.cpu_context");
    if (!off) return std::unexpected(off.error());
    auto regs = unwind::arm64_blocked_task_registers(**m, task.addr + *off, vmi_->number_u64("KERNELPACMASK").value_or(0));
    if (!regs) return std::unexpected(regs.error());
    return walk(*regs, true, task.stack);
  }
  auto off = layout_->member_offset("task_struct", "thread.sp");
  if (!off) return std::unexpected(off.error());
  auto sp = (*m)->read_u64(task.addr + *off);
  if (!sp) return std::unexpected(sp.error());
  auto regs = unwind::x86_64_blocked_task_registers(**m, *sp);
  if (!regs) return std::unexpected(regs.error());
  return walk(*regs, true, task.stack);
}

}  // namespace kdx::analysis
