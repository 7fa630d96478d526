// `kdx bt`, `kdx ps`, `kdx mod`, `kdx sys`: crash's task, backtrace, module and system commands.
#include <fmt/format.h>

#include "command.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/kernel/system_info.hpp"
#include "session.hpp"

namespace kdx::cli {
namespace {

std::string frame_line(analysis::Target& t, int level, const unwind::Frame& f, bool lines) {
  std::string s = fmt::format("{}#{:<2} [{:016x}] ", level < 10 ? " " : "", level, f.sp);
  auto sym = t.symbolize(f.lookup_pc());
  if (sym && !sym->function.empty()) s += fmt::format("{}+{:#x}", sym->function, f.pc - sym->start);
  else s += "??";
  s += fmt::format(" at {:016x}", f.pc);
  if (sym && !sym->module.empty()) s += " [" + sym->module + "]";
  if (f.trust == unwind::FrameTrust::Scan) s += "  (stack scan)";
  if (lines && sym && !sym->file.empty()) s += fmt::format("\n    {}: {}", sym->file, sym->line);
  if (lines && sym)
    for (const auto& in : sym->inlined) s += "\n    (inlined) " + in;
  return s;
}

void print_walk(analysis::Target& t, const unwind::WalkResult& w, bool lines) {
  int level = 0;
  for (const auto& f : w.frames) {
    if (f.pt_regs_address && level > 0) fmt::print("    --- <exception frame at {:#x}> ---\n", *f.pt_regs_address);
    fmt::print("{}\n", frame_line(t, level++, f, lines));
  }
  if (!w.complete()) fmt::print("    (walk stopped: {}{})\n", unwind::stop_reason_name(w.stop), w.stop_detail.empty() ? "" : ": " + w.stop_detail);
}

class BtCommand : public Command {
 public:
  const char* name() const override { return "bt"; }
  const char* help() const override { return "Backtrace of the crashed task (-a all CPUs, -p PID, -c CPU, -l lines)"; }
  void configure(CLI::App& sub) override {
    sub.add_option("files", files_, "dump file(s) and vmlinux");
    sub.add_flag("-a", all_, "the active task of every CPU");
    sub.add_option("-c", cpu_, "the active task of this CPU");
    sub.add_option("-p", pid_, "this task (by PID)");
    sub.add_flag("-l", lines_, "show file and line of each frame");
  }
  int run(Session& session) override {
    session.add_files(files_);
    auto tt = session.target();
    if (!tt) return report_error(tt.error());
    analysis::Target& t = **tt;
    int rc = kExitOk;
    auto header = [&](std::optional<kernel::TaskInfo> task, int cpu) {
      if (task)
        fmt::print("PID: {:<7} TASK: {:x}  CPU: {:<3} COMMAND: \"{}\"\n", task->pid, task->addr, cpu, task->comm);
      else
        fmt::print("CPU: {}  (active task unknown)\n", cpu);
    };
    if (pid_) {
      auto ts = t.tasks();
      if (!ts) return report_error(ts.error());
      for (const auto& task : **ts) {
        if (task.pid != *pid_) continue;
        header(task, task.active ? task.active_cpu : task.cpu.value_or(-1));
        auto w = task.active ? t.backtrace_cpu(task.active_cpu) : t.backtrace_task(task);
        if (!w) return report_error(w.error());
        print_walk(t, *w, lines_);
        return w->complete() ? kExitOk : kExitPartial;
      }
      return report_error(Error{ErrorCode::Usage, fmt::format("no task with PID {}", *pid_), {}, {}, {}});
    }
    std::vector<int> cpus;
    if (all_) {
      for (const auto& p : t.dump().cpus()) cpus.push_back(p.cpu);
    } else if (cpu_) {
      cpus.push_back(*cpu_);
    } else {
      cpus.push_back(t.crashed_cpu().value_or(0));
    }
    for (size_t i = 0; i < cpus.size(); i++) {
      if (i) fmt::print("\n");
      header(t.active_task(cpus[i]), cpus[i]);
      auto w = t.backtrace_cpu(cpus[i]);
      if (!w) {
        rc = report_error(w.error());
        continue;
      }
      print_walk(t, *w, lines_);
      if (!w->complete() && rc == kExitOk) rc = kExitPartial;
    }
    return rc;
  }

 private:
  std::vector<std::string> files_;
  bool all_ = false, lines_ = false;
  std::optional<int> cpu_;
  std::optional<int64_t> pid_;
};

class PsCommand : public Command {
 public:
  const char* name() const override { return "ps"; }
  const char* help() const override { return "Task list (crash's ps: > marks the active task of a CPU)"; }
  void configure(CLI::App& sub) override { sub.add_option("files", files_, "dump file(s) and vmlinux"); }
  int run(Session& session) override {
    session.add_files(files_);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto ts = (*t)->tasks();
    if (!ts) return report_error(ts.error());
    fmt::print("   PID    PPID  CPU       TASK        ST  COMM\n");
    for (const auto& task : **ts) {
      bool kthread = task.pid == 0 || task.ppid == 2 || task.pid == 2;
      fmt::print("{} {:>6} {:>6} {:>4}  {:016x}  {}  {}\n", task.active ? '>' : ' ', task.pid, task.ppid,
                 task.active ? task.active_cpu : task.cpu.value_or(-1), task.addr, task.state_name,
                 kthread ? "[" + task.comm + "]" : task.comm);
    }
    return kExitOk;
  }

 private:
  std::vector<std::string> files_;
};

class ModCommand : public Command {
 public:
  const char* name() const override { return "mod"; }
  const char* help() const override { return "Loaded modules (crash's mod)"; }
  void configure(CLI::App& sub) override { sub.add_option("files", files_, "dump file(s) and vmlinux"); }
  int run(Session& session) override {
    session.add_files(files_);
    auto t = session.target();
    if (!t) return report_error(t.error());
    auto ms = (*t)->modules();
    if (!ms) return report_error(ms.error());
    fmt::print("     MODULE       NAME                     BASE            SIZE  SYMBOLS  LAYOUT\n");
    for (const auto& m : **ms)
      fmt::print("{:016x}  {:<18} {:016x} {:>8}  {:>7}  {}\n", m.addr, m.name, m.base, m.size, m.symbols.size(), m.layout);
    return kExitOk;
  }

 private:
  std::vector<std::string> files_;
};

class SysCommand : public Command {
 public:
  const char* name() const override { return "sys"; }
  const char* help() const override { return "System data of the crashed kernel (crash's sys)"; }
  void configure(CLI::App& sub) override { sub.add_option("files", files_, "dump file(s) and vmlinux"); }
  int run(Session& session) override {
    session.add_files(files_);
    auto tt = session.target();
    if (!tt) return report_error(tt.error());
    analysis::Target& t = **tt;
    auto kv = [](const char* k, const std::string& v) { fmt::print("{:>12}: {}\n", k, v); };
    if (auto* ks = t.symbols()) kv("KERNEL", ks->path());
    kv("DUMPFILE", fmt::format("{}", fmt::join(t.dump().files(), " ")));
    kv("CPUS", std::to_string(t.dump().cpus().size()));
    if (auto ct = t.dump().crash_time()) kv("CRASHTIME", std::to_string(*ct));
    auto mem = t.memory();
    if (mem) {
      if (auto u = kernel::read_utsname(**mem, t.layout())) {
        kv("NODENAME", u->nodename);
        kv("RELEASE", u->release);
        kv("VERSION", u->version);
        kv("MACHINE", u->machine);
      }
    }
    if (t.kaslr_offset()) kv("KASLR", fmt::format("{:#x} ({})", *t.kaslr_offset(), t.kaslr_source()));
    if (auto ts = t.tasks(); ts) kv("TASKS", std::to_string((*ts)->size()));
    if (auto lg = t.log(); lg)
      for (const auto& r : (*lg)->records)
        if (auto p = r.text.find("Kernel panic - not syncing: "); p != std::string::npos)
          kv("PANIC", "\"" + r.text.substr(p + 28) + "\"");
    return mem ? kExitOk : report_error(mem.error());
  }

 private:
  std::vector<std::string> files_;
};

}  // namespace
}  // namespace kdx::cli

using kdx::cli::BtCommand;
using kdx::cli::ModCommand;
using kdx::cli::PsCommand;
using kdx::cli::SysCommand;
KDX_REGISTER_COMMAND(BtCommand)
KDX_REGISTER_COMMAND(PsCommand)
KDX_REGISTER_COMMAND(ModCommand)
KDX_REGISTER_COMMAND(SysCommand)
