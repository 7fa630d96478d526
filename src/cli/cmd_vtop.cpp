// `kdx vtop ADDR DUMP [VMLINUX] [--json] [-u|-k] [-c PID|TASK] [--pid N] [--task ADDR] [--root PADDR]`: explains one virtual address's page-table walk, like crash's vtop.
#include <cstdio>

#include <fmt/format.h>

#include "command.hpp"
#include "kdx/arch/arch_backend.hpp"
#include "kdx/dump/vmcoreinfo.hpp"
#include "kdx/exit_codes.hpp"
#include "kdx/memory/kernel_address_space.hpp"
#include "kdx/memory/translation_format.hpp"
#include "session.hpp"
#include "task_space.hpp"

namespace kdx::cli {
namespace {

class VtopCommand : public Command {
 public:
  const char* name() const override { return "vtop"; }
  const char* help() const override {
    return "Translate a virtual address: each page-table level, physical address, flags, region, or why it is not mapped";
  }
  void configure(CLI::App& sub) override {
    sub.add_option("address", address_, "virtual address (hex, 0x optional)")->required();
    sub.add_option("files", files_, "the dump, and optionally vmlinux");
    sub.add_flag("--json", json_, "print the walk as JSON (vaddr, paddr, page_size, levels, flags, region, error)");
    sub.add_option("--root", root_, "walk another page table: its top-level table's physical address (hex)");
    sub.add_flag("-u", user_, "a user address: walk the task's page table (mm->pgd; default the crashed task)");
    sub.add_flag("-k", kernel_, "a kernel address: walk the kernel's page table even for a user-range address");
    sub.add_option("-c", context_, "the task whose page table to use: a PID (decimal) or a task_struct address (hex, 0x)");
    sub.add_option("--pid", pid_, "the task whose page table to use, by PID");
    sub.add_option("--task", task_, "the task whose page table to use, by task_struct address (hex)");
  }

  int run(Session& session) override {
    session.add_files(files_);
    auto vaddr = parse_hex_address(address_);
    if (!vaddr) {
      fmt::print(stderr, "kdx vtop: '{}' is not a hex address\n", address_);
      return kExitUsage;
    }
    std::optional<uint64_t> root;
    if (!root_.empty()) {
      root = parse_hex_address(root_);
      if (!root) {
        fmt::print(stderr, "kdx vtop: --root '{}' is not a hex address\n", root_);
        return kExitUsage;
      }
    }
    TaskSelector which;
    bool task_given = false;
    if (!context_.empty()) {
      // crash's -c takes a PID or a task address; a 0x prefix or hex digits mean an address.
      bool hex = context_.starts_with("0x") || context_.find_first_of("abcdefABCDEF") != std::string::npos ||
                 context_.size() > 10;
      if (hex) {
        which.task = parse_hex_address(context_);
      } else if (auto pid = dump::parse_dec_u64(context_); pid && *pid < (1ULL << 31)) {
        which.pid = int64_t(*pid);
      }
      if (!which.task && !which.pid) {
        fmt::print(stderr, "kdx vtop: -c '{}' is neither a PID nor a task address\n", context_);
        return kExitUsage;
      }
      task_given = true;
    }
    if (pid_) which.pid = *pid_, task_given = true;
    if (!task_.empty()) {
      which.task = parse_hex_address(task_);
      if (!which.task) {
        fmt::print(stderr, "kdx vtop: --task '{}' is not a hex address\n", task_);
        return kExitUsage;
      }
      task_given = true;
    }
    if (user_ && kernel_) {
      fmt::print(stderr, "kdx vtop: -u and -k exclude each other\n");
      return kExitUsage;
    }
    if ((root || kernel_) && task_given) {
      fmt::print(stderr, "kdx vtop: {} and a task (-c/--pid/--task) exclude each other\n", root ? "--root" : "-k");
      return kExitUsage;
    }
    if (root && user_) {
      fmt::print(stderr, "kdx vtop: --root and -u exclude each other\n");
      return kExitUsage;
    }
    auto tt = session.target();
    if (!tt) return report_error(tt.error());
    analysis::Target& target = **tt;
    auto mem = target.memory();
    if (!mem) return report_error(mem.error());
    bool json = json_ || session.json;

    std::unique_ptr<KernelAddressSpace> other;
    const KernelAddressSpace* space = *mem;
    std::optional<TaskSpace> ts;
    // crash: a user address is translated in the current context (the crashed task) unless
    // another is named; -k keeps the kernel's tables.
    bool is_user = space->walker().region_of(*vaddr) == "user";
    bool want_task = !kernel_ && !root && (user_ || task_given || is_user);
    if (want_task) {
      auto r = task_address_space(target, which);
      if (!r) {
        // Explicitly asked for: an error. Implied by the address: say why, walk the kernel's.
        if (user_ || task_given) return report_error(r.error());
        fmt::print(stderr, "kdx vtop: no task page table for a user address: {}\n", r.error().message);
      } else {
        ts = std::move(*r);
        space = ts->space.get();
      }
    }
    if (root) {
      other = (*mem)->with_root(*root);
      space = other.get();
    }
    Translation t = space->explain(*vaddr);
    if (json) {
      nlohmann::json j = translation_to_json(t);
      if (ts)
        j["task"] = {{"pid", ts->task.pid},
                     {"comm", ts->task.comm},
                     {"task", fmt::format("{:#x}", ts->task.addr)},
                     {"mm", fmt::format("{:#x}", ts->mm.mm)},
                     {"pgd", fmt::format("{:#x}", ts->mm.pgd)},
                     {"pgd_paddr", fmt::format("{:#x}", ts->pgd_paddr)}};
      fmt::print("{}\n", j.dump(2));
    } else {
      if (ts)
        fmt::print("PID: {}  TASK: {:x}  COMMAND: \"{}\"  MM: {:x}  PGD: {:x} (physical {:x})\n", ts->task.pid,
                   ts->task.addr, ts->task.comm, ts->mm.mm, ts->mm.pgd, ts->pgd_paddr);
      fmt::print("{}", format_translation_text(t));
    }
    return t.paddr ? kExitOk : kExitPartial;
  }

 private:
  std::string address_;
  std::vector<std::string> files_;
  std::string root_, context_, task_;
  std::optional<int64_t> pid_;
  bool json_ = false, user_ = false, kernel_ = false;
};

}  // namespace

KDX_REGISTER_COMMAND(VtopCommand)

}  // namespace kdx::cli
