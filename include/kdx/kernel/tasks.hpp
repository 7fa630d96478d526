// Reader of the kernel's task list, per-CPU runqueues and per-CPU variables.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "kdx/error.hpp"
#include "kdx/kernel/type_layout.hpp"
#include "kdx/virt_reader.hpp"

namespace kdx::kernel {

struct TaskInfo {
  uint64_t addr = 0;      // struct task_struct *
  int64_t pid = 0, tgid = 0, ppid = 0;
  std::string comm;
  uint64_t state = 0, exit_state = 0;
  std::string state_name; // crash's two-letter form: RU IN UN ST TR ZO DE PA ID NE WA
  std::optional<int> cpu; // the CPU it last ran on
  uint64_t stack = 0;     // base of its kernel stack (task_struct.stack)
  bool active = false;    // rq->curr of some CPU
  int active_cpu = -1;
};

// A task's user address space as its mm_struct describes it (a member the layout does not
// know stays 0).
struct TaskMm {
  uint64_t mm = 0;   // struct mm_struct *
  uint64_t pgd = 0;  // mm->pgd: the top-level table, as a kernel (direct-map) address
  uint64_t start_code = 0, end_code = 0, start_data = 0, end_data = 0, start_brk = 0, brk = 0;
  uint64_t start_stack = 0, arg_start = 0, arg_end = 0, env_start = 0, env_end = 0, mmap_base = 0;
};

// crash's state name for a task's __state / exit_state (include/linux/sched.h bits).
std::string task_state_name(uint64_t state, uint64_t exit_state);

class TaskReader {
 public:
  TaskReader(VirtReader& mem, TypeLayout& layout) : mem_(mem), layout_(layout) {}
  // Reads one task_struct; fails when its pid/comm cannot be read.
  Result<TaskInfo> read_task(uint64_t addr);
  // task->mm and its mm_struct (pgd, code/data/stack/argv bounds). Fails with NotPresent for
  // a kernel thread (mm is NULL) and when mm or mm->pgd cannot be read.
  Result<TaskMm> read_task_mm(uint64_t task_addr);
  // __per_cpu_offset[cpu]; fails when the symbol or array entry is unreadable.
  Result<uint64_t> per_cpu_offset(int cpu);
  // Address of per-CPU variable `name` on `cpu`.
  Result<uint64_t> per_cpu_address(std::string_view name, int cpu);
  // rq->curr of `cpu` (the task running there at the crash).
  Result<uint64_t> current_task(int cpu);
  // Every task: the idle task of each of ncpus CPUs, then init_task.tasks and each thread
  // group. Unreadable entries end that list walk with a note, never the whole listing.
  Result<std::vector<TaskInfo>> list_tasks(int ncpus, std::vector<std::string>& notes);
  // The task whose kernel stack [stack, stack + thread_size) holds sp, or NotPresent.
  static std::optional<TaskInfo> task_by_stack(const std::vector<TaskInfo>& tasks, uint64_t sp, uint64_t thread_size);

 private:
  Result<std::vector<uint64_t>> walk_list(uint64_t head, uint64_t member_off, size_t limit, std::vector<std::string>& notes);
  VirtReader& mem_;
  TypeLayout& layout_;
};

}  // namespace kdx::kernel
