// arm64 kernel stack unwinding: x29/x30 frame records, PAC stripping, pt_regs exception frames.
#pragma once

#include <cstdint>
#include <functional>
#include <span>

#include "kdx/unwind/stackwalker.hpp"

namespace kdx::unwind {

// arm64 registers in struct pt_regs / user_pt_regs order: x0..x30, sp, pc, pstate.
enum Arm64Reg : unsigned {
  kArm64X0 = 0, kArm64Fp = 29, kArm64Lr = 30, kArm64Sp = 31, kArm64Pc = 32, kArm64Pstate = 33,
  kArm64PtRegsCount = 34,  // 272 bytes
};
const char* arm64_reg_name(unsigned reg);  // "x0".."x28", "fp", "lr", "sp", "pc", "pstate"

// Registers from arm64 pt_regs / PRSTATUS pr_reg bytes (34 little-endian words). Fails with
// Truncated when fewer than 272 bytes.
Result<RegisterSet> arm64_registers_from_pt_regs(std::span<const uint8_t> bytes);

// Registers of a task that is not running, from task->thread.cpu_context (6.1: x19..x28 fp
// sp pc; the caller passes its address, e.g. from DWARF offsetof(task_struct, thread) +
// offsetof(thread_struct, cpu_context)). pc is where cpu_switch_to returns (a return
// address: walk with context_pc_is_return_address = true); it is PAC-stripped with the
// mask. Fails with the reader's error.
Result<RegisterSet> arm64_blocked_task_registers(VirtReader& mem, uint64_t cpu_context_addr, uint64_t kernel_pac_mask);

// The pointer-authentication bits of a kernel address: GENMASK(63, va_bits), as the kernel's
// ptrauth_kernel_pac_mask() (and VMCOREINFO NUMBER(KERNELPACMASK)).
uint64_t arm64_kernel_pac_mask(unsigned va_bits);
// Strips a PAC from a code address like the kernel's ptrauth_strip_insn_pac(): kernel
// addresses (bit 55 set) get the mask bits set, user addresses get bits [54, va_bits) cleared.
uint64_t arm64_strip_pac(uint64_t addr, uint64_t kernel_pac_mask);

struct Arm64UnwindConfig {
  // VMCOREINFO NUMBER(KERNELPACMASK); 0 = derive from va_bits (harmless without PAC, since
  // an unsigned kernel address already has those bits set).
  uint64_t kernel_pac_mask = 0;
  unsigned va_bits = 48;  // VMCOREINFO NUMBER(VA_BITS)
  // offsetof(struct pt_regs, stackframe): 304 from v5.x through 6.1 (DWARF gives the exact
  // value). Entry code stores the frame record {x29, elr} there and points x29 at it.
  uint64_t pt_regs_stackframe_offset = 304;
  // True for return addresses inside the exception entry code (.entry.text: el1h_64_sync,
  // el1h_64_irq, el0t_64_sync, ...). Then the caller's frame record is pt_regs->stackframe
  // and the walk reads the full pt_regs. Null: exception frames are not recognized.
  std::function<bool(uint64_t)> is_exception_entry;
};

class Arm64Stackwalker : public Stackwalker {
 public:
  Arm64Stackwalker(VirtReader& mem, WalkOptions options, Arm64UnwindConfig config);

 protected:
  std::expected<Frame, StopInfo> context_frame(const RegisterSet& regs) override;
  std::expected<Frame, StopInfo> caller_frame(std::span<const Frame> frames) override;

 private:
  std::expected<Frame, StopInfo> exception_frame(const Frame& callee, uint64_t record);
  uint64_t strip(uint64_t addr) const { return arm64_strip_pac(addr, pac_mask_); }
  Arm64UnwindConfig cfg_;
  uint64_t pac_mask_;
};

// One call: walks from `context` (pc and sp must be known; x29 starts the chain).
WalkResult unwind_arm64(VirtReader& mem, const RegisterSet& context, Arm64UnwindConfig config, WalkOptions options);

}  // namespace kdx::unwind
