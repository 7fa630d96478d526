// Tests of the task-list and runqueue readers on a synthetic kernel memory.
#include <gtest/gtest.h>

#include <cstring>

#include "kdx/kernel/tasks.hpp"
#include "support/fake_virt_memory.hpp"

using namespace kdx;
using namespace kdx::kernel;

namespace {

// A made-up but self-consistent task_struct layout (offsets come from the table, as they
// would from DWARF; nothing in the reader may assume them).
struct World {
  test::FakeVirtMemory mem;
  TableLayout layout;
  static constexpr uint64_t kTaskSize = 0x200, kInit = 0xffffffff82000000, kPcpu = 0xffffffff82100000,
                            kRunqueues = 0x30000;
  World() {
    layout.offsets = {{"task_struct.__state", 0x18}, {"task_struct.stack", 0x20}, {"task_struct.cpu", 0x28},
                      {"task_struct.tasks", 0x40},   {"task_struct.pid", 0x80},   {"task_struct.tgid", 0x84},
                      {"task_struct.real_parent", 0x88}, {"task_struct.thread_group", 0x90},
                      {"task_struct.comm", 0x100},   {"task_struct.exit_state", 0x110},
                      {"rq.curr", 0x8},              {"rq.idle", 0x10}};
    layout.symbols = {{"init_task", kInit}, {"__per_cpu_offset", kPcpu}, {"runqueues", kRunqueues}};
    mem.fill(kPcpu, 16);
  }
  void task(uint64_t a, int pid, int tgid, const char* comm, uint32_t state, uint64_t parent, uint64_t stack = 0) {
    mem.fill(a, kTaskSize);
    mem.put<uint32_t>(a + 0x18, state);
    mem.put<uint64_t>(a + 0x20, stack);
    mem.put<int32_t>(a + 0x80, pid);
    mem.put<int32_t>(a + 0x84, tgid);
    mem.put<uint64_t>(a + 0x88, parent);
    char c[16] = {};
    strncpy(c, comm, 15);
    mem.write(a + 0x100, c, 16);
    // empty thread_group list
    mem.put<uint64_t>(a + 0x90, a + 0x90);
  }
  void link(std::vector<uint64_t> ring, uint64_t off) {  // circular list through member off
    for (size_t i = 0; i < ring.size(); i++) mem.put<uint64_t>(ring[i] + off, ring[(i + 1) % ring.size()] + off);
  }
  void cpu(int n, uint64_t pcpu_off, uint64_t curr, uint64_t idle) {
    mem.put<uint64_t>(kPcpu + n * 8, pcpu_off);
    mem.put<uint64_t>(kRunqueues + pcpu_off + 0x8, curr);
    mem.put<uint64_t>(kRunqueues + pcpu_off + 0x10, idle);
  }
};

}  // namespace

TEST(Tasks, ListsIdleLeadersAndThreadsAndMarksActive) {
  World w;
  const uint64_t t1 = 0xffff888001000000, t2 = 0xffff888001001000, t2b = 0xffff888001002000,
                 idle1 = 0xffff888001003000;
  w.task(World::kInit, 0, 0, "swapper/0", 0, World::kInit);
  w.task(t1, 1, 1, "init", 1, World::kInit);
  w.task(t2, 42, 42, "insmod", 0, t1, 0xffffc90000010000);
  w.task(t2b, 43, 42, "insmod-worker", 0x402, t1);
  w.task(idle1, 0, 0, "swapper/1", 0, World::kInit);
  w.link({World::kInit, t1, t2}, 0x40);
  w.link({t2, t2b}, 0x90);
  w.cpu(0, 0x0, World::kInit, World::kInit);
  w.cpu(1, 0x100000, t2, idle1);
  TaskReader r(w.mem, w.layout);
  std::vector<std::string> notes;
  auto tasks = r.list_tasks(2, notes);
  ASSERT_TRUE(tasks) << tasks.error().to_string();
  ASSERT_EQ(tasks->size(), 5u);
  EXPECT_EQ((*tasks)[0].comm, "swapper/0");
  EXPECT_EQ((*tasks)[1].comm, "swapper/1");
  EXPECT_EQ((*tasks)[3].pid, 42);
  EXPECT_EQ((*tasks)[3].ppid, 1);
  EXPECT_TRUE((*tasks)[3].active);
  EXPECT_EQ((*tasks)[3].active_cpu, 1);
  EXPECT_EQ((*tasks)[4].comm, "insmod-worker");
  EXPECT_EQ((*tasks)[4].state_name, "ID");
  EXPECT_EQ((*tasks)[2].state_name, "IN");
  EXPECT_TRUE(notes.empty());
  auto by_stack = TaskReader::task_by_stack(*tasks, 0xffffc90000013f00, 0x4000);
  ASSERT_TRUE(by_stack);
  EXPECT_EQ(by_stack->pid, 42);
  EXPECT_EQ(r.current_task(1).value(), t2);
}

TEST(Tasks, CyclicListStopsWithANote) {
  World w;
  const uint64_t t1 = 0xffff888001000000, t2 = 0xffff888001001000;
  w.task(World::kInit, 0, 0, "swapper/0", 0, World::kInit);
  w.task(t1, 1, 1, "init", 1, World::kInit);
  w.task(t2, 2, 2, "kthreadd", 1, World::kInit);
  // init_task -> t1 -> t2 -> t1 ... never back to init_task
  w.mem.put<uint64_t>(World::kInit + 0x40, t1 + 0x40);
  w.mem.put<uint64_t>(t1 + 0x40, t2 + 0x40);
  w.mem.put<uint64_t>(t2 + 0x40, t1 + 0x40);
  w.cpu(0, 0, World::kInit, World::kInit);
  TaskReader r(w.mem, w.layout);
  std::vector<std::string> notes;
  auto tasks = r.list_tasks(1, notes);
  ASSERT_TRUE(tasks);
  EXPECT_EQ(tasks->size(), 3u);
  ASSERT_FALSE(notes.empty());
  EXPECT_NE(notes[0].find("loops back"), std::string::npos);
}

TEST(Tasks, StateNames) {
  EXPECT_EQ(task_state_name(0, 0), "RU");
  EXPECT_EQ(task_state_name(2, 0), "UN");
  EXPECT_EQ(task_state_name(0, 0x20), "ZO");
  EXPECT_EQ(task_state_name(0x402, 0), "ID");
}

TEST(Tasks, MissingLayoutIsAnError) {
  test::FakeVirtMemory mem;
  TableLayout empty;
  TaskReader r(mem, empty);
  std::vector<std::string> notes;
  auto tasks = r.list_tasks(1, notes);
  ASSERT_FALSE(tasks);
  EXPECT_EQ(tasks.error().code, ErrorCode::NotPresent);
}

#include "kdx/kernel/system_info.hpp"

TEST(SystemInfo, ReadsUtsnameAtLayoutOffset) {
  test::FakeVirtMemory mem;
  TableLayout L;
  L.symbols = {{"init_uts_ns", 0xffffffff82612340}};
  L.offsets = {{"uts_namespace.name", 8}};
  mem.fill(0xffffffff82612340, 8 + 6 * 65);
  mem.write(0xffffffff82612340 + 8, "Linux", 5);
  mem.write(0xffffffff82612340 + 8 + 65, "kdx-vm", 6);
  mem.write(0xffffffff82612340 + 8 + 130, "6.1.0-kdx", 9);
  mem.write(0xffffffff82612340 + 8 + 260, "x86_64", 6);
  auto u = read_utsname(mem, L);
  ASSERT_TRUE(u) << u.error().to_string();
  EXPECT_EQ(u->release, "6.1.0-kdx");
  EXPECT_EQ(u->nodename, "kdx-vm");
  EXPECT_EQ(u->machine, "x86_64");
  L.offsets.clear();
  EXPECT_FALSE(read_utsname(mem, L));
}
