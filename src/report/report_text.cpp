// Text formatter of the crash report: crash's `sys` header, then cause, fault, backtrace, code, provenance.
#include <ctime>

#include <fmt/format.h>

#include "kdx/report/report.hpp"

namespace kdx::report {
namespace {

std::string frame_text(const Frame& f) {
  std::string s = fmt::format(" #{:<2} [{:016x}] ", f.level, f.sp);
  if (!f.function.empty())
    s += fmt::format("{}+{:#x}", f.function, f.offset) + (f.size ? fmt::format("/{:#x}", f.size) : "");
  else
    s += "??";
  s += fmt::format(" at {:016x}", f.pc);
  if (!f.module.empty()) s += " [" + f.module + "]";
  if (!f.file.empty()) s += fmt::format("\n      {}:{}", f.file, f.line);
  for (const auto& in : f.inlined) s += "\n      (inlined " + in + ")";
  if (!f.trust.empty() && f.trust != "context" && f.trust != "orc" && f.trust != "frame pointer" && f.trust != "log")
    s += "  (" + f.trust + ")";
  return s;
}

}  // namespace

std::string format_text(const Report& r) {
  std::string o;
  auto kv = [&](const char* k, const std::string& v) {
    if (!v.empty()) o += fmt::format("{:>12}: {}\n", k, v);
  };
  const auto& s = r.system;
  kv("KERNEL", s.vmlinux_file);
  kv("DUMPFILE", s.dump_file + (s.dump_format.empty() ? "" : "  [" + s.dump_format + "]"));
  if (s.cpus) kv("CPUS", std::to_string(s.cpus));
  if (s.crash_time) {
    time_t t = time_t(*s.crash_time);
    struct tm tm;
    gmtime_r(&t, &tm);
    char buf[64];
    strftime(buf, sizeof buf, "%a %b %e %H:%M:%S UTC %Y", &tm);
    kv("DATE", buf);
  }
  if (s.uptime_ns) {
    uint64_t sec = *s.uptime_ns / 1000000000;
    kv("UPTIME", fmt::format("{:02}:{:02}:{:02}", sec / 3600, (sec / 60) % 60, sec % 60));
  }
  kv("NODENAME", s.nodename);
  kv("RELEASE", s.release);
  kv("VERSION", s.version);
  kv("MACHINE", s.machine.empty() ? s.arch : s.machine);
  if (s.kaslr_offset) kv("KASLR", fmt::format("{:#x} ({})", *s.kaslr_offset, s.kaslr_source));
  kv("PANIC", r.panic_message.empty() ? "" : "\"" + r.panic_message + "\"");
  if (r.pid) kv("PID", std::to_string(*r.pid));
  kv("COMMAND", r.comm.empty() ? "" : "\"" + r.comm + "\"");
  if (r.task) kv("TASK", fmt::format("{:x}", *r.task));
  if (r.crashed_cpu) kv("CPU", std::to_string(*r.crashed_cpu));

  o += "\nCRASH\n";
  o += fmt::format("  title: {}\n", r.title ? *r.title : "(no crash report found)");
  if (!r.type.empty()) o += fmt::format("  type: {}\n", r.type);
  if (r.corrupted) o += "  the report in the log looks corrupted (interleaved or truncated)\n";
  if (!r.guilty_frame.empty()) o += fmt::format("  guilty frame: {}\n", r.guilty_frame);

  if (!r.fault.kind.empty() || r.fault.address) {
    o += "\nFAULT\n";
    if (!r.fault.kind.empty()) o += fmt::format("  {}\n", r.fault.kind);
    if (r.fault.address)
      o += fmt::format("  address: {:#018x}{}\n", *r.fault.address,
                       r.fault.address_class.empty() ? "" : "  (" + r.fault.address_class + ")");
    for (const auto& d : r.fault.decoded) o += "  " + d + "\n";
  }
  if (!r.backtrace.empty()) {
    o += "\nBACKTRACE\n";
    for (const auto& f : r.backtrace) {
      if (f.exception) o += "    --- <exception> ---\n";
      o += frame_text(f) + "\n";
    }
  }
  if (!r.faulting_code.empty()) {
    o += "\nFAULTING INSTRUCTION\n";
    for (const auto& in : r.faulting_code)
      o += fmt::format("{} {:016x}: {:<40} {}\n", in.faulting ? "=>" : "  ", in.address, in.text, in.location);
  }
  if (r.provenance) {
    const auto& p = *r.provenance;
    o += "\nREGISTER PROVENANCE\n";
    if (!p.bad_register.empty()) {
      o += fmt::format("  the {} uses {}", p.access.empty() ? "access" : p.access, p.bad_register);
      if (p.bad_value) o += fmt::format(" = {:#x}", *p.bad_value);
      if (p.effective_address) o += fmt::format(" (effective address {:#x})", *p.effective_address);
      o += "\n";
    }
    for (const auto& st : p.chain) {
      o += fmt::format("  {} <- ", st.reg);
      if (!st.insn.empty()) o += fmt::format("{:#x}: {}: ", st.address, st.insn);
      o += st.source;
      if (st.value) o += fmt::format("  [{} = {:#x} at the fault]", st.reg, *st.value);
      o += "\n";
    }
    if (!p.caller_chain.empty()) {
      o += fmt::format("  in the caller {} (call at {:#x}):\n", p.caller_function, p.call_site);
      for (const auto& st : p.caller_chain) {
        o += fmt::format("    {} <- ", st.reg);
        if (!st.insn.empty()) o += fmt::format("{:#x}: {}: ", st.address, st.insn);
        o += st.source + "\n";
      }
    }
    for (const auto& c : p.caveats) o += "  note: " + c + "\n";
  }
  if (!r.suspicious.empty()) {
    o += "\nSUSPICIOUS VALUES\n";
    for (const auto& v : r.suspicious) o += "  " + v + "\n";
  }
  if (!r.registers.empty()) {
    o += "\nREGISTERS\n";
    int n = 0;
    for (const auto& [name, v] : r.registers) {
      o += fmt::format("  {:>6}: {:016x}", name, v);
      if (++n % 3 == 0) o += "\n";
    }
    if (n % 3) o += "\n";
  }
  if (!r.related_log.empty()) {
    o += "\nEARLIER RELATED MESSAGES\n";
    for (const auto& l : r.related_log) o += "  " + l + "\n";
  }
  if (!r.log_tail.empty()) {
    o += "\nLOG (last lines)\n";
    for (const auto& l : r.log_tail) o += "  " + l + "\n";
  }
  if (!r.notes.empty()) {
    o += "\nNOTES\n";
    for (const auto& n : r.notes) o += fmt::format("  {}: {}\n", n.stage, n.message);
  }
  return o;
}

}  // namespace kdx::report
