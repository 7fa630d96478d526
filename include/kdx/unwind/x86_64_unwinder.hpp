// x86_64 kernel stack unwinding: ORC first, then the rbp chain, then a stack scan.
#pragma once

#include <cstdint>
#include <span>

#include "kdx/unwind/orc_table.hpp"
#include "kdx/unwind/stackwalker.hpp"

namespace kdx::unwind {

// x86_64 registers, numbered in struct pt_regs order (also the first 21 words of the
// PRSTATUS user_regs_struct).
enum X86Reg : unsigned {
  kX86R15, kX86R14, kX86R13, kX86R12, kX86Rbp, kX86Rbx, kX86R11, kX86R10, kX86R9, kX86R8,
  kX86Rax, kX86Rcx, kX86Rdx, kX86Rsi, kX86Rdi, kX86OrigRax, kX86Rip, kX86Cs, kX86Eflags,
  kX86Rsp, kX86Ss,
  kX86PtRegsCount,  // 21 words, 168 bytes
};
const char* x86_reg_name(unsigned reg);  // "rip", "r15", ...; "?" when out of range

// Byte offset of ip in struct pt_regs: the hardware iret frame (ip cs flags sp ss) starts
// here, which is where a REGS_PARTIAL ORC entry's sp points.
inline constexpr uint64_t kX86IretFrameOffset = 16 * 8;

// Registers from x86_64 pt_regs / PRSTATUS pr_reg bytes (at least 21 little-endian words;
// extra words such as fs_base are ignored). Fails with Truncated when fewer than 168 bytes.
Result<RegisterSet> x86_64_registers_from_pt_regs(std::span<const uint8_t> bytes);

// Registers of a task that is not running, from the struct inactive_task_frame that
// __switch_to_asm left at task->thread.sp (6.1 x86_64: r15 r14 r13 r12 bx bp ret_addr).
// rip = ret_addr, rsp = thread_sp + 56. Walk it with context_pc_is_return_address = true
// (unless rip is ret_from_fork). Fails with the reader's error.
Result<RegisterSet> x86_64_blocked_task_registers(VirtReader& mem, uint64_t thread_sp);

class X86_64Stackwalker : public Stackwalker {
 public:
  // orc may be null (or empty): the walk then uses frame pointers and scanning only.
  X86_64Stackwalker(VirtReader& mem, WalkOptions options, const OrcTableSet* orc);

 protected:
  std::expected<Frame, StopInfo> context_frame(const RegisterSet& regs) override;
  std::expected<Frame, StopInfo> caller_frame(std::span<const Frame> frames) override;

 private:
  std::expected<Frame, StopInfo> orc_step(const Frame& callee, const OrcEntry& e);
  std::expected<Frame, StopInfo> frame_pointer_step(const Frame& callee);
  Result<Frame> read_exception_frame(uint64_t pt_regs_addr, bool partial, const Frame& callee);
  const OrcTableSet* orc_;
};

// One call: walks from `context` (rip and rsp must be known).
WalkResult unwind_x86_64(VirtReader& mem, const RegisterSet& context, const OrcTableSet* orc, WalkOptions options);

}  // namespace kdx::unwind
