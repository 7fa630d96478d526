// x86_64 unwinding on stacks built word by word: ORC chains, pt_regs frames, stack switches, fallbacks, stops.
#include <gtest/gtest.h>

#include "kdx/unwind/x86_64_unwinder.hpp"
#include "support/synthetic_stack.hpp"

using namespace kdx::unwind;
using kdx::test::FakeMemory;
using kdx::test::StackBuilder;
using kdx::test::SynthOrcRow;

namespace {

constexpr uint64_t T = 0xffffffff81000000ull;          // kernel text
constexpr uint64_t kTop = 0xffffc90000010000ull;       // task stack top
constexpr uint64_t kIrqTop = 0xffff888007c04000ull;    // IRQ stack top
constexpr uint64_t kStackSize = 0x4000;

// ORC_REG_* and v1 type numbers, spelled out as the kernel does.
constexpr int kPrevSp = 1, kBp = 4, kSp = 5, kSpIndirect = 9;
constexpr int kCall = 0, kRegs = 1, kRegsPartial = 2;

std::vector<SynthOrcRow> base_rows() {
  return {
      // A: push %rbp; sub $32,%rsp
      {.ip = T + 0x000, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      {.ip = T + 0x001, .sp_reg = kSp, .sp_offset = 16, .bp_reg = kPrevSp, .bp_offset = -16, .type = kCall},
      {.ip = T + 0x005, .sp_reg = kSp, .sp_offset = 48, .bp_reg = kPrevSp, .bp_offset = -16, .type = kCall},
      // B: sub $16,%rsp
      {.ip = T + 0x100, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      {.ip = T + 0x104, .sp_reg = kSp, .sp_offset = 24, .type = kCall},
      // C: push %rbp; mov %rsp,%rbp; sub $16,%rsp
      {.ip = T + 0x200, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      {.ip = T + 0x201, .sp_reg = kSp, .sp_offset = 16, .bp_reg = kPrevSp, .bp_offset = -16, .type = kCall},
      {.ip = T + 0x204, .sp_reg = kBp, .sp_offset = 16, .bp_reg = kPrevSp, .bp_offset = -16, .type = kCall},
      // D: the outermost frame (UNWIND_HINT_EMPTY end=1, like ret_from_fork)
      {.ip = T + 0x300, .sp_reg = 0, .type = kCall, .end = true},
      // X: a function interrupted by an exception; after 0x508 it has a 0x20-byte frame
      {.ip = T + 0x500, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      {.ip = T + 0x508, .sp_reg = kSp, .sp_offset = 0x20, .type = kCall},
      // H: a leaf handler
      {.ip = T + 0x600, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      // E: entry code calling H with sp pointing at pt_regs
      {.ip = T + 0x700, .sp_reg = kSp, .sp_offset = 0, .type = kRegs},
      // P: entry code with only the iret frame on the stack
      {.ip = T + 0x780, .sp_reg = kSp, .sp_offset = 0, .type = kRegsPartial},
      // U: no unwind data (terminator-like undefined entry)
      {.ip = T + 0x800, .sp_reg = 0, .type = kCall},
      // L: broken data: sp does not move
      {.ip = T + 0xc00, .sp_reg = kSp, .sp_offset = 0, .type = kCall},
      // F: calls G on the IRQ stack (call_on_irqstack): previous sp saved at the new stack's top
      {.ip = T + 0xd00, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      {.ip = T + 0xd04, .sp_reg = kSp, .sp_offset = 16, .type = kCall},
      {.ip = T + 0xd0b, .sp_reg = kSpIndirect, .sp_offset = 16, .type = kCall},
      {.ip = T + 0xd10, .sp_reg = kSp, .sp_offset = 16, .type = kCall},
      // G: leaf on the IRQ stack
      {.ip = T + 0xe00, .sp_reg = kSp, .sp_offset = 8, .type = kCall},
      // O: a frame so large its caller would be off the stack
      {.ip = T + 0xf00, .sp_reg = kSp, .sp_offset = 0x6000, .type = kCall},
      {.ip = T + 0x1000, .sp_reg = 0, .type = kCall},  // terminator
  };
}

OrcTableSet make_orc() {
  auto s = kdx::test::write_orc_v1(0xffffffff82000000ull, base_rows());
  auto t = OrcTable::from_bytes(s.ip_bytes, s.ip_section_addr, s.orc_bytes, OrcFormat::V1);
  EXPECT_TRUE(t.has_value());
  OrcTableSet set;
  set.add(std::move(*t));
  return set;
}

struct Fixture {
  FakeMemory mem;
  WalkOptions opts;
  Fixture() {
    mem.map_zero(kTop - kStackSize, kTop);
    mem.map_zero(kIrqTop - kStackSize, kIrqTop);
    opts.stacks = {{kTop - kStackSize, kTop, "task"}, {kIrqTop - kStackSize, kIrqTop, "irq"}};
    opts.is_kernel_text = [](uint64_t a) { return a >= T && a < T + 0x100000; };
  }
};

RegisterSet context(uint64_t rip, uint64_t rsp, std::optional<uint64_t> rbp = {}) {
  RegisterSet r;
  r.set(kX86Rip, rip);
  r.set(kX86Rsp, rsp);
  if (rbp) r.set(kX86Rbp, *rbp);
  r.set(kX86Cs, 0x10);
  return r;
}

std::string describe(const WalkResult& w) {
  std::string s = std::string(stop_reason_name(w.stop)) + ": " + w.stop_detail + "\n";
  for (const auto& f : w.frames)
    s += fmt::format("  pc {:#x} sp {:#x} {}\n", f.pc, f.sp, frame_trust_name(f.trust));
  return s;
}

}  // namespace

TEST(UnwindX86, OrcChainToEndOfStack) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x40);
  uint64_t ret_d = sb.push(T + 0x310);     // D calls C
  uint64_t c_rbp = sb.push(0);             // C: push %rbp (D's rbp is 0)
  sb.reserve(16);
  uint64_t ret_c = sb.push(T + 0x220);     // C calls B
  sb.reserve(16);
  uint64_t ret_b = sb.push(T + 0x120);     // B calls A
  sb.push(c_rbp);                          // A: push %rbp
  sb.reserve(32);
  auto w = unwind_x86_64(fx.mem, context(T + 0x10, sb.sp(), c_rbp), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 4u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::EndOfStack) << describe(w);
  EXPECT_TRUE(w.complete());
  EXPECT_EQ(w.frames[0].trust, FrameTrust::Context);
  EXPECT_EQ(w.frames[1].pc, T + 0x120);
  EXPECT_EQ(w.frames[1].sp, ret_b + 8);
  EXPECT_EQ(w.frames[1].return_address_location, ret_b);
  EXPECT_FALSE(w.frames[0].return_address_location.has_value());
  EXPECT_EQ(w.frames[1].fp, c_rbp);
  EXPECT_EQ(w.frames[2].pc, T + 0x220);
  EXPECT_EQ(w.frames[2].sp, ret_c + 8);
  EXPECT_EQ(w.frames[3].pc, T + 0x310);
  EXPECT_EQ(w.frames[3].sp, ret_d + 8);
  EXPECT_EQ(w.frames[3].fp, 0u);
  for (size_t i = 1; i < 4; ++i) {
    EXPECT_EQ(w.frames[i].trust, FrameTrust::Cfi);
    EXPECT_TRUE(w.frames[i].pc_is_return_address);
    EXPECT_EQ(w.frames[i].lookup_pc(), w.frames[i].pc - 1);
    EXPECT_EQ(w.frames[i].stack_index, 0);
  }
}

TEST(UnwindX86, ExceptionFrameInTheMiddleUsesExactIp) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x20);
  uint64_t ret_d = sb.push(T + 0x310);  // D calls X
  uint64_t sp_x = sb.reserve(0x18);     // X's frame when it faults at 0x508
  sb.reserve(168);
  uint64_t regs_at = sb.sp();
  kdx::test::SynthX86Regs pt;
  pt.ip = T + 0x508;
  pt.sp = sp_x;
  pt.bp = 0x1234;
  pt.r12 = 0xdeadbeef;
  fx.mem.write(regs_at, kdx::test::x86_pt_regs_bytes(pt));
  sb.push(T + 0x705);  // E calls H
  auto w = unwind_x86_64(fx.mem, context(T + 0x601, sb.sp()), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 4u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::EndOfStack) << describe(w);
  const Frame& ex = w.frames[2];
  EXPECT_EQ(ex.trust, FrameTrust::ExceptionFrame);
  EXPECT_EQ(ex.pc, T + 0x508);
  EXPECT_FALSE(ex.pc_is_return_address);
  EXPECT_EQ(ex.sp, sp_x);
  EXPECT_EQ(ex.pt_regs_address, regs_at);
  EXPECT_EQ(ex.fp, 0x1234u);
  EXPECT_EQ(ex.regs.get(kX86R12), 0xdeadbeefu);
  EXPECT_FALSE(ex.user_mode);
  // Had the walker looked up 0x507 it would have used X's entry row and found no caller.
  EXPECT_EQ(w.frames[3].pc, T + 0x310);
  EXPECT_EQ(w.frames[3].sp, ret_d + 8);
}

TEST(UnwindX86, UserModePtRegsEndTheWalk) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(168);
  kdx::test::SynthX86Regs pt;
  pt.ip = 0x401000;
  pt.sp = 0x7ffc1000;
  pt.cs = 0x33;
  pt.ss = 0x2b;
  fx.mem.write(sb.sp(), kdx::test::x86_pt_regs_bytes(pt));
  sb.push(T + 0x705);
  auto w = unwind_x86_64(fx.mem, context(T + 0x600, sb.sp()), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::UserMode);
  EXPECT_TRUE(w.complete());
  EXPECT_TRUE(w.frames[2].user_mode);
  EXPECT_EQ(w.frames[2].pc, 0x401000u);
  EXPECT_EQ(w.frames[2].sp, 0x7ffc1000u);
}

TEST(UnwindX86, PartialRegsReadOnlyTheIretFrame) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x40);
  uint64_t interrupted_sp = sb.sp();
  sb.push(0x18);                // ss
  sb.push(interrupted_sp);      // sp
  sb.push(0x246);               // flags
  sb.push(0x10);                // cs
  uint64_t iret = sb.push(T + 0x300);  // ip: inside D
  sb.push(T + 0x785);           // P calls H
  auto w = unwind_x86_64(fx.mem, context(T + 0x600, sb.sp(), 0x5555), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  const Frame& ex = w.frames[2];
  EXPECT_EQ(ex.trust, FrameTrust::ExceptionFrame);
  EXPECT_EQ(ex.pc, T + 0x300);
  EXPECT_EQ(ex.sp, interrupted_sp);
  EXPECT_EQ(ex.pt_regs_address, iret - kX86IretFrameOffset);
  EXPECT_FALSE(ex.regs.has(kX86R12));
  EXPECT_EQ(ex.fp, 0x5555u);  // rbp is not in the iret frame: unchanged
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
}

TEST(UnwindX86, CallThroughNullPointer) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  sb.push(T + 0x310);  // D calls B
  sb.reserve(16);
  uint64_t ret = sb.push(T + 0x120);  // B calls *NULL
  auto w = unwind_x86_64(fx.mem, context(0, ret), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.frames[0].pc, 0u);
  EXPECT_EQ(w.frames[1].pc, T + 0x120);
  EXPECT_EQ(w.frames[1].sp, ret + 8);
  EXPECT_EQ(w.frames[1].trust, FrameTrust::Cfi);
  EXPECT_EQ(w.frames[2].pc, T + 0x310);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
}

TEST(UnwindX86, StackPointerThatDoesNotMoveStops) {
  Fixture fx;
  auto orc = make_orc();
  uint64_t sp = kTop - 0x100;
  fx.mem.write_u64(sp - 8, T + 0xc10);
  auto w = unwind_x86_64(fx.mem, context(T + 0xc10, sp), &orc, fx.opts);
  EXPECT_EQ(w.stop, StopReason::StackNotMoving) << describe(w);
  EXPECT_EQ(w.frames.size(), 1u);
  EXPECT_FALSE(w.complete());
}

TEST(UnwindX86, IrqStackSwitchViaSpIndirect) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder task(fx.mem, kTop);
  task.reserve(0x20);
  uint64_t ret_d = task.push(T + 0x310);  // D calls F
  uint64_t old_rsp = task.reserve(8);     // F's frame
  StackBuilder irq(fx.mem, kIrqTop);
  uint64_t tos = irq.push(old_rsp);       // call_on_irqstack: previous sp at the top
  irq.push(T + 0xd10);                    // F calls G on the IRQ stack
  auto w = unwind_x86_64(fx.mem, context(T + 0xe00, irq.sp()), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 3u) << describe(w);
  EXPECT_EQ(w.frames[0].stack_index, 1);
  EXPECT_EQ(w.frames[1].pc, T + 0xd10);
  EXPECT_EQ(w.frames[1].sp, tos);
  EXPECT_EQ(w.frames[1].stack_index, 1);
  EXPECT_EQ(w.frames[2].pc, T + 0x310);
  EXPECT_EQ(w.frames[2].sp, ret_d + 8);
  EXPECT_EQ(w.frames[2].stack_index, 0);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
}

TEST(UnwindX86, FramePointerChainWithoutOrc) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  uint64_t r3 = sb.push(T + 0x3000);  // return address
  r3 = sb.push(0);                    // saved rbp: outermost
  sb.reserve(0x20);
  sb.push(T + 0x2000);
  uint64_t r2 = sb.push(r3);
  sb.reserve(0x8);
  sb.push(T + 0x1000);
  uint64_t r1 = sb.push(r2);
  sb.reserve(0x18);
  auto w = unwind_x86_64(fx.mem, context(T + 0x10, sb.sp(), r1), nullptr, fx.opts);
  ASSERT_EQ(w.frames.size(), 4u) << describe(w);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
  EXPECT_EQ(w.frames[1].pc, T + 0x1000);
  EXPECT_EQ(w.frames[1].sp, r1 + 16);
  EXPECT_EQ(w.frames[1].return_address_location, r1 + 8);
  EXPECT_EQ(w.frames[2].pc, T + 0x2000);
  EXPECT_EQ(w.frames[3].pc, T + 0x3000);
  for (size_t i = 1; i < 4; ++i) EXPECT_EQ(w.frames[i].trust, FrameTrust::FramePointer);
}

TEST(UnwindX86, FrameLimit) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  // 40 frames of a recursion, built from the outermost down.
  uint64_t prev = 0;
  for (int i = 0; i < 40; ++i) {
    sb.push(T + 0x4000 + i);
    prev = sb.push(prev);
  }
  fx.opts.max_frames = 10;
  auto w = unwind_x86_64(fx.mem, context(T + 0x10, sb.sp(), prev), nullptr, fx.opts);
  EXPECT_EQ(w.frames.size(), 10u);
  EXPECT_EQ(w.stop, StopReason::FrameLimit);
}

TEST(UnwindX86, FallsBackToFramePointerOutsideOrc) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  sb.push(T + 0x310);               // return into D
  uint64_t rec = sb.push(0);        // the JIT code's frame record
  sb.reserve(0x10);
  // pc in text but covered by no ORC table (BPF-like code).
  auto w = unwind_x86_64(fx.mem, context(T + 0x50000, sb.sp(), rec), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_EQ(w.frames[1].trust, FrameTrust::FramePointer);
  EXPECT_EQ(w.frames[1].pc, T + 0x310);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);  // back in ORC land: D is the end
}

TEST(UnwindX86, ScansWhenNothingElseWorks) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  uint64_t slot = sb.push(T + 0x310);
  sb.push(0xffff888000001234ull);  // a data pointer: not text
  sb.push(42);
  auto w = unwind_x86_64(fx.mem, context(T + 0x800, sb.sp(), 0x17), &orc, fx.opts);
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_EQ(w.frames[1].trust, FrameTrust::Scan);
  EXPECT_EQ(w.frames[1].pc, T + 0x310);
  EXPECT_EQ(w.frames[1].sp, slot + 8);
  EXPECT_EQ(w.frames[1].return_address_location, slot);
  // Without a text predicate there is no scan and the walk says why it stopped.
  fx.opts.is_kernel_text = nullptr;
  auto none = unwind_x86_64(fx.mem, context(T + 0x800, sb.sp(), 0x17), &orc, fx.opts);
  EXPECT_EQ(none.frames.size(), 1u);
  EXPECT_EQ(none.stop, StopReason::NoCallerFound);
  EXPECT_NE(none.stop_detail.find("no ORC data"), std::string::npos) << none.stop_detail;
}

TEST(UnwindX86, ReturningToALeftStackIsALoop) {
  Fixture fx;
  StackBuilder task(fx.mem, kTop);
  task.reserve(0x100);
  task.push(T + 0x2000);
  uint64_t r2 = task.push(0x5);  // garbage saved rbp, never reached
  task.reserve(0x100);
  uint64_t ctx_sp = task.sp();
  StackBuilder irq(fx.mem, kIrqTop);
  irq.push(T + 0x1000);
  uint64_t r1 = irq.push(r2);
  auto w = unwind_x86_64(fx.mem, context(T + 0x10, ctx_sp, r1), nullptr, fx.opts);
  EXPECT_EQ(w.stop, StopReason::StackRevisited) << describe(w);
  ASSERT_EQ(w.frames.size(), 2u);
  EXPECT_EQ(w.frames[1].stack_index, 1);
}

TEST(UnwindX86, CallerOffEveryStackStops) {
  Fixture fx;
  auto orc = make_orc();
  fx.mem.map_zero(kTop, kTop + 0x8000);  // readable, but not a stack
  uint64_t sp = kTop - 0x100;
  fx.mem.write_u64(sp + 0x6000 - 8, T + 0x310);
  auto w = unwind_x86_64(fx.mem, context(T + 0xf00, sp), &orc, fx.opts);
  EXPECT_EQ(w.stop, StopReason::OutsideStack) << describe(w);
  EXPECT_EQ(w.frames.size(), 1u);
}

TEST(UnwindX86, UnreadableStackStops) {
  Fixture fx;
  auto orc = make_orc();
  fx.opts.stacks.clear();
  auto w = unwind_x86_64(fx.mem, context(T + 0x600, 0xffffc90000100000ull), &orc, fx.opts);
  EXPECT_EQ(w.stop, StopReason::UnreadableMemory) << describe(w);
  EXPECT_EQ(w.frames.size(), 1u);
}

TEST(UnwindX86, MissingRegistersAreABadContext) {
  Fixture fx;
  RegisterSet r;
  r.set(kX86Rsp, kTop - 8);
  auto w = unwind_x86_64(fx.mem, r, nullptr, fx.opts);
  EXPECT_EQ(w.stop, StopReason::BadContext);
  EXPECT_TRUE(w.frames.empty());
}

TEST(UnwindX86, EncodedFramePointerLeadsToPtRegs) {
  Fixture fx;
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(168);
  uint64_t regs_at = sb.sp();
  kdx::test::SynthX86Regs pt;
  pt.ip = 0x400000;
  pt.sp = 0x7ffc0000;
  pt.cs = 0x33;
  fx.mem.write(regs_at, kdx::test::x86_pt_regs_bytes(pt));
  sb.reserve(0x20);
  auto w = unwind_x86_64(fx.mem, context(T + 0x10, sb.sp(), regs_at | 1), nullptr, fx.opts);
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_EQ(w.frames[1].trust, FrameTrust::ExceptionFrame);
  EXPECT_EQ(w.frames[1].pt_regs_address, regs_at);
  EXPECT_EQ(w.stop, StopReason::UserMode);
}

TEST(UnwindX86, RegistersFromPrstatusBytes) {
  kdx::test::SynthX86Regs pt;
  pt.ip = T + 5;
  pt.sp = kTop - 64;
  pt.r15 = 15;
  auto bytes = kdx::test::x86_pt_regs_bytes(pt);
  bytes.resize(27 * 8);  // PRSTATUS pr_reg carries fs_base .. gs as well
  auto r = x86_64_registers_from_pt_regs(bytes);
  ASSERT_TRUE(r);
  EXPECT_EQ(r->get(kX86Rip), T + 5);
  EXPECT_EQ(r->get(kX86Rsp), kTop - 64);
  EXPECT_EQ(r->get(kX86R15), 15u);
  EXPECT_STREQ(x86_reg_name(kX86Eflags), "eflags");
  bytes.resize(100);
  EXPECT_FALSE(x86_64_registers_from_pt_regs(bytes));
}

TEST(UnwindX86, BlockedTaskStartsFromInactiveTaskFrame) {
  Fixture fx;
  auto orc = make_orc();
  StackBuilder sb(fx.mem, kTop);
  sb.reserve(0x10);
  sb.push(T + 0x310);      // D called X
  sb.push(T + 0x508);      // X called __switch_to_asm: ret_addr
  sb.push(0x77);           // bp
  sb.push(0x66);           // bx
  sb.push(0x12);           // r12
  sb.push(0x13);           // r13
  sb.push(0x14);           // r14
  uint64_t thread_sp = sb.push(0x15);  // r15
  auto regs = x86_64_blocked_task_registers(fx.mem, thread_sp);
  ASSERT_TRUE(regs) << regs.error().to_string();
  EXPECT_EQ(regs->get(kX86Rip), T + 0x508);
  EXPECT_EQ(regs->get(kX86Rsp), thread_sp + 56);
  EXPECT_EQ(regs->get(kX86Rbp), 0x77u);
  EXPECT_EQ(regs->get(kX86R15), 0x15u);
  fx.opts.context_pc_is_return_address = true;
  auto w = unwind_x86_64(fx.mem, *regs, &orc, fx.opts);
  // The lookup must use 0x507 (the call), whose row has the 8-byte frame.
  ASSERT_EQ(w.frames.size(), 2u) << describe(w);
  EXPECT_TRUE(w.frames[0].pc_is_return_address);
  EXPECT_EQ(w.frames[1].pc, T + 0x310);
  EXPECT_EQ(w.stop, StopReason::EndOfStack);
  EXPECT_FALSE(x86_64_blocked_task_registers(fx.mem, 0x1000));
}
