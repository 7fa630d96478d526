// A task's address space for the commands that read user memory (`rd -u`, `vtop -u`/`-c`): task chosen by PID or address, default the crashed task.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "kdx/analysis/target.hpp"
#include "kdx/error.hpp"
#include "kdx/kernel/tasks.hpp"
#include "kdx/memory/kernel_address_space.hpp"

namespace kdx::cli {

// Which task: a PID, a task_struct address, or (neither) the crashed CPU's active task.
struct TaskSelector {
  std::optional<int64_t> pid;
  std::optional<uint64_t> task;
};

struct TaskSpace {
  kernel::TaskInfo task;
  kernel::TaskMm mm;
  uint64_t pgd_paddr = 0;                     // mm->pgd translated to physical
  std::unique_ptr<KernelAddressSpace> space;  // user addresses through mm->pgd, kernel through the kernel's
};

// Resolves the task and builds its address space. Fails with Usage for an unknown PID, with
// NotPresent for a kernel thread (no mm) or when mm->pgd is not readable.
Result<TaskSpace> task_address_space(analysis::Target& target, const TaskSelector& which);

// Parses "--task"-style hex (0x optional) / decimal PID text; nullopt when malformed.
std::optional<uint64_t> parse_hex_address(std::string s);

}  // namespace kdx::cli
