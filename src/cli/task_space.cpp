// task_address_space(): task -> mm -> mm->pgd (layouts from TypeLayout) -> physical root -> KernelAddressSpace::with_user_root.
#include "task_space.hpp"

#include <charconv>

#include <fmt/format.h>

namespace kdx::cli {

std::optional<uint64_t> parse_hex_address(std::string s) {
  if (s.starts_with("0x") || s.starts_with("0X")) s = s.substr(2);
  if (s.empty() || s.size() > 16) return std::nullopt;
  uint64_t v = 0;
  auto [p, ec] = std::from_chars(s.data(), s.data() + s.size(), v, 16);
  if (ec != std::errc() || p != s.data() + s.size()) return std::nullopt;
  return v;
}

Result<TaskSpace> task_address_space(analysis::Target& target, const TaskSelector& which) {
  auto mem = target.memory();
  if (!mem) return std::unexpected(mem.error());
  kernel::TaskReader reader(**mem, target.layout());
  TaskSpace out;
  if (which.task) {
    auto t = reader.read_task(*which.task);
    if (!t) return make_error(ErrorCode::NotPresent, "task {:#x}: {}", *which.task, t.error().message);
    out.task = *t;
  } else if (which.pid) {
    auto ts = target.tasks();
    if (!ts) return std::unexpected(ts.error());
    const kernel::TaskInfo* found = nullptr;
    for (const auto& t : **ts)
      if (t.pid == *which.pid) {
        found = &t;
        break;
      }
    if (!found) return make_error(ErrorCode::Usage, "no task with PID {}", *which.pid);
    out.task = *found;
  } else {
    int cpu = target.crashed_cpu().value_or(0);
    if (auto ts = target.tasks(); !ts)
      return make_error(ErrorCode::NotPresent, "cannot find the crashed task: {} (a vmlinux gives the layouts)",
                        ts.error().message);
    auto t = target.active_task(cpu);
    if (!t) return make_error(ErrorCode::NotPresent, "the task running on CPU {} is unknown: give --pid or --task", cpu);
    out.task = *t;
  }
  auto mm = reader.read_task_mm(out.task.addr);
  if (!mm)
    return make_error(mm.error().code, "PID {} ({}): {}", out.task.pid, out.task.comm, mm.error().message);
  out.mm = *mm;
  auto pa = (*mem)->translate(out.mm.pgd);
  if (!pa)
    return make_error(ErrorCode::NotPresent, "PID {} ({}): mm->pgd {:#x}: {}", out.task.pid, out.task.comm, out.mm.pgd,
                      pa.error().message);
  out.pgd_paddr = *pa;
  out.space = (*mem)->with_user_root(*pa);
  return out;
}

}  // namespace kdx::cli
