// The report pipeline: system, log and cause, crash context, backtrace, faulting code, provenance, suspicious values.
#include "kdx/analysis/report_pipeline.hpp"

#include <algorithm>
#include <regex>

#include "kdx/analysis/disassembler.hpp"
#include "kdx/analysis/log_registers.hpp"
#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/provenance.hpp"
#include "kdx/kernel/system_info.hpp"

namespace kdx::analysis {
namespace {

using report::Report;

struct Pipeline {
  Target& t;
  const ReportOptions& o;
  Report r;
  std::string log_text;
  OopsReport oops;
  std::optional<unwind::WalkResult> walk;
  RegisterValues fault_regs;
  std::optional<uint64_t> fault_pc;
  std::string fault_regs_source;
  std::optional<size_t> fault_frame;  // index in walk->frames of the exception frame

  void note(const char* stage, const std::string& msg, bool partial = true) {
    r.notes.push_back({stage, msg});
    if (partial) r.partial = true;
  }

  void system() {
    auto& d = t.dump();
    auto& s = r.system;
    s.dump_file = d.files().empty() ? "" : d.files().front();
    if (d.files().size() > 1) s.dump_file += fmt::format(" (+{} split parts)", d.files().size() - 1);
    if (auto* ks = t.symbols()) s.vmlinux_file = ks->path();
    std::string f = dump::format_name(d.format());
    if (d.format() == dump::DumpFormat::Kdump) {
      f = "kdump-compressed";
      std::vector<std::string> cs;
      for (auto c : d.codecs()) cs.push_back(dump::codec_name(c));
      if (!cs.empty()) f += " (" + fmt::format("{}", fmt::join(cs, ", ")) + ")";
      if (d.dump_level()) f += fmt::format(", -d {}", *d.dump_level());
    }
    if (d.flattened()) f += ", flattened";
    if (d.incomplete()) f += ", INCOMPLETE";
    s.dump_format = f;
    s.arch = t.arch_name();
    s.release = d.release();
    s.crash_time = d.crash_time();
    s.cpus = int(d.cpus().size());
    s.page_size = d.page_size();
    s.kaslr_offset = t.kaslr_offset();
    s.kaslr_source = t.kaslr_source();
    auto mem = t.memory();
    if (!mem) {
      note("memory", mem.error().to_string());
      return;
    }
    if (auto u = kernel::read_utsname(**mem, t.layout())) {
      s.nodename = u->nodename;
      s.version = u->version;
      s.machine = u->machine;
      if (s.release.empty()) s.release = u->release;
    } else {
      note("system", "utsname: " + u.error().message, false);
    }
  }

  void log_and_cause() {
    auto lg = t.log();
    if (!lg) {
      note("log", lg.error().to_string());
      return;
    }
    log_text = kernel::format_kernel_log(**lg, {});
    for (const auto& n : (*lg)->notes) note("log", n, false);
    if (!(*lg)->records.empty()) r.system.uptime_ns = (*lg)->records.back().ts_nsec;
    oops = analyze_log(log_text);
    r.title = oops.title;
    r.type = oops.type;
    r.corrupted = oops.corrupted;
    r.guilty_frame = oops.guilty_frame;
    if (oops.fault) {
      const auto& f = *oops.fault;
      r.fault.kind = !f.trap_name.empty() ? f.trap_name : (f.esr ? "data/instruction abort" : (f.error_code ? "page fault" : ""));
      if (!f.access.empty()) r.fault.kind += (r.fault.kind.empty() ? "" : ", ") + f.access;
      r.fault.address = f.address;
      r.fault.address_class = f.address_class;
      for (const auto& fld : f.fields)
        r.fault.decoded.push_back(fmt::format("{} = {}{}", fld.name, fld.value, fld.meaning.empty() ? "" : "  " + fld.meaning));
    }
    for (const auto& rel : oops.related) r.related_log.push_back(rel.header);
    // The panic message and the crash context line, as the kernel printed them.
    static const std::regex panic_re("Kernel panic - not syncing: (.*)");
    static const std::regex ctx_re("CPU: (\\d+) PID: (\\d+) Comm: (\\S+)");
    std::smatch m;
    std::vector<std::string> lines;
    size_t pos = 0;
    while (pos < log_text.size()) {
      size_t nl = log_text.find('\n', pos);
      lines.push_back(log_text.substr(pos, nl == std::string::npos ? std::string::npos : nl - pos));
      pos = nl == std::string::npos ? log_text.size() : nl + 1;
    }
    for (const auto& l : lines) {
      if (r.panic_message.empty() && std::regex_search(l, m, panic_re)) r.panic_message = m[1];
      if (!r.pid && std::regex_search(l, m, ctx_re)) {
        ctx_cpu = std::stoi(m[1]);
        r.pid = std::stoi(m[2]);
        r.comm = m[3];
      }
    }
    size_t n = std::min(lines.size(), o.log_tail_lines);
    r.log_tail.assign(lines.end() - long(n), lines.end());
  }
  std::optional<int> ctx_cpu;

  void context() {
    if (auto c = t.crashed_cpu()) r.crashed_cpu = *c;
    else if (ctx_cpu) r.crashed_cpu = ctx_cpu;
    else if (t.dump().cpus().size() == 1) r.crashed_cpu = 0;
    if (!r.crashed_cpu) {
      note("context", "cannot tell which CPU crashed; using CPU 0");
      r.crashed_cpu = 0;
    }
    if (auto task = t.active_task(*r.crashed_cpu)) {
      r.task = task->addr;
      r.pid = int(task->pid);
      r.comm = task->comm;
    } else if (auto ts = t.tasks(); !ts) {
      note("context", "task list: " + ts.error().message, false);
    }
  }

  void backtrace() {
    auto w = t.backtrace_cpu(*r.crashed_cpu);
    if (!w) {
      note("backtrace", w.error().to_string());
      return;
    }
    walk = std::move(*w);
    int level = 0;
    for (const auto& f : walk->frames) {
      report::Frame rf;
      rf.level = level++;
      rf.pc = f.pc;
      rf.sp = f.sp;
      rf.trust = unwind::frame_trust_name(f.trust);
      rf.exception = f.pt_regs_address.has_value();
      if (auto s = t.symbolize(f.lookup_pc())) {
        rf.function = s->function;
        rf.offset = f.pc - s->start;
        rf.size = s->size;
        rf.module = s->module;
        rf.file = s->file;
        rf.line = s->line;
        rf.inlined = s->inlined;
      }
      r.backtrace.push_back(std::move(rf));
      if (f.pt_regs_address && !f.user_mode && !fault_pc) {
        fault_pc = f.pc;
        fault_frame = size_t(level - 1);
        for (unsigned i = 0; i < t.register_count(); i++)
          if (auto v = f.regs.get(i)) fault_regs[t.register_name(i)] = *v;
        fault_regs_source = fmt::format("exception frame (pt_regs at {:#x})", *f.pt_regs_address);
      }
    }
    if (!walk->complete()) note("backtrace", fmt::format("walk stopped: {} {}", unwind::stop_reason_name(walk->stop), walk->stop_detail), false);
  }

  // Without an exception frame from the unwinder, use the register dump the oops printed.
  void registers_from_log() {
    if (fault_pc || log_text.empty()) return;
    auto lr = parse_logged_registers(log_text);
    if (!lr) return;
    fault_regs = lr->regs;
    fault_regs_source = "the oops register dump in the log";
    if (auto it = lr->regs.find(lr->arch == "arm64" ? "pc" : "rip"); it != lr->regs.end()) {
      fault_pc = it->second;
    } else if (!lr->pc_function.empty()) {
      if (auto* ks = t.symbols())
        if (auto a = ks->symbol_address(lr->pc_function)) fault_pc = *a + lr->pc_offset;
      if (!fault_pc)
        if (auto mods = t.modules())
          for (const auto& m : **mods)
            for (const auto& s : m.symbols)
              if (s.name == lr->pc_function) fault_pc = s.value + lr->pc_offset;
    }
  }

  void code_and_provenance() {
    if (!fault_pc) {
      if (r.title) note("code", "no exception frame or logged registers: faulting instruction unknown", false);
      return;
    }
    const std::string arch = t.arch_name();
    if (arch == "arm64") {
      if (fault_regs.count("fp")) fault_regs["x29"] = fault_regs["fp"];
      if (fault_regs.count("lr")) fault_regs["x30"] = fault_regs["lr"];
    }
    auto sym = t.symbolize(*fault_pc);
    auto mem = t.memory();
    if (!mem) return;
    const bool start_known = sym && sym->start && sym->start <= *fault_pc && *fault_pc - sym->start < 65536;
    uint64_t start = start_known ? sym->start : *fault_pc;
    // Show only this function's code when its size is known.
    uint64_t end = start_known && sym->size ? sym->start + sym->size : UINT64_MAX;
    std::vector<uint8_t> code(size_t(*fault_pc - start) + 32);
    if (auto rd = (*mem)->read_virt(start, code); !rd) {
      note("code", "cannot read the faulting code: " + rd.error().to_string());
      return;
    }
    auto insns = disassemble(arch, code, start);
    if (!insns) {
      note("code", insns.error().message);
      return;
    }
    size_t fi = insns->size();
    for (size_t i = 0; i < insns->size(); i++)
      if ((*insns)[i].address == *fault_pc) fi = i;
    if (fi == insns->size()) {
      note("code", fmt::format("{:#x} is not on an instruction boundary from {:#x}", *fault_pc, start));
      return;
    }
    size_t b = fi > o.code_window_before ? fi - o.code_window_before : 0;
    size_t e = std::min(insns->size(), fi + o.code_window_after + 1);
    for (size_t i = b; i < e; i++) {
      const auto& in = (*insns)[i];
      if (in.address >= end) break;
      report::Instruction ri;
      ri.address = in.address;
      ri.text = in.text;
      ri.faulting = i == fi;
      if (auto s = t.symbolize(in.address)) {
        ri.location = fmt::format("<{}+{:#x}>", s->function, in.address - s->start);
        if (!s->file.empty()) ri.location += fmt::format(" {}:{}", s->file, s->line);
      }
      r.faulting_code.push_back(std::move(ri));
    }
    if (!start_known) {
      note("provenance", "the faulting function's start is unknown: register provenance skipped", false);
      return;
    }
    auto p = trace_register_provenance(arch, code, start, *fault_pc, fault_regs);
    if (!p) {
      note("provenance", p.error().message, false);
      return;
    }
    p->caveats.push_back("register values from " + fault_regs_source);
    r.provenance = std::move(*p);
    trace_into_caller();
  }

  // When the bad value arrived as an argument, follow it into the caller: the same register
  // traced backwards from the call instruction.
  void trace_into_caller() {
    auto& p = *r.provenance;
    if (p.chain.empty() || p.chain.back().source.find("argument") == std::string::npos) return;
    if (!walk || !fault_frame || *fault_frame + 1 >= walk->frames.size()) return;
    const auto& caller = walk->frames[*fault_frame + 1];
    auto sym = t.symbolize(caller.lookup_pc());
    auto mem = t.memory();
    if (!sym || !sym->start || caller.pc <= sym->start || caller.pc - sym->start > 65536 || !mem) return;
    std::vector<uint8_t> code(size_t(caller.pc - sym->start));
    if (!(*mem)->read_virt(sym->start, code)) return;
    auto insns = disassemble(t.arch_name(), code, sym->start);
    if (!insns || insns->empty() || insns->back().address + insns->back().size != caller.pc) return;
    uint64_t call = insns->back().address;
    auto chain = trace_register_before(t.arch_name(), code, sym->start, call, p.chain.back().reg, {});
    if (!chain) return;
    p.caller_function = sym->function;
    p.call_site = call;
    p.caller_chain = std::move(*chain);
  }

  // What the fault address is: its page-table entry (flags, region) and the object there.
  void fault_address() {
    if (!r.fault.address) return;
    auto mem = t.memory();
    if (!mem) return;
    const uint64_t a = *r.fault.address;
    // User addresses live in the task's page tables, not the kernel's (arm64 TTBR0).
    if ((a >> 63) == 0) {
      r.fault.decoded.push_back("page tables: a user-space address (not looked up in the kernel's tables)");
      return;
    }
    auto tr = (*mem)->explain(a);
    std::string line = "page tables: " + (tr.region.empty() ? std::string("unknown region") : tr.region);
    if (tr.paddr)
      line += fmt::format(", mapped to {:#x} ({}{})", *tr.paddr, fmt::join(tr.flags, " "),
                          std::find(tr.flags.begin(), tr.flags.end(), "RW") == tr.flags.end() && t.arch_name() == "x86_64"
                              ? "; read-only"
                              : "");
    else if (!tr.error.empty())
      line += ", " + tr.error;
    r.fault.decoded.push_back(line);
    if (a >= 0x10000)
      if (auto s = t.symbolize(a); s && !s->function.empty())
        r.fault.decoded.push_back(fmt::format("the address is {}+{:#x}{}", s->function, a - s->start,
                                              s->module.empty() ? "" : " [" + s->module + "]"));
  }

  // Names values in the provenance chain that point at kernel symbols.
  void name_chain_values() {
    if (!r.provenance) return;
    for (auto* chain : {&r.provenance->chain, &r.provenance->caller_chain})
      for (auto& st : *chain)
        if (st.value && *st.value >= 0x10000)
          if (auto s = t.symbolize(*st.value); s && !s->function.empty())
            st.source += fmt::format(" (value is &{}{})", s->function,
                                     *st.value == s->start ? "" : fmt::format("+{:#x}", *st.value - s->start));
  }

  void registers_and_suspicious() {
    if (fault_regs.empty()) return;
    for (unsigned i = 0; i < t.register_count(); i++) {
      auto it = fault_regs.find(t.register_name(i));
      if (it != fault_regs.end()) r.registers.emplace_back(it->first, it->second);
    }
    if (r.registers.empty())
      for (const auto& [k, v] : fault_regs) r.registers.emplace_back(k, v);
    std::string bad = r.provenance ? r.provenance->bad_register : "";
    for (const auto& [name, v] : r.registers) {
      if (name == "rip" || name == "pc" || name == "cs" || name == "ss" || name == "eflags" || name == "pstate" ||
          name == "orig_rax" || name == "rsp" || name == "sp")
        continue;
      auto why = explain_suspicious_value(t.arch_name(), v);
      if (!why) continue;
      // Small integers and masks are everywhere; for registers other than the one the
      // faulting access used, only poison patterns are worth a line.
      bool poison = why->find("POISON") != std::string::npos || why->find("poison") != std::string::npos ||
                    why->find("0xcc") != std::string::npos;
      if (name != bad && !poison) continue;
      r.suspicious.push_back(fmt::format("{} = {:#x}: {}", name, v, *why));
    }
    if (r.fault.address)
      if (auto why = explain_suspicious_value(t.arch_name(), *r.fault.address))
        r.suspicious.push_back(fmt::format("fault address {:#x}: {}", *r.fault.address, *why));
  }
};

}  // namespace

report::Report build_report(Target& target, const ReportOptions& options) {
  Pipeline p{target, options, {}, {}, {}, {}, {}, {}, {}, {}};
  p.system();
  p.log_and_cause();
  p.context();
  p.backtrace();
  p.registers_from_log();
  p.code_and_provenance();
  p.fault_address();
  p.name_chain_values();
  p.registers_and_suspicious();
  for (const auto& n : target.notes) p.r.notes.push_back({"target", n});
  return std::move(p.r);
}

}  // namespace kdx::analysis
