// Titles for each crash kind, on small console logs written for these tests in the kernel's formats.
#include <gtest/gtest.h>

#include "kdx/analysis/oops_report.hpp"

using kdx::analysis::analyze_log;

namespace {

std::string title_of(const std::string& log) {
  auto r = analyze_log(log);
  return r.title.value_or("<none>");
}

}  // namespace

TEST(OopsKinds, NoCrash) {
  auto r = analyze_log("[    0.000000] Linux version 6.1.0\n[    1.5] eth0: link up\n");
  EXPECT_FALSE(r.title);
  EXPECT_TRUE(r.frames.empty());
}

TEST(OopsKinds, NullDerefX86New) {
  auto log = R"([  100.000001] BUG: kernel NULL pointer dereference, address: 0000000000000010
[  100.000002] #PF: supervisor read access in kernel mode
[  100.000003] #PF: error_code(0x0000) - not-present page
[  100.000004] Oops: 0000 [#1] PREEMPT SMP NOPTI
[  100.000005] RIP: 0010:mydrv_poll+0x12/0x80 [mydrv]
[  100.000006] Call Trace:
[  100.000007]  <TASK>
[  100.000008]  do_sys_poll+0x1f0/0x4a0
[  100.000009]  __x64_sys_poll+0x3e/0x140
[  100.000010]  do_syscall_64+0x3b/0x90
[  100.000011]  entry_SYSCALL_64_after_hwframe+0x63/0xcd
)";
  auto r = analyze_log(log);
  ASSERT_TRUE(r.title);
  EXPECT_EQ(*r.title, "BUG: unable to handle kernel NULL pointer dereference in mydrv_poll");
  EXPECT_EQ(r.type, "NULL-POINTER-DEREFERENCE");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(r.fault->address_class, "null+offset");
  EXPECT_EQ(r.fault->access, "read");
  EXPECT_EQ(r.frames[0].module, "mydrv");
}

TEST(OopsKinds, GeneralProtectionFaultNonCanonical) {
  auto log = R"([   50.1] general protection fault, probably for non-canonical address 0xdead000000000122: 0000 [#1] SMP
[   50.2] CPU: 0 PID: 1 Comm: init Not tainted 6.1.0 #1
[   50.3] RIP: 0010:__list_del_entry+0x1d/0x60
[   50.4] Call Trace:
[   50.5]  <TASK>
[   50.6]  foo_remove_item+0x33/0x90 [foo]
[   50.7]  foo_release+0x51/0x70 [foo]
[   50.8]  __fput+0xee/0x2a0
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "general protection fault in foo_remove_item");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(r.fault->trap.value_or(-1), 13);
  EXPECT_EQ(r.fault->address.value_or(0), 0xdead000000000122ULL);
  EXPECT_EQ(r.fault->address_class, "non-canonical");
}

TEST(OopsKinds, WarningUsesFunctionFromHeader) {
  auto log = R"([   10.0] ------------[ cut here ]------------
[   10.1] WARNING: CPU: 1 PID: 42 at net/core/dev.c:1234 netdev_fix_it+0x10/0x20
[   10.2] Modules linked in:
[   10.3] RIP: 0010:netdev_fix_it+0x10/0x20
[   10.4] Call Trace:
[   10.5]  register_netdevice+0x100/0x200
[   10.6] ---[ end trace 0000000000000000 ]---
)";
  EXPECT_EQ(title_of(log), "WARNING in netdev_fix_it");
}

TEST(OopsKinds, RefcountWarningNamesCaller) {
  auto log = R"([   10.0] refcount_t: underflow; use-after-free.
[   10.1] WARNING: CPU: 0 PID: 9 at lib/refcount.c:28 refcount_warn_saturate+0xba/0x110
[   10.2] Call Trace:
[   10.3]  <TASK>
[   10.4]  __refcount_sub_and_test+0x20/0x30
[   10.5]  widget_put+0x44/0x60
[   10.6]  widget_close+0x12/0x30
)";
  EXPECT_EQ(title_of(log), "WARNING: refcount bug in widget_put");
}

TEST(OopsKinds, KernelBugAt) {
  auto log = R"([   5.0] kernel BUG at fs/ext4/inode.c:1234!
[   5.1] invalid opcode: 0000 [#1] SMP
[   5.2] RIP: 0010:ext4_do_thing+0x99/0x100
[   5.3] Call Trace:
[   5.4]  ext4_caller+0x10/0x20
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "kernel BUG in ext4_do_thing");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(r.fault->trap.value_or(-1), 6);
}

TEST(OopsKinds, KasanUseAfterFreeWithStacks) {
  auto log = R"([   20.0] ==================================================================
[   20.1] BUG: KASAN: use-after-free in rb_erase+0x1c/0x400
[   20.2] Read of size 8 at addr ffff888012345678 by task a.out/77
[   20.3] Call Trace:
[   20.4]  dump_stack_lvl+0x4a/0x63
[   20.5]  kasan_report+0xb8/0xf0
[   20.6]  rb_erase+0x1c/0x400
[   20.7]  timer_del+0x30/0x50
[   20.8]  do_thing+0x1/0x2
[   20.9]
[   21.0] Allocated by task 70:
[   21.1]  kasan_save_stack+0x1e/0x40
[   21.2]  __kmalloc+0x10/0x20
[   21.3]  timer_create+0x22/0x90
[   21.4]
[   21.5] Freed by task 71:
[   21.6]  kasan_save_stack+0x1e/0x40
[   21.7]  kfree+0x10/0x20
[   21.8]  timer_destroy+0x22/0x90
[   21.9]
[   22.0] The buggy address belongs to the object at ffff888012345600
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "KASAN: use-after-free Read in timer_del");
  ASSERT_TRUE(r.sanitizer);
  EXPECT_EQ(r.sanitizer->kind, "use-after-free");
  EXPECT_EQ(r.sanitizer->access, "Read");
  EXPECT_EQ(r.sanitizer->size.value_or(0), 8u);
  EXPECT_EQ(r.sanitizer->address.value_or(0), 0xffff888012345678ULL);
  ASSERT_EQ(r.sanitizer->alloc_stack.size(), 3u);
  EXPECT_EQ(r.sanitizer->alloc_stack[2].function, "timer_create");
  ASSERT_EQ(r.sanitizer->free_stack.size(), 3u);
  EXPECT_EQ(r.sanitizer->free_stack[2].function, "timer_destroy");
  for (const auto& f : r.frames) EXPECT_NE(f.function, "timer_create");
}

TEST(OopsKinds, SoftLockupUsesCalleeOfDispatch) {
  auto log = R"([  60.0] watchdog: BUG: soft lockup - CPU#0 stuck for 22s! [spin:99]
[  60.1] Call Trace:
[  60.2]  <IRQ>
[  60.3]  watchdog_timer_fn+0x1b0/0x210
[  60.4]  __hrtimer_run_queues+0x100/0x280
[  60.5]  hrtimer_interrupt+0x100/0x220
[  60.6]  __sysvec_apic_timer_interrupt+0x5c/0xe0
[  60.7]  </IRQ>
[  60.8]  <TASK>
[  60.9]  asm_sysvec_apic_timer_interrupt+0x1b/0x20
[  61.0] RIP: 0010:busy_helper+0x5/0x10 [busy]
[  61.1]  busy_forever+0x20/0x40 [busy]
[  61.2]  busy_write+0x30/0x50 [busy]
[  61.3]  vfs_write+0xb9/0x270
[  61.4]  ksys_write+0x67/0xf0
[  61.5]  do_syscall_64+0x5c/0xc0
)";
  EXPECT_EQ(title_of(log), "BUG: soft lockup in busy_write");
}

TEST(OopsKinds, HungTaskSkipsWaitPrimitives) {
  auto log = R"([ 300.0] INFO: task kworker/0:1:12 blocked for more than 143 seconds.
[ 300.1]       Not tainted 6.1.0 #1
[ 300.2] Call Trace:
[ 300.3]  <TASK>
[ 300.4]  __schedule+0x2f0/0x950
[ 300.5]  schedule+0x5d/0xd0
[ 300.6]  schedule_preempt_disabled+0x14/0x30
[ 300.7]  __mutex_lock.constprop.0+0x3a8/0x6c0
[ 300.8]  rtnl_lock+0x15/0x20
[ 300.9]  linkwatch_event+0xa/0x30
)";
  EXPECT_EQ(title_of(log), "INFO: task hung in rtnl_lock");
}

TEST(OopsKinds, RcuStallWithSyscallName) {
  auto log = R"([  80.0] rcu: INFO: rcu_preempt self-detected stall on CPU
[  80.1] Call Trace:
[  80.2]  <IRQ>
[  80.3]  rcu_dump_cpu_stacks+0x100/0x150
[  80.4]  rcu_sched_clock_irq+0x400/0x900
[  80.5]  update_process_times+0x80/0xa0
[  80.6]  </IRQ>
[  80.7] RIP: 0010:loop_body+0x10/0x20
[  80.8]  do_lots+0x50/0x90
[  80.9]  __x64_sys_lots+0x20/0x30
[  81.0]  do_syscall_64+0x5c/0xc0
)";
  EXPECT_EQ(title_of(log), "INFO: rcu detected stall in sys_lots");
}

TEST(OopsKinds, LockdepDeadlockUsesStackBacktrace) {
  auto log = R"([ 9.0] ======================================================
[ 9.1] WARNING: possible circular locking dependency detected
[ 9.2] 6.1.0 #1 Not tainted
[ 9.3] ------------------------------------------------------
[ 9.4] a.out/5 is trying to acquire lock:
[ 9.5] ffff888000000010 (&b->lock){+.+.}-{3:3}, at: take_b+0x10/0x20
[ 9.6] 
[ 9.7] but task is already holding lock:
[ 9.8] ffff888000000020 (&a->lock){+.+.}-{3:3}, at: take_a+0x10/0x20
[ 9.9] stack backtrace:
[10.0] Call Trace:
[10.1]  dump_stack_lvl+0x4a/0x63
[10.2]  check_noncircular+0xfe/0x110
[10.3]  __lock_acquire+0x1000/0x1f00
[10.4]  lock_acquire+0xc2/0x2b0
[10.5]  __mutex_lock+0x80/0x700
[10.6]  take_b+0x10/0x20
[10.7]  do_both+0x10/0x20
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "possible deadlock in take_b");
  EXPECT_EQ(r.type, "LOCKDEP");
}

TEST(OopsKinds, KernelPanicMessageIsNormalised) {
  auto log = "[ 1.0] Kernel panic - not syncing: VFS: Unable to mount root fs on unknown-block(0,0)\n";
  EXPECT_EQ(title_of(log), "kernel panic: VFS: Unable to mount root fs on unknown-block(NUM,NUM)");
}

TEST(OopsKinds, PanicAfterOopsKeepsOopsTitle) {
  auto log = R"([ 1.0] BUG: unable to handle page fault for address: ffffc90000100000
[ 1.1] #PF: supervisor write access in kernel mode
[ 1.2] #PF: error_code(0x0002) - not-present page
[ 1.3] Oops: 0002 [#1] SMP
[ 1.4] RIP: 0010:fill_buf+0x3/0x30
[ 1.5] Call Trace:
[ 1.6]  fill_all+0x10/0x40
[ 1.7] Kernel panic - not syncing: Fatal exception
)";
  EXPECT_EQ(title_of(log), "BUG: unable to handle kernel paging request in fill_buf");
}

TEST(OopsKinds, MemoryLeakSkipsAllocator) {
  auto log = R"(BUG: memory leak
unreferenced object 0xffff888012340000 (size 64):
  comm "a.out", pid 3, jiffies 4294967296 (age 10.000s)
  backtrace:
    [<ffffffff81000000>] kmemleak_alloc+0x1/0x2
    [<ffffffff81000010>] kmalloc_trace+0x26/0x60
    [<ffffffff81000020>] leaky_open+0x30/0x90
    [<ffffffff81000030>] do_dentry_open+0x1/0x2
)";
  EXPECT_EQ(title_of(log), "memory leak in leaky_open");
}

TEST(OopsKinds, Arm64NullDeref) {
  auto log = R"([ 3.0] Unable to handle kernel NULL pointer dereference at virtual address 0000000000000008
[ 3.1] Mem abort info:
[ 3.2]   ESR = 0x0000000096000046
[ 3.3] Internal error: Oops: 0000000096000046 [#1] PREEMPT SMP
[ 3.4] pc : my_write+0x14/0x40
[ 3.5] lr : my_caller+0x20/0x50
[ 3.6] Call trace:
[ 3.7]  my_write+0x14/0x40
[ 3.8]  my_caller+0x20/0x50
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "BUG: unable to handle kernel NULL pointer dereference in my_write");
  ASSERT_TRUE(r.fault);
  EXPECT_EQ(r.fault->access, "write");
  EXPECT_EQ(r.fault->address_class, "null+offset");
}

TEST(OopsKinds, TruncatedReportIsCorrupted) {
  auto log = "[ 7.0] BUG: unable to handle kernel paging request at ffff88002bde1e40\n"
             "[ 7.1] IP: [<ffffffff82d4e304>] __memset+0x24/0x30\n";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "BUG: unable to handle kernel paging request in corrupted");
  EXPECT_TRUE(r.corrupted);
}

TEST(OopsKinds, InterleavedCallersAreSeparated) {
  auto log = R"([ 5.0][ T100] BUG: kernel NULL pointer dereference, address: 0000000000000000
[ 5.1][ T100] RIP: 0010:first_func+0x1/0x10
[ 5.2][ T200] other_task_func+0x1/0x10
[ 5.3][ T100] Call Trace:
[ 5.4][ T100]  caller_func+0x1/0x10
)";
  auto r = analyze_log(log);
  for (const auto& f : r.frames) EXPECT_NE(f.function, "other_task_func");
  EXPECT_EQ(r.title.value_or(""), "BUG: unable to handle kernel NULL pointer dereference in first_func");
}

TEST(OopsKinds, UserSpaceTrapIsNotACrash) {
  auto r = analyze_log("[ 36.8][ T3615] traps: a.out[3615] general protection fault ip:7feb96eb56a1 sp:20000fd0 "
                       "error:0 in a.out[7feb96e75000+84000]\n");
  EXPECT_FALSE(r.title);
}
