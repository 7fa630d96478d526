// Title rules added for syzkaller's frame choice and corruption vocabulary, each on a small log
// written for the test in the kernel's message formats.
#include <gtest/gtest.h>

#include "kdx/analysis/oops_lines.hpp"
#include "kdx/analysis/oops_report.hpp"
#include "kdx/analysis/title_rules.hpp"

using kdx::analysis::analyze_log;
using kdx::analysis::is_skipped_frame;

namespace {

std::string title_of(const std::string& log) { return analyze_log(log).title.value_or("<none>"); }

}  // namespace

// Lock wrappers and allocation wrappers are skipped wherever the fragment sits in the name.
TEST(OopsTitles, SkipFragmentsAnywhereInName) {
  EXPECT_TRUE(is_skipped_frame("myfs_write_lock"));
  EXPECT_TRUE(is_skipped_frame("perf_trace_destroy"));
  EXPECT_TRUE(is_skipped_frame("test_kmalloc_oob_write"));
  EXPECT_FALSE(is_skipped_frame("myfs_readdir"));
  auto log = R"([  464.1] general protection fault, probably for non-canonical address 0xdffffc0000000003: 0000 [#1] PREEMPT SMP KASAN
[  464.2] CPU: 0 PID: 13181 Comm: syz-executor.2 Not tainted 5.15.0 #0
[  464.3] RIP: 0010:mutex_optimistic_spin+0x12d/0x2d0
[  464.4] Call Trace:
[  464.5]  <TASK>
[  464.6]  __mutex_lock_common+0x210/0x26c0
[  464.7]  mutex_lock_nested+0x17/0x20
[  464.8]  myfs_write_lock+0x77/0xd0
[  464.9]  myfs_readdir+0x170/0x1470
[  465.0]  iterate_dir+0x257/0x5f0
)";
  EXPECT_EQ(title_of(log), "general protection fault in myfs_readdir");
}

// Circular dependency: the site of the lock being acquired, else the site of the held lock,
// before the task's stack.
TEST(OopsTitles, CircularLockingBlamesLockSites) {
  auto log = R"([   25.1] ======================================================
[   25.2] WARNING: possible circular locking dependency detected
[   25.3] 4.15.0 #1 Not tainted
[   25.4] ------------------------------------------------------
[   25.5] syz/3663 is trying to acquire lock:
[   25.6]  (event_mutex){+.+.}, at: [<00000000df5c386a>] perf_trace_destroy+0x28/0x100
[   25.7] 
[   25.7] but task is already holding lock:
[   25.8]  (&event->child_mutex){+.+.}, at: [<00000000aedc3ceb>] myperf_release_event+0x2ea/0xc10
[   25.9] 
[   25.9] the existing dependency chain (in reverse order) is:
[   26.0] -> #1 (&event->child_mutex){+.+.}:
[   26.1]        __mutex_lock+0x16f/0x1a80
[   26.2]        other_path+0x8a/0x150
[   26.3] 
[   26.4] stack backtrace:
[   26.5] CPU: 0 PID: 3663 Comm: syz Not tainted 4.15.0 #1
[   26.6] Call Trace:
[   26.7]  dump_stack+0x194/0x257
[   26.8]  __lock_acquire+0x30a8/0x3e00
[   26.9]  perf_trace_destroy+0x28/0x100
[   27.0]  tp_event_destroy+0x15/0x20
[   27.1]  myperf_release_event+0x54e/0xc10
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "possible deadlock in myperf_release_event");
  EXPECT_FALSE(r.corrupted);
}

// irq-safe -> irq-unsafe: the stack that made the lock irq-safe names the inversion.
TEST(OopsTitles, IrqSafeToUnsafeUsesBecameSafeStack) {
  auto log = R"([ 1137.1][ T6133] =====================================================
[ 1137.2][ T6133] WARNING: HARDIRQ-safe -> HARDIRQ-unsafe lock order detected
[ 1137.3][ T6133] syz/6133 [HC0[0]:SC0[0]:HE0:SE1] is trying to acquire:
[ 1137.4][ T6133] ffff888026df22b8 (&new->fa_lock){.+.+}-{2:2}, at: kill_fasync+0x14b/0x460
[ 1137.5][ T6133] 
[ 1137.6][ T6133] ... which became HARDIRQ-irq-safe at:
[ 1137.7][ T6133]   lock_acquire+0x29d/0x740
[ 1137.8][ T6133]   _raw_spin_lock_irqsave+0x39/0x50
[ 1137.9][ T6133]   myring_timeout_fn+0x6f/0x3d0
[ 1138.0][ T6133]   __hrtimer_run_queues+0x693/0xea0
[ 1138.1][ T6133] 
[ 1138.2][ T6133] stack backtrace:
[ 1138.3][ T6133] Call Trace:
[ 1138.4][ T6133]  dump_stack+0x107/0x163
[ 1138.5][ T6133]  kill_fasync+0x14b/0x460
)";
  EXPECT_EQ(title_of(log), "possible deadlock in myring_timeout_fn");
}

// A lockdep splat cut off after its "Call Trace:" (no "stack backtrace:") still has its stack.
TEST(OopsTitles, LockdepWithCallTraceIsNotCorrupted) {
  auto log = R"([ 1740.1][    C0] WARNING: possible circular locking dependency detected
[ 1740.2][    C0] syz/31457 is trying to acquire lock:
[ 1740.3][    C0] ffffffff8600aef8 ((console_sem).lock){-.-.}, at: down_trylock+0x13/0x70
[ 1740.4][    C0] 
[ 1740.5][    C0] but task is already holding lock:
[ 1740.6][    C0] ffff88006c849558 (&rq->lock){-.-.}, at: mytick_handler+0x17e/0xb00
[ 1740.7][    C0] Call Trace:
[ 1740.8][    C0]  dump_stack+0x175/0x1dd
[ 1740.9][    C0]  down_trylock+0x13/0x70
[ 1741.0][    C0]  mytick_handler.cold+0x8c/0x258
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "possible deadlock in mytick_handler");
  EXPECT_FALSE(r.corrupted) << r.corrupted_reason;
}

// Hashed "(ptrval)" pointers instead of hex addresses: one title for both unwinder complaints.
TEST(OopsTitles, StackRegsWithHashedPointers) {
  EXPECT_EQ(title_of("[   26.1] WARNING: kernel stack regs at         (ptrval) in syz:4493 has bad 'bp' value         (ptrval)\n"),
            "WARNING: kernel stack regs has bad value");
  EXPECT_EQ(title_of("[   26.1] WARNING: kernel stack regs at ffff8801d100fea8 in syz:16059 has bad 'bp' value ffff8801d100ff28\n"),
            "WARNING: kernel stack regs has bad 'bp' value");
}

// Old SLUB-debug notes left alone by a lost KASAN header.
TEST(OopsTitles, SlubFreedNoteIsCorrupted) {
  auto r = analyze_log(
      "[   96.0] netlink: 5 bytes leftover after parsing attributes\n"
      "** 4418 printk messages dropped ** [   96.048505] INFO: Freed in fasync_free_rcu+0x14/0x20 age=57 cpu=0 pid=18338\n");
  EXPECT_EQ(r.title.value_or(""), "INFO: Freed in fasync_free_rcu age=NUM cpu=NUM pid=NUM");
  EXPECT_TRUE(r.corrupted);
}

// 3.x KASAN "on address" headers carry no function; the access comes after blank lines.
TEST(OopsTitles, KasanOnAddress) {
  auto r = analyze_log(
      "[23818.431954] BUG: KASAN: null-ptr-deref on address           (null)\n\n"
      "[23818.438140] Read of size 4 by task syz-executor/22534\n\n"
      "[23818.443211] CPU: 3 PID: 22534 Comm: syz-executor Tainted: G     U         3.18.0 #78\n");
  EXPECT_EQ(r.title.value_or(""), "KASAN: null-ptr-deref Read");
  EXPECT_TRUE(r.corrupted);
}

// An old-style KASAN header whose access line was overwritten is kept as printed.
TEST(OopsTitles, KasanHeaderWithoutAccessLine) {
  auto r = analyze_log(
      "[   46.3] BUG: KASAN: slab-out-of-bounds in myfs_lookup+0x5ad/0x660 at addr ffff8800b7eb57d4\n"
      "[   46.4] INFO: Allocated in fasync_helper+0x29/0x90 age=6 cpu=0 pid=6756\n"
      "[   46.5] Call Trace:\n"
      "[   46.6]  [<ffffffff81d90469>] dump_stack+0xc1/0x128\n"
      "[   46.7]  [<ffffffff81d90469>] myfs_caller+0xc1/0x128\n");
  EXPECT_EQ(r.title.value_or(""), "KASAN: slab-out-of-bounds in myfs_lookup at addr ADDR");
  EXPECT_TRUE(r.corrupted);
}

TEST(OopsTitles, TrustyAssert) {
  EXPECT_EQ(title_of("[   12.1] trusty: panic (ffffffff80012345): ASSERT FAILED at (lib/foo.c:42): x != NULL\n"),
            "trusty: ASSERT FAILED: x != NULL");
  auto r = analyze_log("[   12.1] trusty: panic notifier - trusty version ... ASSERT FAILED:\n");
  EXPECT_EQ(r.title.value_or(""), "trusty: ASSERT FAILED:");
  EXPECT_TRUE(r.corrupted);
}

// spinlock_debug's " lock: NAME+off/size" names the lock, not a frame; the spinlock report also
// skips every *_lock/*_unlock wrapper.
TEST(OopsTitles, SpinlockDumpLockLineIsNotAFrame) {
  auto log = R"([  108.6] BUG: spinlock already unlocked on CPU#1, migration/1/12
[  108.6]  lock: rcu_sched_state+0xb40/0xc20, .magic: dead4ead, .owner: <none>/-1, .owner_cpu: -1
[  108.6] CPU: 1 PID: 12 Comm: migration/1 Not tainted 4.3.5+ #6
[  108.6] Call Trace:
[  108.6]  [<ffffffff81d0010d>] dump_stack+0xc1/0x124
[  108.6]  [<ffffffff813fba22>] spin_dump+0x152/0x280
[  108.6]  [<ffffffff813fc152>] do_raw_spin_unlock+0x1e2/0x240
[  108.7]  [<ffffffff810108ec>] myq_unlock+0x2c/0x60
[  108.7]  [<ffffffff8142958a>] my_cpu_stop+0x8a/0xa0
)";
  EXPECT_EQ(title_of(log), "BUG: spinlock already unlocked in my_cpu_stop");
}

// kmem_dump_obj's register notes ("allocated at FUNC") are not frames of the crash.
TEST(OopsTitles, RegisterInformationIsNotAFrame) {
  auto log = R"([ 9171.1][T26146] 8<--- cut here ---
[ 9171.2][T26146] Unable to handle kernel NULL pointer dereference at virtual address 00000000
[ 9171.3][T26146] Internal error: Oops: 207 [#1] PREEMPT SMP ARM
[ 9171.4][T26146] PC is at __queue_work+0xa0/0x74c
[ 9171.5][T26146] LR is at 0x82c00000
[ 9171.6][T26146] Register r11 information: 2-page vmalloc region starting at 0xec3d0000 allocated at kernel_clone+0x9c/0x3f4
[ 9171.7][T26146] Backtrace: 
[ 9171.8][T26146] [<80260370>] (__queue_work) from [<80260b0c>] (queue_work_on+0x50/0x5c)
[ 9171.9][T26146] [<80260ac8>] (queue_work_on) from [<816df870>] (mynci_send_cmd+0x98/0xc0)
[ 9172.0][T26146] [<816df7cc>] (mynci_send_cmd) from [<816df924>] (mynci_reset+0x30/0x40)
)";
  EXPECT_EQ(title_of(log), "BUG: unable to handle kernel NULL pointer dereference in mynci_send_cmd");
}

// Stack overflows are named like stalls: the callee of the first dispatch frame, here a socket
// call named after its protocol; with no dispatch frame the stack is cut off.
TEST(OopsTitles, StackGuardPageUsesDispatchAnchor) {
  std::string head = "[  733.1][    C1] BUG: stack guard page was hit at ffffc900190cfff8 (stack is ffffc900190d0000..ffffc900190d7fff)\n"
                     "[  733.2][    C1] kernel stack overflow (double-fault): 0000 [#1] PREEMPT SMP KASAN\n"
                     "[  733.3][    C1] RIP: 0010:mytls_getsockopt_inner+0x12d/0x2e0\n"
                     "[  733.4][    C1] Call Trace:\n";
  std::string recursion;
  // Deep recursion: more frames than a report usually has lines.
  for (int i = 0; i < 300; ++i) recursion += "[  733.5][    C1]  mytls_push+0xf5/0x4d0\n[  733.5][    C1]  mytls_push_inner+0xa5/0x2b0\n";
  std::string tail = "[  733.6][    C1]  mytls_setsockopt+0x64/0xa0\n"
                     "[  733.7][    C1]  __sys_setsockopt+0x2db/0x610\n"
                     "[  733.8][    C1]  __x64_sys_setsockopt+0xba/0x150\n"
                     "[  733.9][    C1]  do_syscall_64+0x35/0xb0\n";
  EXPECT_EQ(title_of(head + recursion + tail), "BUG: stack guard page was hit in mytls_setsockopt");
  auto cut = analyze_log(head + recursion);
  EXPECT_EQ(cut.title.value_or(""), "BUG: stack guard page was hit in corrupted");
  EXPECT_TRUE(cut.corrupted);
}

// A debugobjects WARNING never blames timer/work/rcu plumbing that holds the object.
TEST(OopsTitles, OdebugSkipsTimerCallbacks) {
  auto log = R"([  100.1] ------------[ cut here ]------------
[  100.2] ODEBUG: free active (active state 0) object type: timer_list hint: myrose_timer_expiry+0x0/0x150
[  100.3] WARNING: CPU: 0 PID: 15 at lib/debugobjects.c:505 debug_print_object+0x16e/0x250
[  100.4] Modules linked in:
[  100.5] RIP: 0010:debug_print_object+0x16e/0x250
[  100.6] Call Trace:
[  100.7]  <IRQ>
[  100.8]  __debug_check_no_obj_freed+0x3b4/0x550
[  100.9]  kfree+0xdb/0x390
[  101.0]  myrose_timer_expiry+0x2f/0x150
[  101.1]  call_timer_fn+0x1a5/0x6b0
[  101.2]  handle_softirqs+0x1a8/0x6b0
)";
  EXPECT_EQ(title_of(log), "WARNING: ODEBUG bug in handle_softirqs");
}

// Rust v0 symbols (RFC 2603) printed mangled by the kernel's unwinder.
TEST(OopsTitles, RustV0Demangling) {
  using kdx::analysis::demangle_rust_v0;
  EXPECT_EQ(demangle_rust_v0("_RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind").value_or(""),
            "__rustc::rust_begin_unwind");
  EXPECT_EQ(demangle_rust_v0("_RNvNtCs9jEwPDbx20M_4core9panicking9panic_fmt").value_or(""),
            "core::panicking::panic_fmt");
  // Trait impl with a backref to the crate root.
  EXPECT_EQ(demangle_rust_v0("_RNvXs1_CscPPBqWtAqum_6mydrvrNtB5_3DevNtNtCs43vyB533jt3_6kernel4file10Operations4mmap")
                .value_or(""),
            "<mydrvr::Dev as kernel::file::Operations>::mmap");
  EXPECT_EQ(demangle_rust_v0("_RINvNtC3std3mem8align_ofdE").value_or(""), "std::mem::align_of::<f64>");
  EXPECT_EQ(demangle_rust_v0("_RINvC1a1fRShE").value_or(""), "a::f::<&[u8]>");
  EXPECT_EQ(demangle_rust_v0("_RNCNvC7mycrate4main0").value_or(""), "mycrate::main::{closure#0}");
  EXPECT_EQ(demangle_rust_v0("_RNvC3foo3bar.llvm.1234").value_or(""), "foo::bar");
  // Malformed or hostile input: no crash, no answer.
  EXPECT_FALSE(demangle_rust_v0("_RNv"));
  EXPECT_FALSE(demangle_rust_v0("_RNvB_3foo"));           // backref to itself
  EXPECT_FALSE(demangle_rust_v0("_RNvC99foo"));           // identifier longer than the symbol
  EXPECT_FALSE(demangle_rust_v0("_R" + std::string(3000, 'N')));
  EXPECT_FALSE(demangle_rust_v0("memcpy"));
}

TEST(OopsTitles, RustPanicTitleUsesDemangledFrame) {
  auto log = R"([   60.1][ T2148] rust_kernel: panicked at rust/kernel/page_size_compat.rs:60:5:
[   60.2][ T2148] attempt to add with overflow
[   60.3][ T2148] ------------[ cut here ]------------
[   60.4][ T2148] kernel BUG at rust/helpers/bug.c:7!
[   60.5][ T2148] Oops: invalid opcode: 0000 [#1] PREEMPT SMP KASAN PTI
[   60.6][ T2148] RIP: 0010:rust_helper_BUG+0x8/0x10
[   60.7][ T2148] Call Trace:
[   60.8][ T2148]  <TASK>
[   60.9][ T2148]  _RNvCscSpY9Juk0HT_7___rustc17rust_begin_unwind+0x15b/0x160
[   61.0][ T2148]  _RNvNtCs9jEwPDbx20M_4core9panicking9panic_fmt+0x84/0x90
[   61.1][ T2148]  _RNvXs1_CscPPBqWtAqum_6mydrvrNtB5_3DevNtNtCs43vyB533jt3_6kernel4file10Operations4mmap+0xe44/0xfb0
[   61.2][ T2148]  mmap_region+0x1371/0x1bd0
)";
  EXPECT_EQ(title_of(log), "attempt to add with overflow in <mydrvr::Dev as kernel::file::Operations>::mmap");
}

// Without caller ids, a fault-injection (or vmalloc-failure) message that starts dumping its own
// stack inside a report takes the rest of the report: its frames cannot be told apart.
TEST(OopsTitles, ForeignStackMessageEndsReportWithoutCallerIds) {
  std::string body = R"(] =============================
] WARNING: suspicious RCU usage
] 4.15.0+ #222 Not tainted
] FAULT_INJECTION: forcing a failure.
] name failslab, interval 1, probability 0, space 0, times 0
] -----------------------------
] ./include/linux/rcupdate.h:302 Illegal context switch in RCU read-side critical section!
] stack backtrace:
] Call Trace:
]  dump_stack+0x194/0x257
]  should_fail+0x8c0/0xa40
]  myxt_alloc_entry+0x21/0x30
)";
  auto plain = analyze_log([&] {
    std::string out, line;
    for (char c : body) {
      line += c;
      if (c == '\n') {
        out += "[  104.4" + line;
        line.clear();
      }
    }
    return out;
  }());
  EXPECT_EQ(plain.title.value_or(""), "WARNING: suspicious RCU usage");
  EXPECT_TRUE(plain.corrupted);
}

// arm backtraces name each caller on the next line; the last line's caller (here the syscall
// return path, a dispatch anchor) is a frame too.
TEST(OopsTitles, ArmLastCallerIsAFrame) {
  auto log = R"(rcu: INFO: rcu_sched self-detected stall on CPU
rcu: 	0-...!: (2099 ticks this GP) idle=4c6/1/0x40000002 softirq=6646/6646 fqs=126
NMI backtrace for cpu 0
CPU: 0 PID: 1760 Comm: syz-executor.0 Not tainted 5.10.2 #10
[<80118054>] (unwind_backtrace) from [<80110ce4>] (show_stack+0x20/0x24)
[<80110ce4>] (show_stack) from [<80c16564>] (dump_stack+0x104/0x138)
[<80c16564>] (dump_stack) from [<80692150>] (nmi_cpu_backtrace+0x10c/0x148)
[<80692150>] (nmi_cpu_backtrace) from [<806922e8>] (rcu_dump_cpu_stacks+0xcc/0x110)
[<806922e8>] (rcu_dump_cpu_stacks) from [<801d1124>] (update_process_times+0x94/0xf0)
[<801d1124>] (update_process_times) from [<806ab444>] (gic_handle_irq+0xb0/0xe8)
[<806ab444>] (gic_handle_irq) from [<80100b6c>] (__irq_svc+0x6c/0x90)
Exception stack(0x91883f00 to 0x91883f48)
[<80100b6c>] (__irq_svc) from [<80616f94>] (mycheck_user+0x140/0x1dc)
[<80616f94>] (mycheck_user) from [<80321578>] (sys_myopen+0x124/0x170)
[<80321578>] (sys_myopen) from [<80100080>] (ret_fast_syscall+0x0/0x54)
Exception stack(0x91883fa8 to 0x91883ff0)
)";
  auto r = analyze_log(log);
  ASSERT_FALSE(r.frames.empty());
  EXPECT_EQ(r.frames.back().function, "ret_fast_syscall");
  EXPECT_EQ(r.title.value_or(""), "INFO: rcu detected stall in sys_myopen");
}

// "Bad page map" is one title whatever the process; without its stack the report is cut off.
TEST(OopsTitles, BadPageMapHasNoFrame) {
  auto r = analyze_log(
      "[   40.4] BUG: Bad page map in process syz-executor6  pte:ffff8801a700ff00 pmd:1a700f067\n"
      "[   40.5] addr:00000000009ca000 vm_flags:00100073 anon_vma:ffff8801d16f20e0 mapping:          (null) index:9ca\n");
  EXPECT_EQ(r.title.value_or(""), "BUG: Bad page map");
  EXPECT_TRUE(r.corrupted);
}

// The WARNING that follows a dentry report names its function in its header line; that is not a
// stack, so the dentry report still has none.
TEST(OopsTitles, OtherReportsHeaderFrameIsNotAStack) {
  auto r = analyze_log(
      "[ 1722.5] BUG: Dentry ffff880175978600{i=8bb9,n=lo}  still in use (1) [unmount of proc proc]\n"
      "[ 1722.5] ------------[ cut here ]------------\n"
      "[ 1722.5] WARNING: CPU: 1 PID: 8922 at fs/dcache.c:1445 umount_check+0x246/0x2c0 fs/dcache.c:1436\n"
      "[ 1722.5] Kernel panic - not syncing: panic_on_warn set ...\n");
  EXPECT_EQ(r.title.value_or(""), "BUG: Dentry still in use in unmount");
  EXPECT_TRUE(r.corrupted);
}

// A "Call Trace:" immediately followed by another dump (a panic's own) lost its frames.
TEST(OopsTitles, CallTraceWithoutFramesIsCorrupted) {
  auto r = analyze_log(R"([ 1017.9] PANIC: double fault, error_code: 0x0
[ 1017.9] CPU: 1 PID: 0 Comm: swapper/1 Not tainted 4.20.0+ #137
[ 1018.0] RIP: 0010:my_lookup+0x22/0x3e0
[ 1018.0] RSP: 0018:ffff888216f8bfd8 EFLAGS: 00010296
[ 1018.1] Call Trace:
[ 1018.1] Kernel panic - not syncing: Machine halted.
[ 1018.1] CPU: 1 PID: 0 Comm: swapper/1 Not tainted 4.20.0+ #137
[ 1018.1] Call Trace:
[ 1018.1]  <#DF>
[ 1018.1]  dump_stack+0xaa/0xd8
[ 1018.1]  panic+0x154/0x339
)");
  EXPECT_EQ(r.title.value_or(""), "PANIC: double fault in my_lookup");
  EXPECT_TRUE(r.corrupted);
}

// A KMSAN report whose origin stack is not available cannot say where the value came from.
TEST(OopsTitles, KmsanWithoutOriginIsCorrupted) {
  std::string head = R"([  370.7][ T8537] =====================================================
[  370.7][ T8537] BUG: KMSAN: uninit-value in my_prepend+0x4ff/0x12b0
[  370.7][ T8537]  my_prepend+0x4ff/0x12b0
[  370.7][ T8537]  my_path+0x193/0x340
[  370.8][ T8537] 
[  371.6][ T8537] Uninit was created at:
)";
  std::string tail = "[  371.7][ T8537] \n[  371.7][ T8537] =====================================================\n";
  auto cut = analyze_log(head + "[  371.6][ T8537] (stack is not available)\n" + tail);
  EXPECT_EQ(cut.title.value_or(""), "KMSAN: uninit-value in my_prepend");
  EXPECT_TRUE(cut.corrupted);
  auto whole = analyze_log(head + "[  371.6][ T8537]  my_alloc+0x10/0x20\n" + tail);
  EXPECT_FALSE(whole.corrupted) << whole.corrupted_reason;
}

// A one-line WARNING is a report even without a dump, unless it is a known informational message.
TEST(OopsTitles, OneLineWarningAndKnownInformationalOnes) {
  EXPECT_EQ(title_of("<6>[   85.501187] WARNING: foo\n<6>[   85.501187] nouveau  [     DRM] suspending\n"),
            "WARNING: foo");
  EXPECT_EQ(title_of("[   12.0] WARNING: The mand mount option has been deprecated and\n"), "<none>");
  EXPECT_EQ(title_of("[   12.0] WARNING: Unprivileged eBPF is enabled with eIBRS on, data leaks possible\n"), "<none>");
  EXPECT_EQ(title_of("[    0.1] WARNING: Spectre v2 mitigation leaves CPU vulnerable to RETBleed attacks, data leaks possible!\n"), "<none>");
}

// A header cut off after its first word.
TEST(OopsTitles, BareHeaderWordIsCorrupted) {
  auto r = analyze_log("INFO: \n");
  EXPECT_EQ(r.title.value_or(""), "INFO: corrupted");
  EXPECT_TRUE(r.corrupted);
  EXPECT_EQ(title_of("[   10.0] BUG:\n"), "BUG: corrupted");
}

// A WARN() whose only frames are a panic's stack printed without "Backtrace:"/"Call Trace:" (and
// no instruction pointer) has no stack of its own; a negative PID does not hide the header.
TEST(OopsTitles, WarningWithoutOwnStack) {
  auto r = analyze_log(R"(syzkaller login: ------------[ cut here ]------------
WARNING: CPU: 5 PID: -534549613 at kernel/sched/core.c:2681 finish_task_switch+0x230/0x23c
Kernel panic - not syncing: panic_on_warn set ...

CPU: 5 PID: -534549613 Comm: x Not tainted 4.17.0-rc1+ #8
[<8011344c>] (unwind_backtrace) from [<8010ef84>] (show_stack+0x18/0x1c)
[<80126690>] (panic) from [<80126484>] (warn_slowpath_fmt+0x0/0x5c)
[<80126484>] (warn_slowpath_fmt) from [<e0236b93>] (0xe0236b93)
)");
  EXPECT_EQ(r.title.value_or(""), "WARNING in corrupted");
  EXPECT_TRUE(r.corrupted);
}

// Without caller ids, fault-injection frames ahead of the report's RIP belong to another task.
TEST(OopsTitles, FaultInjectionFramesInterleaved) {
  auto log = R"([  343.1] WARNING: CPU: 0 PID: 18900 at kernel/kthread.c:769 mykthread_check+0xb8/0x130
[  343.1] Kernel panic - not syncing: panic_on_warn set ...
[  343.1] 
[  343.2] Call Trace:
[  343.2]  [<ffffffff841f56c2>] dump_stack+0x14d/0x20b
[  343.2]  [<ffffffff821b0ccf>] should_fail.cold+0x11f/0x170
[  343.2]  [<ffffffff81a1fb81>] should_failslab+0x121/0x190
[  343.2]  [<ffffffff83992d66>] __alloc_skb+0xc6/0x590
[  343.3] RIP: 0010:mykthread_check+0xb8/0x130
)";
  auto r = analyze_log(log);
  EXPECT_EQ(r.title.value_or(""), "WARNING in corrupted");
  EXPECT_TRUE(r.corrupted);
}

// Report kinds from syzkaller's vocabulary that name no function or a fixed one.
TEST(OopsTitles, MoreReportKinds) {
  EXPECT_EQ(title_of("[  10.1] BUG: KCSAN: data-race in mydev_read / mydev_write\n[  10.2] \n"),
            "KCSAN: data-race in mydev_read / mydev_write");
  EXPECT_EQ(title_of("[  10.1] unregister_netdevice: waiting for lo to become free. Usage count = 6\n"),
            "unregister_netdevice: waiting for DEV to become free");
  EXPECT_EQ(title_of("[  10.1] VFS: Close: file count is 0\n"), "VFS: Close: file count is zero (use-after-free)");
  EXPECT_EQ(title_of("[  10.1] VFS: Busy inodes after unmount of sda1. Self-destruct in 5 seconds.  Have a nice day...\n"),
            "VFS: Busy inodes after unmount (use-after-free)");
  EXPECT_EQ(title_of("[  10.1] BUG: non-zero nr_ptes on freeing mm: 2\n"), "BUG: non-zero nr_ptes on freeing mm");
  EXPECT_EQ(title_of("[  10.1] Kernel panic - not syncing: Couldn't open N_TTY ldisc for ptm0 --- error -12.\n"),
            "kernel panic: Couldn't open N_TTY ldisc");
  EXPECT_EQ(title_of(R"([  10.1] INFO: task syz:6102 can't die for more than 143 seconds.
[  10.2] Call Trace:
[  10.3]  __schedule+0x8cf/0x21d0
[  10.4]  schedule+0xf5/0x2b0
[  10.5]  mydrv_wait_idle+0x1a/0x40
)"),
            "INFO: task can't die in mydrv_wait_idle");
  EXPECT_EQ(title_of(R"([  10.1] Unable to handle kernel access to user memory outside uaccess routines at virtual address 0000000020000100
[  10.2] pc : mydrv_copy+0x10/0x40
[  10.3] Call trace:
[  10.4]  mydrv_copy+0x10/0x40
)"),
            "BUG: unable to handle kernel access to user memory in mydrv_copy");
}

// The first held lock's site names a task that exits with locks held.
TEST(OopsTitles, StillHasLocksHeld) {
  auto log = R"([  50.1] =====================================
[  50.2] WARNING: syz/123 still has locks held!
[  50.3] 1 lock held by syz/123:
[  50.4]  #0: ffff88801b3c0a10 (&dev->mutex){+.+.}-{3:3}, at: mydrv_ioctl+0x4c/0x300
[  50.5] stack backtrace:
[  50.6] Call Trace:
[  50.7]  dump_stack+0x107/0x163
[  50.8]  do_exit+0x1b1/0x2a00
)";
  EXPECT_EQ(title_of(log), "WARNING: still has locks held in mydrv_ioctl");
}

// unregister_netdevice's wait message can appear inside a report without ending it.
TEST(OopsTitles, UnregisterNetdeviceInsideHungTask) {
  auto log = R"([  361.2] INFO: task syz:6102 blocked for more than 120 seconds.
[  361.3] Call Trace:
[  361.3]  __schedule+0x8cf/0x21d0
[  361.3]  schedule+0xf5/0x2b0
[  361.3]  __mutex_lock+0x68a/0x1300
[  361.4] unregister_netdevice: waiting for lo to become free. Usage count = 6
[  361.4]  my_copy_ns+0x3a2/0x820
)";
  EXPECT_EQ(title_of(log), "INFO: task hung in my_copy_ns");
}

// A WARN() dump starts at its RIP: frames printed before it belong to other output.
TEST(OopsTitles, WarningFramesStartAtItsRip) {
  auto log = R"([   42.1] ------------[ cut here ]------------
[   42.2]  othertask_build_skb+0x9cb/0x1810
[   42.3] WARNING: CPU: 0 PID: 6092 at fs/proc/generic.c:330 proc_register+0x2a4/0x370
[   42.4]  othertask_get_user+0x17d0/0x3940
[   42.5]  othertask_write_iter+0xb9/0x160
[   42.6] Kernel panic - not syncing: panic_on_warn set ...
[   42.7] RIP: 0010:proc_register+0x2a4/0x370
[   42.8]  ? proc_register+0x2a4/0x370
[   42.9]  mytg_check+0xf9c/0x16d0
[   43.0]  xt_check_target+0x26c/0x9e0
)";
  EXPECT_EQ(title_of(log), "WARNING: proc registration bug in mytg_check");
}
