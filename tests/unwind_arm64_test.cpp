// arm64 unwinding on stacks built word by word: frame records, PAC-signed return addresses, pt_regs, IRQ stacks.
#include <gtest/gtest.h>

#include "kdx/unwind/arm64_unwinder.hpp"
#include "support/synthetic_stack.hpp"

using namespace kdx::unwind;
using kdx::test::FakeMemory;
using kdx::test::StackBuilder;

namespace {

constexpr uint64_t K = 0xffff800008000000ull;         // kernel text (48-bit VA)
constexpr uint64_t kEntry = K + 0x10000;              // .entry.text
constexpr uint64_t kTop = 0xffff80000a004000ull;      // task stack top
constexpr uint64_t kIrqTop = 0xffff80000a104000ull;   // IRQ stack top
constexpr uint64_t kStackSize = 0x4000;
constexpr uint64_t kStackframeOffset = 304;           // offsetof(struct pt_regs, stackframe) in 6.1

// A PAC as the CPU would insert it: arbitrary bits in 63:56 and 54:48, bit 55 kept.
uint64_t sign(uint64_t addr, unsigned salt) {
  uint64_t low = addr & 0x0000ffffffffffffull;
  uint64_t top = static_cast<uint64_t>(salt & 0xff) << 56;
  uint64_t mid = static_cast<uint64_t>(((salt >> 8) & 0x7f) | 0x80) << 48;
  return low | top | mid;
}

struct Fixture {
  FakeMemory mem;
  WalkOptions opts;
  Arm64UnwindConfig cfg;
  Fixture() {
    mem.map_zero(kTop - kStackSize, kTop);
    mem.map_zero(kIrqTop - kStackSize, kIrqTop);
    opts.stacks = {{kTop - kStackSize, kTop, "task"}, {kIrqTop - kStackSize, kIrqTop, "irq"}};
    opts.is_kernel_text = [](uint64_t a) { return a >= K && a < K + 0x100000; };
    cfg.va_bits = 48;
    cfg.is_exception_entry = [](uint64_t a) { return a >= kEntry && a < kEntry + 0x1000; };
  }
  // Pushes a frame record {fp, lr} and returns its address.
  static uint64_t record(StackBuilder& sb, uint64_t fp, uint64_t lr) {
    sb.push(lr);
    return sb.push(fp);
  }
};

RegisterSet context(uint64_t pc, uint64_t sp, uint64_t fp) {
  RegisterSet r;
  r.set(kArm64Pc, pc);
  r.set(kArm64Sp, sp);
  r.set(kArm64Fp, fp);
  r.set(kArm64Pstate, 0x3c5);
  return r;
}

std::string describe(const WalkResult& w) {
  std::string s = std::string(stop_reason_name(w.stop)) + ": " + w.stop_detail + "\n";
  for (const auto& f : w.frames)
    s += fmt::format("  pc {:#x} sp {:#x} {}\n", f.pc, f.sp, frame_trust_name(f.trust));
  return s;
}

}  // namespace

TEST(UnwindArm64, StripsPacLikeTheKernel) {
  uint64_t mask48 = arm64_kernel_pac_mask(48);
  EXPECT_EQ(mask48, 0xffff000000000000ull);
  EXPECT_EQ(arm64_strip_pac(sign(K + 0x1234, 0x5a3c), mask48), K + 0x1234);
  EXPECT_EQ(arm64_strip_pac(K + 0x1234, mask48), K + 0x1234);  // unsigned stays
  // User addresses: the PAC bits below 55 are cleared, the TBI byte kept.
  EXPECT_EQ(arm64_strip_pac(0xab12000000401000ull, mask48), 0xab00000000401000ull);
  // 39-bit VA: the PAC reaches down to bit 39.
  uint64_t mask39 = arm64_kernel_pac_mask(39);
  EXPECT_EQ(mask39, 0xffffff8000000000ull);
  uint64_t k39 = 0xffffffc008123456ull;
  uint64_t signed39 = (k39 & 0x0000007fffffffffull) | 0x12ab3c8000000000ull | (1ull << 55);
  EXPECT_EQ(arm64_strip_pac(signed39, mask39), k39);
  EXPECT_NE(arm64_strip_pac(signed39, mask48), k39);
}

TEST(UnwindArm64, FrameRecordChainWithPacSignedReturns) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  uint64_t r0 = Fixture::record(sb, 0, 0);  // final frame record
  sb.reserve(0x30);
  uint64_t r1 = Fixture::record(sb, r0, sign(K + 0x3000, 0x1111));
  sb.reserve(0x20);
  uint64_t r2 = Fixture::record(sb, r1, sign(K + 0x2000, 0x7e42));
  sb.reserve(0x10);
  auto w = unwind_arm64(fx.mem, context(K + 0x1000, sb.sp(), r2), fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::EndOfStack) << describe(w);
  EXPECT_EQ(w.frames[1].pc, K + 0x2000);
  EXPECT_EQ(w.frames[1].raw_return_address, sign(K + 0x2000, 0x7e42));
  EXPECT_EQ(w.frames[1].sp, r2 + 16);
  EXPECT_EQ(w.frames[1].return_address_location, r2 + 8);
  EXPECT_EQ(w.frames[1].fp, r1);
  EXPECT_EQ(w.frames[1].trust, FrameTrust::FramePointer);
  EXPECT_TRUE(w.frames[1].pc_is_return_address);
  EXPECT_EQ(w.frames[2].pc, K + 0x3000);
  EXPECT_EQ(w.frames[2].fp, r0);
}

TEST(UnwindArm64, ExplicitKernelPacMaskWins) {
  Fixture fx;
  const uint64_t k39 = 0xffffffc008000000ull;
  fx.opts.is_kernel_text = [=](uint64_t a) { return a >= k39 && a < k39 + 0x100000; };
  fx.cfg.kernel_pac_mask = arm64_kernel_pac_mask(39);  // VMCOREINFO KERNELPACMASK
  fx.cfg.va_bits = 48;                                  // would strip too little
  StackBuilder sb(fx.mem, kTop);
  uint64_t r0 = Fixture::record(sb, 0, 0);
  uint64_t signed_lr = (k39 + 0x500) | 0x005a3c0000000000ull;
  uint64_t r1 = Fixture::record(sb, r0, signed_lr);
  auto w = unwind_arm64(fx.mem, context(k39 + 0x10, sb.sp(), r1), fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_EQ(w.frames[1].pc, k39 + 0x500);
}

TEST(UnwindArm64, ExceptionFrameRecoversInterruptedRegisters) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  uint64_t r0 = Fixture::record(sb, 0, 0);
  sb.reserve(0x20);
  uint64_t r1 = Fixture::record(sb, r0, sign(K + 0x3000, 0x2222));  // X's own record
  uint64_t sx = sb.reserve(0x20);                                   // X's sp when it faulted
  sb.reserve(336);
  uint64_t regs_at = sb.sp();
  kdx::test::SynthArm64Regs pt;
  pt.x[0] = 0xdead;
  pt.x[29] = r1;
  pt.x[30] = sign(K + 0x3004, 0x3333);
  pt.sp = sx;
  pt.pc = K + 0x2010;
  pt.stackframe_fp = r1;
  pt.stackframe_lr = K + 0x2010;
  fx.mem.write(regs_at, kdx::test::arm64_pt_regs_bytes(pt));
  uint64_t r2 = Fixture::record(sb, regs_at + kStackframeOffset, sign(kEntry + 0x10, 0x4444));  // handler
  sb.reserve(0x10);
  uint64_t r3 = Fixture::record(sb, r2, sign(K + 0x4100, 0x5555));  // do_mem_abort's caller
  sb.reserve(0x10);
  auto w = unwind_arm64(fx.mem, context(K + 0x5000, sb.sp(), r3), fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 5u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::EndOfStack) << describe(w);
  EXPECT_EQ(w.frames[2].pc, kEntry + 0x10);
  const Frame& ex = w.frames[3];
  EXPECT_EQ(ex.trust, FrameTrust::ExceptionFrame);
  EXPECT_EQ(ex.pc, K + 0x2010);
  EXPECT_FALSE(ex.pc_is_return_address);
  EXPECT_EQ(ex.sp, sx);
  EXPECT_EQ(ex.fp, r1);
  EXPECT_EQ(ex.pt_regs_address, regs_at);
  EXPECT_EQ(ex.regs.get(kArm64X0), 0xdeadu);
  EXPECT_EQ(ex.regs.get(kArm64Lr), sign(K + 0x3004, 0x3333));
  EXPECT_FALSE(ex.user_mode);
  EXPECT_EQ(w.frames[4].pc, K + 0x3000);

  // Without the entry-code predicate the same stack still walks, through the record in
  // pt_regs, but the interrupted pc is then taken for a return address.
  fx.cfg.is_exception_entry = nullptr;
  auto plain = unwind_arm64(fx.mem, context(K + 0x5000, sb.sp(), r3), fx.cfg, fx.opts);
  ASSERT_EQ(plain.frames.size(), 5u) << describe(plain);
  EXPECT_EQ(plain.frames[3].trust, FrameTrust::FramePointer);
  EXPECT_EQ(plain.frames[3].pc, K + 0x2010);
}

TEST(UnwindArm64, MismatchedPtRegsAreNotTrusted) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  uint64_t r0 = Fixture::record(sb, 0, 0);
  sb.reserve(336);
  uint64_t regs_at = sb.sp();
  kdx::test::SynthArm64Regs pt;
  pt.x[29] = 0x1111;  // does not match the record below
  pt.pc = K + 0x2010;
  pt.sp = r0;
  pt.stackframe_fp = r0;
  pt.stackframe_lr = K + 0x2010;
  fx.mem.write(regs_at, kdx::test::arm64_pt_regs_bytes(pt));
  uint64_t r2 = Fixture::record(sb, regs_at + kStackframeOffset, kEntry + 0x10);
  auto w = unwind_arm64(fx.mem, context(K + 0x5000, sb.sp(), r2), fx.cfg, fx.opts);
  ASSERT_GE(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.frames[2].trust, FrameTrust::FramePointer);
}

TEST(UnwindArm64, UserExceptionFrameEndsTheWalk) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(336);
  uint64_t regs_at = sb.sp();
  kdx::test::SynthArm64Regs pt;
  pt.pc = 0x400123;
  pt.sp = 0xfffff000;
  pt.pstate = 0;  // EL0t
  fx.mem.write(regs_at, kdx::test::arm64_pt_regs_bytes(pt));  // stackframe {0, 0}
  uint64_t r1 = Fixture::record(sb, regs_at + kStackframeOffset, sign(kEntry + 0x810, 0x6666));
  sb.reserve(0x20);
  auto w = unwind_arm64(fx.mem, context(K + 0x5000, sb.sp(), r1), fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::UserMode);
  EXPECT_TRUE(w.frames[2].user_mode);
  EXPECT_EQ(w.frames[2].pc, 0x400123u);
}

TEST(UnwindArm64, IrqStackToTaskStack) {
  Fixture fx;
  StackBuilder task(fx.mem, kTop);
  uint64_t t0 = Fixture::record(task, 0, 0);
  task.reserve(0x20);
  uint64_t t1 = Fixture::record(task, t0, sign(K + 0x7000, 0x0101));  // call_on_irq_stack's record
  StackBuilder irq(fx.mem, kIrqTop);
  uint64_t i1 = Fixture::record(irq, t1, sign(K + 0x6000, 0x0202));
  irq.reserve(0x30);
  auto w = unwind_arm64(fx.mem, context(K + 0x100, irq.sp(), i1), fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
  EXPECT_EQ(w.frames[0].stack_index, 1);
  EXPECT_EQ(w.frames[1].stack_index, 1);
  EXPECT_EQ(w.frames[2].stack_index, 0);
  EXPECT_EQ(w.frames[2].pc, K + 0x7000);
}

TEST(UnwindArm64, SelfReferencingRecordStops) {
  Fixture fx;
  uint64_t r = kTop - 0x100;
  fx.mem.write_u64(r, r);
  fx.mem.write_u64(r + 8, K + 0x100);
  auto w = unwind_arm64(fx.mem, context(K + 0x10, r - 0x20, r), fx.cfg, fx.opts);
  EXPECT_EQ(w.stop, StopReason::StackNotMoving) << describe(w);
  EXPECT_EQ(w.frames.size(), 2u);
}

TEST(UnwindArm64, BadFramePointers) {
  Fixture fx;
  auto misaligned = unwind_arm64(fx.mem, context(K + 0x10, kTop - 0x200, kTop - 0x100 + 3), fx.cfg, fx.opts);
  EXPECT_EQ(misaligned.stop, StopReason::NoCallerFound);
  auto off_stack = unwind_arm64(fx.mem, context(K + 0x10, kTop - 0x200, 0xffff000012340000ull), fx.cfg, fx.opts);
  EXPECT_EQ(off_stack.stop, StopReason::OutsideStack);
  uint64_t r = kTop - 0x100;
  fx.mem.write_u64(r, 0);
  fx.mem.write_u64(r + 8, 0xffff000000001234ull);  // not text
  auto junk = unwind_arm64(fx.mem, context(K + 0x10, kTop - 0x200, r), fx.cfg, fx.opts);
  EXPECT_EQ(junk.stop, StopReason::NoCallerFound);
  EXPECT_EQ(junk.frames.size(), 1u);
}

TEST(UnwindArm64, RegistersFromPrstatusBytes) {
  kdx::test::SynthArm64Regs pt;
  pt.x[29] = 29;
  pt.pc = K + 4;
  pt.sp = kTop - 16;
  auto bytes = kdx::test::arm64_pt_regs_bytes(pt);
  bytes.resize(34 * 8);
  auto r = arm64_registers_from_pt_regs(bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get(kArm64Fp), 29u);
  EXPECT_EQ(r->get(kArm64Pc), K + 4);
  EXPECT_EQ(r->get(kArm64Sp), kTop - 16);
  EXPECT_STREQ(arm64_reg_name(kArm64Lr), "lr");
  bytes.resize(33 * 8);
  EXPECT_FALSE(arm64_registers_from_pt_regs(bytes));
}

TEST(UnwindArm64, BlockedTaskStartsFromCpuContext) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  uint64_t r0 = Fixture::record(sb, 0, 0);
  uint64_t r1 = Fixture::record(sb, r0, sign(K + 0x900, 0x0909));
  uint64_t task_sp = sb.reserve(0x40);
  const uint64_t ctx_addr = kIrqTop - 0x1000;  // anywhere readable: it lives in task_struct
  for (unsigned i = 0; i < 10; ++i) fx.mem.write_u64(ctx_addr + 8 * i, 19 + i);
  fx.mem.write_u64(ctx_addr + 80, r1);
  fx.mem.write_u64(ctx_addr + 88, task_sp);
  fx.mem.write_u64(ctx_addr + 96, sign(K + 0x444, 0x0404));
  auto regs = arm64_blocked_task_registers(fx.mem, ctx_addr, arm64_kernel_pac_mask(48));
  ASSERT_TRUE(regs) << regs.error().to_string();
  EXPECT_EQ(regs->get(19), 19u);
  EXPECT_EQ(regs->get(28), 28u);
  EXPECT_EQ(regs->get(kArm64Pc), K + 0x444);
  EXPECT_EQ(regs->get(kArm64Sp), task_sp);
  fx.opts.context_pc_is_return_address = true;
  auto w = unwind_arm64(fx.mem, *regs, fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_EQ(w.frames[0].lookup_pc(), K + 0x443);
  EXPECT_EQ(w.frames[1].pc, K + 0x900);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
}

TEST(UnwindArm64, KernelThreadEndsAtRetFromForkWithoutAUserFrame) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(336);  // the zeroed pt_regs of a kernel thread, stackframe {0, 0}
  uint64_t regs_at = sb.sp();
  uint64_t r1 = Fixture::record(sb, regs_at + kStackframeOffset, sign(kEntry + 0x900, 0x0a0a));  // ret_from_fork
  sb.reserve(0x20);
  auto w = unwind_arm64(fx.mem, context(K + 0x5000, sb.sp(), r1), fx.cfg, fx.opts);
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_EQ(w.frames[1].pc, kEntry + 0x900);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
}
