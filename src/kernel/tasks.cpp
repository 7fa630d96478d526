// Task list, runqueue and per-CPU readers; layouts come from TypeLayout, never hard-coded.
#include "kdx/kernel/tasks.hpp"

#include <cstring>
#include <set>

namespace kdx::kernel {
namespace {
constexpr size_t kMaxTasks = 1 << 20;  // bounds a corrupt (cyclic) list walk
}

std::string task_state_name(uint64_t state, uint64_t exit_state) {
  // exit_state: EXIT_DEAD 0x10, EXIT_ZOMBIE 0x20 (sched.h); they win over __state.
  if (exit_state & 0x20) return "ZO";
  if (exit_state & 0x10) return "DE";
  if (state == 0) return "RU";
  if ((state & 0x402) == 0x402) return "ID";  // TASK_IDLE = UNINTERRUPTIBLE | NOLOAD
  if (state & 0x1) return "IN";
  if (state & 0x2) return "UN";
  if (state & 0x4) return "ST";
  if (state & 0x8) return "TR";
  if (state & 0x40) return "PA";
  if (state & 0x80) return "DE";
  if (state & 0x200) return "WA";
  if (state & 0x800) return "NE";
  return "??";
}

Result<TaskInfo> TaskReader::read_task(uint64_t addr) {
  TaskInfo t;
  t.addr = addr;
  auto off_pid = layout_.member_offset("task_struct", "pid");
  auto off_tgid = layout_.member_offset("task_struct", "tgid");
  auto off_comm = layout_.member_offset("task_struct", "comm");
  if (!off_pid) return std::unexpected(off_pid.error());
  if (!off_comm) return std::unexpected(off_comm.error());
  auto pid = mem_.read<int32_t>(addr + *off_pid);
  if (!pid) return std::unexpected(pid.error());
  t.pid = *pid;
  if (off_tgid)
    if (auto v = mem_.read<int32_t>(addr + *off_tgid)) t.tgid = *v;
  char comm[16] = {};
  if (auto r = mem_.read_virt(addr + *off_comm, std::span<uint8_t>(reinterpret_cast<uint8_t*>(comm), 16)); !r)
    return std::unexpected(r.error());
  t.comm.assign(comm, strnlen(comm, 16));
  // __state since 5.14 (unsigned int); `state` (long) before.
  if (auto o = layout_.member_offset("task_struct", "__state")) {
    if (auto v = mem_.read<uint32_t>(addr + *o)) t.state = *v;
  } else if (auto o2 = layout_.member_offset("task_struct", "state")) {
    if (auto v = mem_.read<uint64_t>(addr + *o2)) t.state = *v;
  }
  if (auto o = layout_.member_offset("task_struct", "exit_state"))
    if (auto v = mem_.read<uint32_t>(addr + *o)) t.exit_state = *v;
  t.state_name = task_state_name(t.state, t.exit_state);
  // task_struct.cpu with THREAD_INFO_IN_TASK (x86_64, arm64 since 5.x); thread_info.cpu before.
  if (auto o = layout_.member_offset("task_struct", "cpu")) {
    if (auto v = mem_.read<uint32_t>(addr + *o)) t.cpu = int(*v);
  } else if (auto o2 = layout_.member_offset("task_struct", "thread_info.cpu")) {
    if (auto v = mem_.read<uint32_t>(addr + *o2)) t.cpu = int(*v);
  }
  if (auto o = layout_.member_offset("task_struct", "stack"))
    if (auto v = mem_.read_u64(addr + *o)) t.stack = *v;
  if (auto o = layout_.member_offset("task_struct", "real_parent"))
    if (auto parent = mem_.read_u64(addr + *o); parent && *parent)
      if (auto pp = mem_.read<int32_t>(*parent + *off_pid)) t.ppid = *pp;
  return t;
}

Result<TaskMm> TaskReader::read_task_mm(uint64_t addr) {
  auto off_mm = layout_.member_offset("task_struct", "mm");
  if (!off_mm) return std::unexpected(off_mm.error());
  auto mm = mem_.read_u64(addr + *off_mm);
  if (!mm) return std::unexpected(mm.error());
  if (*mm == 0)
    return make_error(ErrorCode::NotPresent, "task {:#x} has no user address space (mm is NULL: a kernel thread)", addr);
  TaskMm out;
  out.mm = *mm;
  auto off_pgd = layout_.member_offset("mm_struct", "pgd");
  if (!off_pgd) return std::unexpected(off_pgd.error());
  auto pgd = mem_.read_u64(*mm + *off_pgd);
  if (!pgd) return std::unexpected(pgd.error());
  out.pgd = *pgd;
  struct Field {
    const char* name;
    uint64_t* dest;
  } fields[] = {{"start_code", &out.start_code}, {"end_code", &out.end_code},       {"start_data", &out.start_data},
                {"end_data", &out.end_data},     {"start_brk", &out.start_brk},     {"brk", &out.brk},
                {"start_stack", &out.start_stack}, {"arg_start", &out.arg_start}, {"arg_end", &out.arg_end},
                {"env_start", &out.env_start},   {"env_end", &out.env_end},         {"mmap_base", &out.mmap_base}};
  for (const Field& f : fields)
    if (auto o = layout_.member_offset("mm_struct", f.name))
      if (auto v = mem_.read_u64(*mm + *o)) *f.dest = *v;
  return out;
}

Result<uint64_t> TaskReader::per_cpu_offset(int cpu) {
  auto base = layout_.symbol_address("__per_cpu_offset");
  if (!base) return std::unexpected(base.error());
  return mem_.read_u64(*base + uint64_t(cpu) * 8);
}

Result<uint64_t> TaskReader::per_cpu_address(std::string_view name, int cpu) {
  auto sym = layout_.symbol_address(name);
  if (!sym) return std::unexpected(sym.error());
  auto off = per_cpu_offset(cpu);
  if (!off) return std::unexpected(off.error());
  return *sym + *off;
}

Result<uint64_t> TaskReader::current_task(int cpu) {
  auto rq = per_cpu_address("runqueues", cpu);
  if (!rq) return std::unexpected(rq.error());
  auto curr = layout_.member_offset("rq", "curr");
  if (!curr) return std::unexpected(curr.error());
  return mem_.read_u64(*rq + *curr);
}

Result<std::vector<uint64_t>> TaskReader::walk_list(uint64_t head, uint64_t member_off, size_t limit,
                                                    std::vector<std::string>& notes) {
  std::vector<uint64_t> out;
  std::set<uint64_t> seen;
  auto next = mem_.read_u64(head);
  if (!next) return std::unexpected(next.error());
  uint64_t p = *next;
  while (p != head) {
    if (!seen.insert(p).second || out.size() >= limit) {
      notes.push_back(fmt::format("list at {:#x} loops back to {:#x} without returning to its head; stopped", head, p));
      break;
    }
    out.push_back(p - member_off);
    auto n = mem_.read_u64(p);
    if (!n) {
      notes.push_back(fmt::format("list at {:#x}: entry {:#x} unreadable ({}); stopped", head, p, n.error().message));
      break;
    }
    p = *n;
  }
  return out;
}

Result<std::vector<TaskInfo>> TaskReader::list_tasks(int ncpus, std::vector<std::string>& notes) {
  auto init = layout_.symbol_address("init_task");
  if (!init) return std::unexpected(init.error());
  auto tasks_off = layout_.member_offset("task_struct", "tasks");
  if (!tasks_off) return std::unexpected(tasks_off.error());
  auto group_off = layout_.member_offset("task_struct", "thread_group");
  std::vector<uint64_t> addrs;
  std::set<uint64_t> seen;
  auto add = [&](uint64_t a) {
    if (seen.insert(a).second) addrs.push_back(a);
  };
  // Idle tasks first, as crash lists them: swapper/N is rq->idle of each CPU.
  auto idle_off = layout_.member_offset("rq", "idle");
  for (int cpu = 0; cpu < ncpus && idle_off; cpu++) {
    auto rq = per_cpu_address("runqueues", cpu);
    if (!rq) break;
    if (auto idle = mem_.read_u64(*rq + *idle_off); idle && *idle) add(*idle);
  }
  add(*init);
  auto leaders = walk_list(*init + *tasks_off, *tasks_off, kMaxTasks, notes);
  if (!leaders) return std::unexpected(leaders.error());
  for (uint64_t leader : *leaders) {
    add(leader);
    if (!group_off) continue;
    if (auto threads = walk_list(leader + *group_off, *group_off, kMaxTasks, notes))
      for (uint64_t t : *threads) add(t);
  }
  std::vector<uint64_t> active(ncpus, 0);
  for (int cpu = 0; cpu < ncpus; cpu++)
    if (auto c = current_task(cpu)) active[cpu] = *c;
  std::vector<TaskInfo> out;
  for (uint64_t a : addrs) {
    auto t = read_task(a);
    if (!t) {
      notes.push_back(fmt::format("task {:#x} unreadable: {}", a, t.error().message));
      continue;
    }
    for (int cpu = 0; cpu < ncpus; cpu++)
      if (active[cpu] == a) {
        t->active = true;
        t->active_cpu = cpu;
      }
    out.push_back(std::move(*t));
  }
  return out;
}

std::optional<TaskInfo> TaskReader::task_by_stack(const std::vector<TaskInfo>& tasks, uint64_t sp, uint64_t thread_size) {
  for (const auto& t : tasks)
    if (t.stack && sp >= t.stack && sp < t.stack + thread_size) return t;
  return std::nullopt;
}

}  // namespace kdx::kernel
